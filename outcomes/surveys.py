"""A customer's survey answers, checked: CSAT 1-5, customer effort (CES) 1-7, or skipped.

What the widget sends (`survey` `{csat?, ces?, skipped?}`) becomes a `Survey` here or an
`InvalidSurvey` whose message says what is wrong (the caller answers 400). A skipped survey
holds no rating; an answered one at least one. Pure and standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from outcomes.record import Audience, Survey

CSAT_SCALE = (1, 5)
CES_SCALE = (1, 7)
AUDIENCES: tuple[Audience, ...] = ("bot", "agent")


class InvalidSurvey(ValueError):
    """Survey answers that cannot be kept; the message says why."""


class SecondSurvey(ValueError):
    """The session already has its survey: one per session, never asked twice."""


def survey_from(data: Mapping[str, Any], audience: str) -> Survey:
    """The survey in `data` (csat, ces, skipped) about `audience` (bot or agent)."""
    if audience not in AUDIENCES:
        raise InvalidSurvey(f"audience must be one of {', '.join(AUDIENCES)}")
    unknown = sorted(set(data) - {"csat", "ces", "skipped"})
    if unknown:
        raise InvalidSurvey(f"unknown survey fields: {', '.join(unknown)}")
    skipped = data.get("skipped", False)
    if not isinstance(skipped, bool):
        raise InvalidSurvey("skipped must be true or false")
    csat = _rating(data.get("csat"), "csat", CSAT_SCALE)
    ces = _rating(data.get("ces"), "ces", CES_SCALE)
    if skipped and (csat is not None or ces is not None):
        raise InvalidSurvey("a skipped survey has no answers")
    if not skipped and csat is None and ces is None:
        raise InvalidSurvey("answer csat (1-5) or ces (1-7), or skip the survey")
    return Survey(audience=cast(Audience, audience), csat=csat, ces=ces, skipped=skipped)


def _rating(value: object, name: str, scale: tuple[int, int]) -> int | None:
    if value is None:
        return None
    low, high = scale
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidSurvey(f"{name} must be a whole number from {low} to {high}")
    return value
