"""Rates and distributions: no data is None, percentiles by nearest rank."""

from __future__ import annotations

from metrics.rates import Distribution, Rate, percentile


def test_a_rate_without_a_denominator_has_no_value() -> None:
    assert Rate(0, 0).value is None
    assert Rate(0, 0).to_json() == {"value": None, "numerator": 0, "denominator": 0}
    assert Rate(1, 3).to_json() == {"value": 0.3333, "numerator": 1, "denominator": 3}


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 101)), 0.9) == 90
    assert percentile([7], 0.9) == 7


def test_a_distribution_of_nothing_is_all_none() -> None:
    assert Distribution.of([]).to_json() == {"count": 0, "mean": None, "p50": None, "p90": None}
    assert Distribution.of([3.0, 1.0, 2.0]).to_json() == {
        "count": 3,
        "mean": 2.0,
        "p50": 2.0,
        "p90": 3.0,
    }
