"""Review cases and trackers the review tests share."""

from __future__ import annotations

from typing import Any

from handoff.detection.decision_record import CustomerTurn
from review.case import RecordedDecision, ReviewCase, build_case
from review.seed import LabelledCase, verdict_for
from review.verdicts import Verdict
from tests.support.rasa_tracker import TrackerBuilder

SESSION = "2026-03-14T09:20:02.500Z"
# (article_version, article_updated) /kb/search served the closest article with, at turn 1
EXCHANGES_VERSION = ("9b1e07c3d2aa", "2026-09-30")
MISS = ("action_answer_from_kb",)


def miss(number: int, text: str, *extra: str) -> CustomerTurn:
    return CustomerTurn(
        number, text, "ask_question", 0.9, bot_actions=(*MISS, *extra), outcome="miss"
    )


def answered(number: int, text: str) -> CustomerTurn:
    return CustomerTurn(
        number,
        text,
        "ask_question",
        0.95,
        bot_actions=MISS,
        bot_texts=("An answer.",),
        outcome="answered",
    )


def case(
    *turns: CustomerTurn, recorded: tuple[RecordedDecision, ...] = (), **extra: Any
) -> ReviewCase:
    return build_case("conv-1", SESSION, turns, recorded=recorded, **extra)


def labelled(
    name: str,
    review_case: ReviewCase,
    expected: dict[str, Any] | None,
    split: str = "tuning",
    story: str | None = None,
    expect: tuple[dict[str, Any], ...] = (),
) -> LabelledCase:
    raw = verdict_for(review_case, expected)
    verdict = Verdict(review_case.key, raw["verdict"], raw["turn"], raw["reason"])
    return LabelledCase(name, split, review_case, verdict, story, expect)


def two_misses_tracker(sender: str = "conv-7") -> TrackerBuilder:
    """A session: a miss, then the same need missed again and a person offered."""
    builder = TrackerBuilder(sender).session_start()
    builder.user("do you sell garden furniture", "ask_question", 0.82)
    builder.kb_miss([("exchanges", "Exchanges", 0.3)], EXCHANGES_VERSION)
    builder.slot("reply_outcome", "miss")
    builder.slot("escalation_decision", decision_record(1, "continue", None, 0.75))
    builder.user(
        "any outdoor furniture, patio chairs? my card is 4242 4242 4242 4242", "ask_question", 0.8
    )
    builder.kb_miss([])
    builder.slot("reply_outcome", "miss")
    builder.action("utter_offer_human")
    builder.bot("Would you like to talk to a person on our support team?")
    builder.slot("escalation_decision", decision_record(2, "continue", None, 1.2))
    builder.slot("escalation_decision", decision_record(2, "offer", "unresolved", 1.5))
    return builder.listen()


def decision_record(turn: int, action: str, reason: str | None, score: float) -> dict[str, Any]:
    """The part of an `escalation_decision` record the review reads (decision_record.py)."""
    return {"version": 1, "turn": turn, "action": action, "reason": reason, "score": score}
