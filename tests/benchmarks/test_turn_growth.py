"""The figures of the cost-per-turn benchmark: slopes and ratios from per-turn values."""

from __future__ import annotations

import os

import pytest

from benchmarks.turn_growth import cpu_ms, even, fit, growth, odd


def test_the_fitted_line_of_a_straight_line_is_itself() -> None:
    slope, intercept = fit([2, 4, 6], [12.0, 16.0, 20.0])
    assert (slope, intercept) == pytest.approx((2.0, 8.0))


def test_growth_reports_the_slope_and_both_ratios() -> None:
    by_turn = {turn: 100.0 + 2 * turn for turn in range(1, 31)}
    kb = growth(even(by_turn), 2, 20)
    assert kb["slope_ms_per_turn"] == 2.0
    assert kb["turn20_over_turn2"] == kb["fitted_turn20_over_turn2"] == round(140 / 104, 3)
    rule = growth(odd(by_turn), 3, 21)
    assert rule["turn3_ms"] == 106.0 and 1 not in odd(by_turn)


def test_cpu_time_of_this_process_grows_with_work() -> None:
    before = cpu_ms(os.getpid())
    sum(i * i for i in range(200_000))
    assert cpu_ms(os.getpid()) > before > 0
    assert cpu_ms(-1) == 0  # no such process: nothing to read
