"""A review case from Rasa's masked tracker: the hook the outcome watchdog calls when it writes a
session's outcome record, so the decision's inputs outlive the tracker's retention.

The tracker is what Rasa's tracker store keeps under `tracker:{conversation_id}` (`{"name": ...,
"events": [...]}`) or what `GET /conversations/{id}/tracker` returns (`sender_id`, `events`,
`slots`), as JSON text or parsed. The customer turns are read with the same code as Rasa's
escalation policy (handoff/detection/conversation.py's `customer_turns`, `customer_context`), over
the latest session with a customer message (the session its outcome record is about) up to its
first hand-back: the part of the session whose escalation a reviewer judges (after a hand-back
the decision starts afresh). The articles shown in that part, with the version the customer read,
are read from the `kb_history` slot events as the ticket reads them
(handoff/ticket/transcript.py). Pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from handoff.detection.conversation import customer_context, customer_turns, is_hand_back_marker
from handoff.detection.decision_log import decision_log
from handoff.ticket.transcript import articles_shown
from review.case import (
    ACTIONS,
    CaseCustomer,
    CaseFormatError,
    RecordedDecision,
    ReviewCase,
    build_case,
)

SESSION_STARTS = ("session_started", "restart")


def case_from_tracker(
    tracker: str | bytes | Mapping[str, Any],
    *,
    conversation_id: str | None = None,
    session: str | None = None,
    captured_at: str | None = None,
) -> ReviewCase:
    """The review case of the tracker's latest session. `conversation_id` and `session` default
    to the tracker's own (its name, and the session's start time); pass the outcome
    record's when you have them so both share one key. Raises CaseFormatError."""
    data = _parsed(tracker)
    events = data.get("events")
    if not isinstance(events, list) or not all(isinstance(e, Mapping) for e in events):
        raise CaseFormatError("the tracker has no list of events")
    conversation_id = conversation_id or data.get("sender_id") or data.get("name")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise CaseFormatError("the tracker names no conversation (sender_id or name)")
    boundary, latest = _latest_session(events)
    before_hand_back = _until_first_hand_back(latest)
    turns = customer_turns(before_hand_back)
    if not turns:
        raise CaseFormatError("the session has no customer turn to review")
    slots = _slots(latest)
    context = customer_context(slots)
    customer = CaseCustomer(context.tier, context.prior_escalations) if context else None
    last_turn = turns[-1].number
    recorded = [d for d in _recorded(decision_log(before_hand_back)) if d.turn <= last_turn]
    return build_case(
        conversation_id,
        session or _iso(boundary.get("timestamp") if boundary else None),
        turns,
        customer=customer,
        recorded=recorded,
        captured_at=captured_at,
        # turns counted from the session's start, as customer_turns numbers them
        articles_shown=articles_shown(before_hand_back, 0, None),
    )


def _iso(timestamp: object) -> str:
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        raise CaseFormatError("the tracker's events carry no timestamp")
    moment = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parsed(tracker: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(tracker, Mapping):
        return tracker
    try:
        data = json.loads(tracker)
    except ValueError as error:
        raise CaseFormatError(f"the tracker is not JSON: {error}") from error
    if not isinstance(data, Mapping):
        raise CaseFormatError("the tracker is not a JSON object")
    return data


def _latest_session(
    events: list[Mapping[str, Any]],
) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]:
    """(the session's boundary event or the first event, the session's events): the latest
    session with a customer message, as the outcome record picks it (outcomes/session.py): a
    session holding only the service's hand-back message belongs to the one before."""
    starts = [0] + [i + 1 for i, e in enumerate(events) if e.get("event") in SESSION_STARTS]
    spans = list(zip(starts, [*(start - 1 for start in starts[1:]), len(events)], strict=True))
    for start, end in reversed(spans):
        own = events[start:end]
        if any(e.get("event") == "user" and not is_hand_back_marker(e) for e in own):
            boundary = events[start - 1] if start else (own[0] if own else None)
            return boundary, own
    return None, []


def _until_first_hand_back(events: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    for index, event in enumerate(events):
        if is_hand_back_marker(event):
            return events[:index]
    return events


def _slots(events: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The slots as the session's events left them (the session start re-sets carried ones)."""
    slots: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot" and isinstance(event.get("name"), str):
            slots[event["name"]] = event.get("value")
    return slots


def _recorded(log: list[dict[str, Any]]) -> list[RecordedDecision]:
    """The live policy's decisions (handoff/detection/decision_log.py), one per turn."""
    return [
        RecordedDecision(
            turn=entry["turn"],
            action=entry["action"],
            reason=entry["reason"] if isinstance(entry["reason"], str) else None,
            score=float(entry["score"]) if isinstance(entry["score"], int | float) else 0.0,
        )
        for entry in log
        if entry["action"] in ACTIONS
    ]
