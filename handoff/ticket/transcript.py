"""Read a Rasa tracker (as `GET /conversations/{id}/tracker` returns it) into ticket parts:
the transcript, the knowledge-base articles shown, and the slots worth copying.

Pure: JSON-like data in, ticket dataclasses out. Only the latest session counts: turns before
the last `session_started` (or `restart`) event are left out; a tracker with no such event is
read whole. Reverted utterances (`rewind`) stay in: the customer did say them.
The caller masks secrets first (handoff.privacy.redact); this module never sees raw card numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handoff.detection.conversation import is_hand_back_marker
from handoff.ticket.model import (
    FEEDBACK_VALUES,
    ArticleShown,
    BotTurn,
    Button,
    CustomerTurn,
    Entity,
    TranscriptTurn,
    iso_from_timestamp,
)

SESSION_BOUNDARIES = frozenset({"session_started", "restart"})
KB_HISTORY_SLOT = "kb_history"
DECISION_SLOT = "escalation_decision"
# Slots the ticket holds elsewhere, or Rasa's own that carry unverified browser metadata.
SLOTS_NOT_COPIED = frozenset({KB_HISTORY_SLOT, DECISION_SLOT, "session_started_metadata"})


class TrackerFormatError(ValueError):
    """The tracker is not shaped like Rasa's tracker JSON."""


@dataclass(frozen=True)
class ConversationRecord:
    """What the ticket takes from a tracker."""

    transcript: tuple[TranscriptTurn, ...]
    articles_shown: tuple[ArticleShown, ...]
    slots: dict[str, Any]

    @property
    def customer_turns(self) -> tuple[CustomerTurn, ...]:
        return tuple(turn for turn in self.transcript if isinstance(turn, CustomerTurn))


def read_tracker(tracker: Mapping[str, Any]) -> ConversationRecord:
    """The latest session's transcript, the articles shown in it, and the copied slots."""
    events = _events(tracker)
    start = latest_session_start(events)
    return ConversationRecord(
        transcript=tuple(_transcript(events[start:])),
        articles_shown=articles_shown(events, start, _slots(tracker).get(KB_HISTORY_SLOT)),
        slots=copied_slots(_slots(tracker)),
    )


