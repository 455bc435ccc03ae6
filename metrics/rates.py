"""The two shapes every figure of metrics/ takes: a `Rate` (numerator over denominator, so a
dashboard can drill down into either side) and a `Distribution` (times and scores: how many,
mean, p50, p90). With no data a rate's value and a distribution's figures are None, never 0.

Pure and standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """numerator / denominator; None when the denominator is 0 (no data, not 0 %)."""
        return self.numerator / self.denominator if self.denominator else None

    def to_json(self) -> dict[str, Any]:
        value = self.value
        return {
            "value": None if value is None else round(value, 4),
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass(frozen=True)
class Distribution:
    """Seconds (times) or ratings (scores): how many values, their mean, p50 and p90."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        if not values:
            return cls(0, None, None, None)
        ordered = sorted(values)
        mean = math.fsum(ordered) / len(ordered)
        return cls(len(ordered), mean, percentile(ordered, 0.5), percentile(ordered, 0.9))

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean": _rounded(self.mean),
            "p50": _rounded(self.p50),
            "p90": _rounded(self.p90),
        }


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least `fraction` of the values at or below it
    (p50 of [1, 2, 3, 4] is 2, p90 of ten values is the ninth). `ordered` is sorted, not empty."""
    rank = max(1, math.ceil(fraction * len(ordered) - 1e-9))  # 0.9 * 10 is not quite 9
    return ordered[rank - 1]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
