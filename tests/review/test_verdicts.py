"""A reviewer's verdict: checked against the case's turns, every problem named at once."""

from __future__ import annotations

import pytest

from review.case import RecordedDecision
from review.verdicts import Verdict, VerdictError, expected_turn, parse_verdict
from tests.review.support import case, miss

AT = "2026-03-14T10:00:00.000Z"
TWO_MISSES = case(
    miss(1, "garden furniture?"),
    miss(2, "patio chairs?", "utter_offer_human"),
    recorded=(RecordedDecision(1, "continue"), RecordedDecision(2, "offer", "unresolved")),
)


def test_right_takes_the_live_escalation_turn_and_over_needs_no_turn() -> None:
    right = parse_verdict({"verdict": "right"}, TWO_MISSES, "dana", AT)
    over = parse_verdict({"verdict": "over", "note": "just browsing"}, TWO_MISSES, "dana", AT)

    assert (right.turn, expected_turn(right)) == (2, 2)
    assert (over.turn, expected_turn(over)) == (None, None)
    assert over.note == "just browsing"
    assert (over.key, over.reviewer, over.at) == (TWO_MISSES.key, "dana", AT)


def test_under_and_late_name_the_turn_a_person_was_needed_at() -> None:
    under = parse_verdict(
        {"verdict": "under", "turn": 1, "reason": "unresolved"}, TWO_MISSES, "d", AT
    )
    late = parse_verdict({"verdict": "late", "turn": 2}, TWO_MISSES, "d", AT)
    assert (under.expected_action, expected_turn(under), under.reason) == ("offer", 1, "unresolved")
    assert (late.expected_action, expected_turn(late)) == ("handoff", 2)


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ({"verdict": "maybe"}, ["verdict must be one of right, over, under, late"]),
        ({"verdict": "under"}, ["a verdict of under needs the turn"]),
        (
            {"verdict": "late", "turn": 7},
            ["turn must be one of the session's customer turns (1-2)"],
        ),
        ({"verdict": "right", "turn": True}, ["turn must be one of"]),
        ({"verdict": "over", "reason": "boredom"}, ["reason must be one of"]),
        ({"verdict": "over", "note": "x" * 2001}, ["note must be text of at most 2000"]),
        ({"verdict": "over", "score": 3}, ["unknown fields ['score']"]),
        ({}, ["verdict must be one of"]),
        ({"verdict": "nope", "turn": "two"}, ["verdict must be", "turn must be"]),
    ],
)
def test_a_bad_verdict_lists_every_problem(body: dict, problems: list[str]) -> None:
    with pytest.raises(VerdictError) as raised:
        parse_verdict(body, TWO_MISSES, "dana", AT)
    for problem in problems:
        assert problem in str(raised.value)


def test_a_note_is_masked_and_a_stored_verdict_reads_back() -> None:
    verdict = parse_verdict(
        {"verdict": "over", "note": "they pasted 4242 4242 4242 4242"}, TWO_MISSES, "dana", AT
    )
    assert "4242 4242" not in verdict.note
    assert Verdict.from_json(verdict.to_json()) == verdict
    with pytest.raises(VerdictError):
        Verdict.from_json('{"verdict": "sideways"}')