def latest_session_start(events: Sequence[Mapping[str, Any]]) -> int:
    """Index of the first event of the latest session (0 when there is no boundary)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") in SESSION_BOUNDARIES:
            return index + 1
    return 0


def copied_slots(slots: Mapping[str, Any]) -> dict[str, Any]:
    """Slots with a value, except those the ticket holds in their own fields."""
    return {
        name: value
        for name, value in slots.items()
        if value is not None and name not in SLOTS_NOT_COPIED
    }


def _events(tracker: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if not isinstance(tracker, Mapping):
        raise TrackerFormatError(f"a tracker is a JSON object, got {type(tracker).__name__}")
    events = tracker.get("events")
    if not isinstance(events, list):
        raise TrackerFormatError("tracker has no 'events' list (fetch it with include_events)")
    return [event for event in events if isinstance(event, Mapping)]


def _slots(tracker: Mapping[str, Any]) -> Mapping[str, Any]:
    slots = tracker.get("slots") or {}
    if not isinstance(slots, Mapping):
        raise TrackerFormatError(f"tracker 'slots' must be an object, got {slots!r:.60}")
    return slots


def _transcript(events: Sequence[Mapping[str, Any]]) -> list[TranscriptTurn]:
    turns: list[TranscriptTurn] = []
    customer_turns = 0
    last_buttons: tuple[Button, ...] = ()
    for event in events:
        kind = event.get("event")
        if _is_customer_message(event):
            customer_turns += 1
            turns.append(_customer_turn(event, customer_turns, last_buttons))
            last_buttons = ()
        elif kind == "bot":
            bot_turn = _bot_turn(event, customer_turns)
            turns.append(bot_turn)
            last_buttons = bot_turn.buttons or last_buttons
    return turns


def _customer_turn(
    event: Mapping[str, Any], number: int, offered: tuple[Button, ...]
) -> CustomerTurn:
    text = _text(event.get("text"))
    parse = _mapping(event.get("parse_data"))
    intent = _mapping(parse.get("intent"))
    pressed = next((button.title for button in offered if button.payload == text.strip()), None)
    return CustomerTurn(
        turn=number,
        text=text,
        at=_time(event),
        intent=intent.get("name") if isinstance(intent.get("name"), str) else None,
        confidence=_number(intent.get("confidence")),
        entities=tuple(_entities(parse.get("entities"))),
        button=pressed,
    )


def _bot_turn(event: Mapping[str, Any], customer_turns: int) -> BotTurn:
    data = _mapping(event.get("data"))
    buttons = data.get("buttons") or data.get("quick_replies") or []
    return BotTurn(
        turn=customer_turns,
        text=_text(event.get("text")),
        at=_time(event),
        buttons=tuple(
            Button(title=_text(button.get("title")), payload=_text(button.get("payload")))
            for button in buttons
            if isinstance(button, Mapping)
        ),
    )


def _entities(raw: object) -> list[Entity]:
    if not isinstance(raw, list):
        return []
    return [
        Entity(entity=item["entity"], value=_value_text(item.get("value")))
        for item in raw
        if isinstance(item, Mapping) and isinstance(item.get("entity"), str)
    ]


def articles_shown(
    events: Sequence[Mapping[str, Any]], session_start: int, final_history: object
) -> tuple[ArticleShown, ...]:
    """The kb_history entries added during the latest session, each with the customer turn
    it answered and its latest feedback. Follows every kb_history slot event: an answer
    appends one entry (the oldest drops off at the cap), feedback edits one in place.
    A tracker without kb_history events falls back to the slot's final value (turns unknown)."""
    if not any(_is_history_event(event) for event in events):
        return tuple(_article(entry, None) for entry in _entries(final_history))
    history: list[Mapping[str, Any]] = []
    shown: list[_Tracked] = []
    customer_turns = 0
    for index, event in enumerate(events):
        if index >= session_start and _is_customer_message(event):
            customer_turns += 1
        if not _is_history_event(event):
            continue
        new = _entries(event.get("value"))
        if _appended(history, new):
            for item in shown:
                item.position -= len(history) + 1 - len(new)
            if index >= session_start and customer_turns:
                shown.append(_Tracked(len(new) - 1, customer_turns, new[-1]))
        for item in shown:
            if 0 <= item.position < len(new):
                item.entry = new[item.position]
        history = new
    return tuple(_article(item.entry, item.turn) for item in shown)


@dataclass
class _Tracked:
    """A kb_history entry added in this session: where it is in the slot's list now."""

    position: int
    turn: int
    entry: Mapping[str, Any]


def _is_customer_message(event: Mapping[str, Any]) -> bool:
    """A user event that is the customer speaking, not the service telling Rasa of a
    hand-back (`/handed_back`, `/handoff_resolved`)."""
    return event.get("event") == "user" and not is_hand_back_marker(event)


def _is_history_event(event: Mapping[str, Any]) -> bool:
    return event.get("event") == "slot" and event.get("name") == KB_HISTORY_SLOT


def _entries(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, Mapping)]


def _appended(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> bool:
    """True when `new` is `old` plus one entry at the end (the oldest may have dropped off)."""
    if len(new) == len(old) + 1:
        return _keys(new[:-1]) == _keys(old)
    if new and len(new) == len(old):  # at the history cap: shifted by one, or edited in place
        return _keys(new[:-1]) == _keys(old[1:]) and _keys(new) != _keys(old)
    return False


def _keys(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Entries compared without their feedback, which is edited in place."""
    return [
        json.dumps({k: v for k, v in entry.items() if k != "feedback"}, sort_keys=True, default=str)
        for entry in entries
    ]


def _article(entry: Mapping[str, Any], turn: int | None) -> ArticleShown:
    feedback = entry.get("feedback")
    return ArticleShown(
        article_id=_optional_text(entry.get("article_id")),
        title=_optional_text(entry.get("title")),
        score=_number(entry.get("score")),
        answered=bool(entry.get("answered")),
        feedback=feedback if feedback in FEEDBACK_VALUES else "none",
        turn=turn,
        article_version=_optional_text(entry.get("article_version")),
        article_updated=_optional_text(entry.get("article_updated")),
        section=entry["section"] if isinstance(entry.get("section"), str) else None,
    )


def _time(event: Mapping[str, Any]) -> str | None:
    timestamp = _number(event.get("timestamp"))
    return iso_from_timestamp(timestamp) if timestamp is not None else None


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _value_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)
