"""Ranking measures for FAQ retrieval, from each query's ranked item ids and its relevant ids.

- P@k: precision at k, the share of the first k results that are relevant, averaged over
  queries. With one relevant item per query P@5 is at most 0.2.
- hit@k: the share of queries with a relevant item among the first k (what "top-5 accuracy"
  means elsewhere), reported beside P@5 so neither is mistaken for the other.
- MRR: the mean of 1 / rank of the first relevant item (0 when it is not ranked).
- MAP: the mean over queries of average precision. With exactly one relevant item per query, as
  in StackFAQ, average precision is 1 / rank, so MAP equals MRR; the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Ranked:
    ranking: Sequence[str]  # item ids, best first
    relevant: frozenset[str]


def precision_at(ranked: Ranked, k: int) -> float:
    return sum(item in ranked.relevant for item in ranked.ranking[:k]) / k


def hit_at(ranked: Ranked, k: int) -> float:
    return 1.0 if any(item in ranked.relevant for item in ranked.ranking[:k]) else 0.0


def reciprocal_rank(ranked: Ranked) -> float:
    for position, item in enumerate(ranked.ranking, start=1):
        if item in ranked.relevant:
            return 1 / position
    return 0.0


def average_precision(ranked: Ranked) -> float:
    found = 0
    total = 0.0
    for position, item in enumerate(ranked.ranking, start=1):
        if item in ranked.relevant:
            found += 1
            total += found / position
    return total / len(ranked.relevant) if ranked.relevant else 0.0


def measures(rankings: Sequence[Ranked]) -> dict[str, float | int | str]:
    """P@1, P@5, hit@5, MRR and MAP over the queries, rounded to 4 places."""
    if not rankings:
        raise ValueError("no queries to measure")
    count = len(rankings)

    def mean(values: list[float]) -> float:
        return round(sum(values) / count, 4)

    result: dict[str, float | int | str] = {
        "queries": count,
        "p_at_1": mean([precision_at(r, 1) for r in rankings]),
        "p_at_5": mean([precision_at(r, 5) for r in rankings]),
        "hit_at_5": mean([hit_at(r, 5) for r in rankings]),
        "mrr": mean([reciprocal_rank(r) for r in rankings]),
        "map": mean([average_precision(r) for r in rankings]),
    }
    if all(len(r.relevant) == 1 for r in rankings):
        result["map_note"] = "one relevant item per query, so MAP equals MRR"
    return result
