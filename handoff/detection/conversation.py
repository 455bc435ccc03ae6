"""Customer turns from a Rasa tracker's events: what the escalation decision reads.

Works on the JSON form of the events (`event.as_dict()` in the Rasa process, or the `events`
of `GET /conversations/{id}/tracker`), so the Rasa policy and the service read a conversation
the same way. Only the latest session counts, and within it only what came after the latest
hand-back: the service's `/handed_back` or `/handoff_resolved` message (not a customer turn)
and the `takeover` slot the resume action sets both mark a fresh start, so turns that led to
the earlier handoff do not escalate again. Messages the customer wrote during the takeover
never reached Rasa (they are in the `takeover` slot, not in user events), so they are never
counted here.

The decision reads only the latest `history_turns` customer turns, so on every prediction the
Rasa policy converts only the events that hold them: `recent_window` finds how many of the
newest events that is (reading each event's kind, intent or slot name, not the whole event)
and how many customer messages came before them, and `customer_turns(window, earlier=...)`
numbers the window's turns as in the whole session. Pure, Python 3.10 compatible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from handoff.detection.decision_record import CustomerTurn
from handoff.detection.vectors import PARSE_DATA_KEY, decode_vector
from handoff.privacy.identity import CustomerContext

OUTCOME_SLOT = "reply_outcome"
# reply_outcome values meaning the knowledge base had no answer: a fresh question, or a
# follow-up that leaned on the previous answer ("and for members?"), which counts less.
MISS_OUTCOMES = frozenset({"miss", "follow_up_miss"})
# reply_outcome values meaning the customer was shown an answer and asked to judge it: a sure
# one, or a tentative one under "did you mean ...?". A tentative answer is evidence like a miss
# (the knowledge base was not sure) and its question stays open, but the customer's verdict on
# it comes first - unless they already gave it by asking the same question again.
ANSWER_OUTCOMES = frozenset({"answered", "tentative"})
NOT_BOT_ACTIONS = frozenset({"action_listen", "action_session_start", None})
CUSTOMER_SLOTS = ("customer_id", "customer_tier", "customer_prior_escalations")
HAND_BACK_INTENTS = frozenset({"handed_back", "handoff_resolved"})
TAKEOVER_SLOT = "takeover"
SESSION_STARTS = frozenset({"session_started", "restart"})


def customer_turns(events: Iterable[Mapping[str, Any]], earlier: int = 0) -> list[CustomerTurn]:
    """One CustomerTurn per customer message of the latest session since the latest
    hand-back, with the bot's reply, numbered as in the whole session. `earlier`: customer
    messages of the session before these events (when they are a `recent_window`)."""
    session = _latest_session(list(events))
    fresh = _since_latest_hand_back(session)
    # Turns keep the session's numbering (the ticket's transcript and the escalation's
    # idempotency key `turn-N` use it), even though only the fresh ones count.
    earlier += sum(
        1
        for event in session[: len(session) - len(fresh)]
        if event.get("event") == "user" and not is_hand_back_marker(event)
    )
    turns: list[dict[str, Any]] = []
    for event in fresh:
        kind = event.get("event")
        if kind == "user":
            turns.append(_customer_message(event, number=earlier + len(turns) + 1))
        elif not turns:
            continue
        elif kind == "action" and event.get("name") not in NOT_BOT_ACTIONS:
            turns[-1]["bot_actions"].append(str(event["name"]))
        elif kind == "bot" and event.get("text"):
            turns[-1]["bot_texts"].append(str(event["text"]))
        elif kind == "slot" and event.get("name") == OUTCOME_SLOT:
            turns[-1]["outcome"] = event.get("value")
    return [
        CustomerTurn(
            **{
                **turn,
                "bot_actions": tuple(turn["bot_actions"]),
                "bot_texts": tuple(turn["bot_texts"]),
            }
        )
        for turn in turns
    ]


def recent_window(newest_first: Iterable[Mapping[str, Any]], turns: int) -> tuple[int, int]:
    """(size, earlier): the newest `size` events hold the latest `turns` customer turns of the
    latest session since its latest hand-back (`customer_turns` of them gives the last
    `turns` of `customer_turns` of all the events), and the session had `earlier` customer
    messages before them. Reads events newest first; each needs only `event`, a user event's
    `parse_data.intent`, a slot event's `name` and `value`."""
    size = in_window = earlier = 0
    collecting = True
    for event in newest_first:
        kind = event.get("event")
        if kind in SESSION_STARTS:
            break
        marker = is_hand_back_marker(event)
        if collecting and (marker or (kind == "user" and in_window == turns)):
            collecting = False  # the window starts after this event
        elif collecting:
            size += 1
            in_window += kind == "user"
            continue
        earlier += kind == "user" and not marker
    return size, earlier


def customer_context(slots: Mapping[str, Any]) -> CustomerContext | None:
    """The verified customer the session-start action put in the slots, if any."""
    customer_id = slots.get("customer_id")
    if not customer_id:
        return None
    escalations = slots.get("customer_prior_escalations") or 0
    return CustomerContext(
        id=str(customer_id),
        tier=slots.get("customer_tier") or None,
        prior_escalations=int(escalations),
    )


def _latest_session(events: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") in SESSION_STARTS:
            return events[index + 1 :]
    return events


def _since_latest_hand_back(events: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The events after the latest hand-back marker (all of them when there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if is_hand_back_marker(events[index]):
            return events[index + 1 :]
    return events


def is_hand_back_marker(event: Mapping[str, Any]) -> bool:
    """The service's hand-back message, or the takeover the resume action recorded."""
    kind = event.get("event")
    if kind == "slot":
        return event.get("name") == TAKEOVER_SLOT and event.get("value") is not None
    if kind != "user":
        return False
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return intent.get("name") in HAND_BACK_INTENTS


def _customer_message(event: Mapping[str, Any], number: int) -> dict[str, Any]:
    parse_data = event.get("parse_data") or {}
    intent = parse_data.get("intent") or {}
    confidence = intent.get("confidence")
    return {
        "number": number,
        "text": str(event.get("text") or ""),
        "intent": intent.get("name"),
        "confidence": float(confidence) if confidence is not None else 1.0,
        "vector": decode_vector(parse_data.get(PARSE_DATA_KEY)),
        "bot_actions": [],
        "bot_texts": [],
        "outcome": None,
    }
