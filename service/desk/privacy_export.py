"""What an access request answers about one conversation, built from what is stored: the
messages of its Rasa tracker (masked as stored), its sessions' surveys and outcome records.
Pure: service/desk/privacy.py reads Redis and calls these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handoff.ticket.model import iso_from_timestamp
from handoff.ticket.transcript import TrackerFormatError
from outcomes.session import read_sessions

SPEAKERS = {"user": "customer", "bot": "bot"}


def tracker_messages(tracker: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Every message the customer and the assistant wrote, as Rasa's tracker keeps it."""
    events = tracker.get("events") if tracker else None
    messages = []
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, Mapping) or event.get("event") not in SPEAKERS:
            continue
        text = event.get("text")
        if isinstance(text, str) and text:
            messages.append(
                {
                    "at": _at(event.get("timestamp")),
                    "speaker": SPEAKERS[str(event["event"])],
                    "text": text,
                }
            )
    return messages


def session_keys(tracker: Mapping[str, Any] | None) -> list[str]:
    """The keys ("{start time}") of the tracker's sessions that outcomes and surveys use."""
    if not tracker:
        return []
    try:
        return [session.key for session in read_sessions(tracker)]
    except (TrackerFormatError, ValueError, TypeError, KeyError):
        return []  # a tracker this version cannot read: its sessions are found in the stream


def conversation_export(
    conversation_id: str,
    tracker: Mapping[str, Any] | None,
    surveys: Mapping[str, Any],
    outcomes: Sequence[Mapping[str, Any]],
    facts: Mapping[str, Any],
) -> dict[str, Any]:
    """One conversation's part of the export. `facts`: the gateway session's issue time, the
    orders proved and whether a signed-in email is on file (kept as digests: no value)."""
    return {
        "conversation_id": conversation_id,
        "messages": tracker_messages(tracker),
        "surveys": [{"session": key, **dict(survey)} for key, survey in sorted(surveys.items())],
        "outcomes": list(outcomes),
        **facts,
    }


def _at(timestamp: object) -> str | None:
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        return iso_from_timestamp(float(timestamp))
    return None
