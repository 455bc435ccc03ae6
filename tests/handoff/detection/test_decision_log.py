"""The per-turn escalation log read back from the decision events of a conversation."""

from __future__ import annotations

from typing import Any

from handoff.detection.decision_log import decision_log


def decided(turn: int, action: str, reason: str | None = None, score: float = 0.5) -> dict:
    record = {"version": 1, "turn": turn, "action": action, "reason": reason, "score": score}
    return {"event": "slot", "name": "escalation_decision", "value": record}


def said(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text}


def test_one_line_per_turn_the_decision_after_the_reply_wins() -> None:
    events = [
        said("do you sell garden furniture"),
        decided(1, "continue", score=0.2),
        decided(1, "continue", score=0.75),  # after the miss
        said("any patio chairs?"),
        decided(2, "continue", score=1.2),
        decided(2, "offer", "unresolved", 1.5),
    ]
    assert decision_log(events) == [
        {"turn": 1, "action": "continue", "reason": None, "score": 0.75},
        {"turn": 2, "action": "offer", "reason": "unresolved", "score": 1.5},
    ]


def test_a_new_session_or_a_reset_after_a_takeover_starts_a_new_log() -> None:
    first = [said("hi"), decided(1, "handoff", "explicit_request", 3.0)]
    resumed = [{"event": "slot", "name": "escalation_decision", "value": None}]
    assert decision_log([*first, *resumed, said("thanks"), decided(2, "continue")]) == [
        {"turn": 2, "action": "continue", "reason": None, "score": 0.5}
    ]
    restarted = [*first, {"event": "session_started"}, said("hello"), decided(1, "continue")]
    assert [line["action"] for line in decision_log(restarted)] == ["continue"]


def test_malformed_records_are_skipped() -> None:
    broken = [
        {"event": "slot", "name": "escalation_decision", "value": "offer"},
        {"event": "slot", "name": "escalation_decision", "value": {"turn": True}},
        {"event": "slot", "name": "escalation_decision", "value": {"turn": 0}},
        decided(3, "offer", "frustration"),
    ]
    assert [line["turn"] for line in decision_log(broken)] == [3]
