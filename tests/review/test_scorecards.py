"""Agent scorecards: five criteria 1-5, a masked note, trends per week and what to coach."""

from __future__ import annotations

import pytest

from review.scorecards import (
    Scorecard,
    ScorecardError,
    agent_trend,
    parse_scorecard,
    team_summary,
)

GOOD = {"resolved_need": 5, "accurate": 5, "no_reask": 4, "empathy": 5, "followed_policy": 5}


def card(agent: str, at: str, **scores: int) -> Scorecard:
    return parse_scorecard({**GOOD, **scores}, f"tk-{agent}-{at}", agent, "dana", at)


def test_a_scorecard_is_checked_and_its_note_masked() -> None:
    scored = parse_scorecard(
        {**GOOD, "note": "card 4242 4242 4242 4242"},
        "tk-1",
        "priya",
        "dana",
        "2026-03-10T10:00:00.000Z",
    )
    assert scored.overall == 4.8
    assert "4242 4242" not in scored.note
    assert Scorecard.from_json(scored.to_json()) == scored


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({**GOOD, "empathy": 6}, "empathy must be a whole number from 1 to 5"),
        ({**GOOD, "accurate": 0}, "accurate must be a whole number from 1 to 5"),
        ({**GOOD, "accurate": 4.5}, "accurate must be"),
        ({**GOOD, "accurate": True}, "accurate must be"),
        ({k: v for k, v in GOOD.items() if k != "no_reask"}, "no_reask must be"),
        ({**GOOD, "speed": 5}, "unknown fields ['speed']"),
        ({**GOOD, "note": 5}, "note must be text"),
    ],
)
def test_a_bad_scorecard_is_refused(body: dict, problem: str) -> None:
    with pytest.raises(ScorecardError) as raised:
        parse_scorecard(body, "tk-1", "priya", "dana", "2026-03-10T10:00:00.000Z")
    assert problem in str(raised.value)


def test_an_agents_trend_goes_week_by_week_and_names_what_to_coach() -> None:
    cards = [
        card("sam", "2026-03-02T10:00:00.000Z", no_reask=2, empathy=3),
        card("sam", "2026-03-03T10:00:00.000Z", no_reask=2, empathy=4),
        card("sam", "2026-03-10T10:00:00.000Z", no_reask=4, empathy=4),
    ]
    trend = agent_trend(cards)
    assert trend["scorecards"] == 3
    assert [week["week"] for week in trend["weeks"]] == ["2026-W10", "2026-W11"]
    assert trend["weeks"][0]["means"]["no_reask"] == 2.0
    assert trend["weeks"][1]["means"]["no_reask"] == 4.0
    assert trend["coaching"] == ["no_reask"]  # 2.67 < 3.5; empathy 3.67 is fine
    assert agent_trend([])["overall"] is None


def test_the_team_summary_says_what_everyone_should_train_on() -> None:
    cards = [
        card("sam", "2026-03-02T10:00:00.000Z", followed_policy=2),
        card("priya", "2026-03-02T11:00:00.000Z", followed_policy=3),
        card("priya", "2026-03-03T11:00:00.000Z"),
    ]
    summary = team_summary(cards)
    assert set(summary["agents"]) == {"sam", "priya"}
    assert summary["team"]["scorecards"] == 3
    assert summary["team"]["train_on"] == ["followed_policy"]
