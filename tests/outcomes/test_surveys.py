"""Survey answers: CSAT 1-5, CES 1-7, or skipped; anything else is refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from outcomes.record import Survey
from outcomes.surveys import InvalidSurvey, survey_from


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"csat": 5, "ces": 7}, Survey(audience="bot", csat=5, ces=7)),
        ({"csat": 1}, Survey(audience="bot", csat=1)),
        ({"ces": 4}, Survey(audience="bot", ces=4)),
        ({"skipped": True}, Survey(audience="bot", skipped=True)),
        ({"csat": 3, "skipped": False}, Survey(audience="bot", csat=3)),
    ],
)
def test_answers_in_range_or_a_skip_are_kept(data: dict[str, Any], expected: Survey) -> None:
    assert survey_from(data, "bot") == expected


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"csat": 0}, "csat must be a whole number from 1 to 5"),
        ({"csat": 6}, "csat must be a whole number from 1 to 5"),
        ({"csat": 4.5}, "csat must be a whole number from 1 to 5"),
        ({"csat": True}, "csat must be a whole number from 1 to 5"),
        ({"csat": "5"}, "csat must be a whole number from 1 to 5"),
        ({"ces": 8}, "ces must be a whole number from 1 to 7"),
        ({"ces": 0}, "ces must be a whole number from 1 to 7"),
        ({}, "answer csat (1-5) or ces (1-7), or skip the survey"),
        ({"skipped": True, "csat": 4}, "a skipped survey has no answers"),
        ({"skipped": "yes"}, "skipped must be true or false"),
        ({"csat": 4, "comment": "great"}, "unknown survey fields: comment"),
    ],
)
def test_anything_else_is_refused_with_the_reason(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidSurvey, match=problem.replace("(", r"\(").replace(")", r"\)")):
        survey_from(data, "agent")


def test_the_audience_is_the_assistant_or_an_agent() -> None:
    with pytest.raises(InvalidSurvey, match="audience"):
        survey_from({"csat": 5}, "manager")
