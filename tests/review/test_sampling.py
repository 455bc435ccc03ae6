"""Which finished sessions go to review: rules over outcome records, the same every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.record import Escalation, OutcomeRecord, Survey, TicketTimes
from review.sampling import (
    SamplingConfigError,
    load_sampling_rules,
    parse_sampling_rules,
    sampled_by,
    share,
)

RULES = load_sampling_rules()  # the shipped review/sampling.yml


def record(number: int, outcome: str = "contained", **extra: object) -> OutcomeRecord:
    return OutcomeRecord(
        conversation_id=f"conv-{number}",
        session="2026-03-14T09:20:00.000Z",
        started_at="2026-03-14T09:20:00.000Z",
        ended_at="2026-03-14T09:50:00.000Z",
        outcome=outcome,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def escalated(number: int, **extra: object) -> OutcomeRecord:
    escalation = Escalation("frustration", "functional", "billing", "normal", 3, False)
    return record(number, "escalated", escalation=escalation, **extra)


def test_the_rates_pick_about_their_share_and_the_same_sessions_every_time() -> None:
    contained = [record(n) for n in range(4000)]
    picked = [r.key for r in contained if sampled_by(r, RULES)]
    assert 0.035 < len(picked) / len(contained) < 0.065  # contained: 5 %
    assert picked == [r.key for r in contained if sampled_by(r, RULES)]
    escalations = [escalated(n) for n in range(4000)]
    share_picked = sum(1 for r in escalations if "escalated" in sampled_by(r, RULES)) / 4000
    assert 0.08 < share_picked < 0.12  # escalated: 10 %


def test_raising_a_rate_only_adds_sessions() -> None:
    low = parse_sampling_rules(
        {"rules": [{"name": "c", "rate": 0.05, "when": {"outcome": ["contained"]}}]}
    )
    high = parse_sampling_rules(
        {"rules": [{"name": "c", "rate": 0.2, "when": {"outcome": ["contained"]}}]}
    )
    records = [record(n) for n in range(1000)]
    at_low = {r.key for r in records if sampled_by(r, low)}
    at_high = {r.key for r in records if sampled_by(r, high)}
    assert at_low < at_high
    assert 0.0 <= share("c", records[0].key) < 1.0


def test_every_low_survey_frustrated_session_and_unneeded_escalation_is_sampled() -> None:
    low_csat = record(1, survey=Survey("bot", csat=2))
    low_ces = record(2, survey=Survey("bot", ces=3))
    fine = record(3, survey=Survey("bot", csat=5, ces=7))
    frustrated = record(4, frustrated_without_offer=True)
    not_needed = escalated(
        5, ticket=TicketTimes("tk-1", "2026-03-14T09:30:00.000Z", escalation_not_needed=True)
    )
    assert "low_csat" in sampled_by(low_csat, RULES)
    assert "low_ces" in sampled_by(low_ces, RULES)
    assert not {"low_csat", "low_ces"} & set(sampled_by(fine, RULES))
    assert "frustrated_without_offer" in sampled_by(frustrated, RULES)
    assert "escalation_not_needed" in sampled_by(not_needed, RULES)
    skipped = record(6, survey=Survey("bot", skipped=True))
    assert not {"low_csat", "low_ces"} & set(sampled_by(skipped, RULES))


def test_conditions_combine() -> None:
    rules = parse_sampling_rules(
        {
            "rules": [
                {
                    "name": "abandoned after a miss",
                    "rate": 1.0,
                    "when": {"outcome": ["abandoned"], "abandoned_at": ["after_miss"]},
                }
            ]
        }
    )
    assert sampled_by(record(1, "abandoned", abandoned_at="after_miss"), rules)
    assert not sampled_by(record(2, "abandoned", abandoned_at="mid_flow"), rules)
    assert not sampled_by(record(3), rules)


def test_bad_rules_are_all_reported(tmp_path: Path) -> None:
    bad = {
        "rules": [
            {"name": "a", "rate": 2, "when": {"outcome": ["exploded"]}},
            {"name": "a", "rate": 0.1, "when": {"csat_at_most": 9, "mood": "grumpy"}},
            {"rate": 0.1, "when": {"frustrated_without_offer": "yes"}},
        ],
        "extra": 1,
    }
    with pytest.raises(SamplingConfigError) as raised:
        parse_sampling_rules(bad)
    message = str(raised.value)
    for problem in (
        "rules[0].rate=2 must be between 0.0 and 1.0",
        "'exploded' is not one of",
        "'a' is used twice",
        "csat_at_most=9 must be a whole number from 1 to 5",
        "rules[1].when.mood is not a known setting",
        "rules[2].name=None must be non-empty text",
        "must be true or false",
        "extra is not a known setting",
    ):
        assert problem in message
    path = tmp_path / "sampling.yml"
    path.write_text("rules: [", encoding="utf-8")
    with pytest.raises(SamplingConfigError, match="sampling.yml"):
        load_sampling_rules(path)
