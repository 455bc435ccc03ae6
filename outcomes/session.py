"""The conversation sessions outcomes are recorded for, read from a masked Rasa tracker.

Takes the tracker as Rasa's Redis tracker store keeps it (`{"name", "events"}`: no slots, so
the slots are replayed from the events) or as `GET /conversations/{id}/tracker` gives it. The
sessions to record are Rasa's sessions with a customer message: one that holds only the
service's hand-back message (Rasa started a new session because the takeover outlasted its
session expiry) belongs to the session before it. A session's key is its start time (the
`session_started` event's timestamp, ISO 8601 UTC; the first event's for a tracker without
one). The transcript, the articles shown and the hand-back markers are read as the ticket
builder and the escalation policy read them (handoff/ticket/transcript.py,
handoff/detection/conversation.py); the actions on orders as outcomes/order_actions.py counts
them. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from handoff.detection.conversation import OUTCOME_SLOT, TAKEOVER_SLOT, is_hand_back_marker
from handoff.ticket.model import ArticleShown, CustomerTurn, iso_from_timestamp
from handoff.ticket.transcript import (
    DECISION_SLOT,
    KB_HISTORY_SLOT,
    SESSION_BOUNDARIES,
    TrackerFormatError,
    articles_shown,
    read_tracker,
)
from outcomes.order_actions import session_actions
from outcomes.record import ActionCount

TICKET_SLOT = "handoff_ticket_id"
MISSED_OUTCOMES = frozenset({"miss", "follow_up_miss", "unavailable"})
"""Knowledge-base outcomes (slot reply_outcome) that mean the turn went unanswered."""
MISS_ACTIONS = frozenset({"utter_out_of_scope", "action_default_fallback"})
"""Bot actions that mean the assistant could not help with the turn."""
ASKING_ACTIONS = frozenset({"utter_ask_order_number", "utter_offer_human"})
"""Bot actions that ask the customer something: leaving after one is leaving mid-flow."""
OFFER_ACTION = "utter_offer_human"
HANDOFF_ACTION = "action_handoff"
QUIET_ACTIONS = frozenset({"action_listen", "action_session_start", "action_restart", None})
SLOT_RESETS = frozenset({"restart", "reset_slots"})


@dataclass(frozen=True)
class Session:
    """What one session of a conversation holds, as the outcome needs it (masked)."""

    key: str
    started_at: str
    last_activity_at: str
    turns: tuple[CustomerTurn, ...]
    """Every customer message of the session (init payloads and button presses included)."""
    articles: tuple[ArticleShown, ...]
    missed_turns: frozenset[int]
    last_bot_action: str | None
    flow_open: bool
    """A form (Rasa's active loop) was still waiting for the customer's answer."""
    offered_person: bool
    handed_off: bool
    decisions: tuple[Mapping[str, Any], ...]
    """The escalation decision records of the session's turns, in order."""
    ticket_ids: tuple[str, ...]
    slots: Mapping[str, Any]
    """The slots at the session's end."""
    input_channel: str | None
    actions: tuple[ActionCount, ...] = ()
    """The assistant's actions on orders in the session, by action and result."""
    next_started_at: str | None = None
    """When the next session with a customer message started (None: this is the latest)."""

    @property
    def spoken_turns(self) -> tuple[CustomerTurn, ...]:
        """Turns the customer typed or pressed: not a payload nobody offered (the widget's
        init payload)."""
        return tuple(
            turn for turn in self.turns if not turn.text.startswith("/") or turn.button is not None
        )


def read_session(tracker: Mapping[str, Any]) -> Session | None:
    """The latest session to record; None when the tracker has no customer message at all."""
    sessions = read_sessions(tracker)
    return sessions[-1] if sessions else None


def read_sessions(tracker: Mapping[str, Any]) -> list[Session]:
    """Every session to record, oldest first: those with a customer message (a session that
    holds only the hand-back belongs to the one before). Each but the latest is over: a later
    one started."""
    events = tracker_events(tracker)
    spans = [
        (start, end)
        for start, end in session_spans(events)
        if any(_is_customer_message(event) for event in events[start:end])
    ]
    sessions = [_session(events, start, end) for start, end in spans]
    return [
        replace(session, next_started_at=later.started_at)
        for session, later in zip(sessions, sessions[1:], strict=False)
    ] + sessions[-1:]


def tracker_events(tracker: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if not isinstance(tracker, Mapping) or not isinstance(tracker.get("events"), list):
        raise TrackerFormatError("a tracker is a JSON object with an 'events' list")
    return [event for event in tracker["events"] if isinstance(event, Mapping)]


def session_spans(events: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """(first event, end) of each session; a session starts after its boundary event."""
    starts = [0] + [
        index + 1 for index, event in enumerate(events) if event.get("event") in SESSION_BOUNDARIES
    ]
    ends = [start - 1 for start in starts[1:]] + [len(events)]
    return [(start, max(start, end)) for start, end in zip(starts, ends, strict=True)]


def slots_after(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The slots once these events ran (a restart or reset clears them)."""
    slots: dict[str, Any] = {}
    for event in events:
        kind = event.get("event")
        if kind in SLOT_RESETS:
            slots.clear()
        elif kind == "slot" and isinstance(event.get("name"), str):
            slots[event["name"]] = event.get("value")
    return slots


def _session(events: list[Mapping[str, Any]], start: int, end: int) -> Session:
    own = events[start:end]
    slots = slots_after(events[:end])
    record = read_tracker({"events": events[:end], "slots": slots})
    articles = articles_shown(events[:end], start, slots.get(KB_HISTORY_SLOT))
    actions = [event.get("name") for event in own if event.get("event") == "action"]
    spoken = [action for action in actions if action not in QUIET_ACTIONS]
    channels = [event.get("input_channel") for event in own if _is_customer_message(event)]
    started = _time_of(events[start - 1] if start else (own[0] if own else {}))
    return Session(
        key=started,
        started_at=started,
        last_activity_at=_time_of(_last_timed(own)),
        turns=record.customer_turns,
        articles=articles,
        missed_turns=_missed_turns(own) | {a.turn for a in articles if a.turn and not a.answered},
        last_bot_action=str(spoken[-1]) if spoken else None,
        flow_open=_flow_open(own),
        offered_person=OFFER_ACTION in actions,
        handed_off=HANDOFF_ACTION in actions,
        decisions=tuple(
            event["value"]
            for event in own
            if _is_slot(event, DECISION_SLOT) and isinstance(event.get("value"), Mapping)
        ),
        ticket_ids=_ticket_ids(own),
        slots=slots,
        input_channel=next((str(c) for c in reversed(channels) if isinstance(c, str)), None),
        actions=session_actions(events, start, end),
    )


def _missed_turns(events: Sequence[Mapping[str, Any]]) -> frozenset[int]:
    """Customer turns (numbered from 1) the assistant could not help with."""
    missed: set[int] = set()
    turn = 0
    for event in events:
        if _is_customer_message(event):
            turn += 1
        elif turn and _is_a_miss(event):
            missed.add(turn)
    return frozenset(missed)


def _is_a_miss(event: Mapping[str, Any]) -> bool:
    if _is_slot(event, OUTCOME_SLOT):
        return event.get("value") in MISSED_OUTCOMES
    return event.get("event") == "action" and event.get("name") in MISS_ACTIONS


def _flow_open(events: Sequence[Mapping[str, Any]]) -> bool:
    loops = [event.get("name") for event in events if event.get("event") == "active_loop"]
    return bool(loops and loops[-1])


def _ticket_ids(events: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    found: list[str] = []
    for event in events:
        value = event.get("value")
        if _is_slot(event, TAKEOVER_SLOT) and isinstance(value, Mapping):
            value = value.get("ticket_id")
        elif not _is_slot(event, TICKET_SLOT):
            continue
        if isinstance(value, str) and value and value not in found:
            found.append(value)
    return tuple(found)


def _is_customer_message(event: Mapping[str, Any]) -> bool:
    return event.get("event") == "user" and not is_hand_back_marker(event)


def _is_slot(event: Mapping[str, Any], name: str) -> bool:
    return event.get("event") == "slot" and event.get("name") == name


def _last_timed(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    return next((e for e in reversed(events) if _timestamp(e) is not None), {})


def _time_of(event: Mapping[str, Any]) -> str:
    timestamp = _timestamp(event)
    return iso_from_timestamp(timestamp if timestamp is not None else 0.0)


def _timestamp(event: Mapping[str, Any]) -> float | None:
    value = event.get("timestamp")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
