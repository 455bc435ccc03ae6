"""The escalation decision of every customer turn, read back from a conversation's events.

The Rasa policy writes each decision as one `escalation_decision` slot event (the record of
decision_record.py): after the bot's reply, or when the customer's message makes it act (then
possibly again after the reply). The log of a session is therefore already in its events: the
latest record per turn. Keeping a
second, growing list slot beside it would rewrite the whole list into the tracker on every turn.
A session start, a restart or a reset of the slot (the resume action after a takeover) starts a
new log. Works on the JSON form of the events. Pure, Python 3.10 compatible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DECISION_SLOT = "escalation_decision"
LOG_STARTS = frozenset({"session_started", "restart"})


def decision_log(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`{turn, action, reason, score}` per customer turn of the latest log, oldest turn first."""
    latest: dict[int, dict[str, Any]] = {}
    for event in events:
        kind = event.get("event")
        if kind in LOG_STARTS:
            latest = {}
        elif kind == "slot" and event.get("name") == DECISION_SLOT:
            record = event.get("value")
            if record is None:
                latest = {}
            elif isinstance(record, Mapping) and _is_turn(record.get("turn")):
                latest[record["turn"]] = {
                    "turn": record["turn"],
                    "action": record.get("action"),
                    "reason": record.get("reason"),
                    "score": record.get("score"),
                }
    return [latest[turn] for turn in sorted(latest)]


def _is_turn(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
