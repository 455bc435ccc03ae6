"""Choosing the two thresholds of knowledge_base.confidence from labelled questions.

Run on the tuning part of a question set only (knowledge_base.evaluate does), never on the
part the figures are reported on. Each question counts as (best score, right): right when it
has an answer and the best article is one of its expected ids; a question no article answers
is never right, so answering it costs precision.

- The answer threshold is the lowest score at which the answers given are right at least
  `answer_precision` of the time (90 %: one answer in ten wrong at most).
- The tentative threshold is the lowest score from which, all the way up to the answer
  threshold, questions scoring within `window` (0.05) of a score have the right best article
  at least `tentative_precision` of the time (more often right than wrong): below it a "did
  you mean" would mostly show the wrong article.
Pure: no model, no files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge_base.confidence import Thresholds

GRID = tuple(round(t / 100, 2) for t in range(20, 91))
ANSWER_PRECISION = 0.9
TENTATIVE_PRECISION = 0.5
WINDOW = 0.05


@dataclass(frozen=True)
class Scored:
    score: float  # the best article's score
    right: bool  # the best article answers the question


def precision(scored: Sequence[Scored]) -> float | None:
    return sum(s.right for s in scored) / len(scored) if scored else None


def answer_threshold(scored: Sequence[Scored], target: float = ANSWER_PRECISION) -> float | None:
    """The lowest grid score whose answers (every question scoring at or above it) are right at
    least `target` of the time; None when no score gets there."""
    for threshold in GRID:
        reached = precision([s for s in scored if s.score >= threshold])
        if reached is not None and reached >= target:
            return threshold
    return None


def local_precision(scored: Sequence[Scored], score: float, window: float) -> float | None:
    """How often the best article is right for questions scoring within `window` of `score`:
    the chance a question scoring about that much is answered right, smoothed."""
    return precision([s for s in scored if abs(s.score - score) < window])


def tentative_threshold(
    scored: Sequence[Scored],
    answer: float,
    target: float = TENTATIVE_PRECISION,
    window: float = WINDOW,
) -> float:
    """The lowest grid score from which, at every grid score up to `answer`, the local
    precision reaches `target` (`answer` itself: no tentative band)."""
    chosen = answer
    for score in reversed([t for t in GRID if t < answer]):
        reached = local_precision(scored, score, window)
        if reached is not None and reached < target:
            break
        chosen = score
    return chosen


def calibrate(
    scored: Sequence[Scored],
    answer_precision: float = ANSWER_PRECISION,
    tentative_precision: float = TENTATIVE_PRECISION,
) -> Thresholds | None:
    """Both thresholds, or None when answers never reach `answer_precision`."""
    answer = answer_threshold(scored, answer_precision)
    if answer is None:
        return None
    return Thresholds(answer, tentative_threshold(scored, answer, tentative_precision))
