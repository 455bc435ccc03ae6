"""How sure a knowledge-base search is, and what the assistant does about it.

Two thresholds on the best article's score (cosine similarity) make three bands:
- at or above the answer threshold the assistant answers;
- from the tentative threshold up to it, it answers tentatively: the best section under
  "did you mean ...?", so the customer can say it was not what they asked;
- below, it says it is not sure and offers the closest titles.

The shipped values were chosen on the tuning part of data/kb_customer_questions.yml by
knowledge_base.calibration (`make eval-kb` prints the choice and writes it to
benchmarks/results/kb_eval.json; a test keeps the two in step). Companies override them with
KB_ANSWER_THRESHOLD and KB_TENTATIVE_THRESHOLD. Pure: no model, no files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ANSWER_THRESHOLD = 0.56
TENTATIVE_THRESHOLD = 0.47

Level = Literal["answer", "tentative", "miss"]


@dataclass(frozen=True)
class Thresholds:
    answer: float = ANSWER_THRESHOLD
    tentative: float = TENTATIVE_THRESHOLD

    def __post_init__(self) -> None:
        if not 0.0 <= self.tentative <= self.answer <= 1.0:
            raise ValueError(
                f"thresholds must satisfy 0 <= tentative ({self.tentative}) <= answer "
                f"({self.answer}) <= 1"
            )

    def level(self, score: float | None) -> Level:
        """What a best score earns: an answer, a tentative answer, or none (no article: None)."""
        if score is None or score < self.tentative:
            return "miss"
        return "answer" if score >= self.answer else "tentative"
