"""Small statistics shared by the benchmark commands."""

from __future__ import annotations

from collections.abc import Hashable, Iterable


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile, e.g. fraction=0.95 for p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rows_by_group(groups: Iterable[Hashable]) -> list[list[int]]:
    """Row numbers grouped by their group key (e.g. dialogue), in first-seen order; used to
    resample whole dialogues rather than single turns."""
    grouped: dict[Hashable, list[int]] = {}
    for row, group in enumerate(groups):
        grouped.setdefault(group, []).append(row)
    return list(grouped.values())
