"""The knowledge base's two thresholds: what a score earns, how they are chosen from labelled
questions, and that the shipped values are the ones `make eval-kb` chose on the tuning part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge_base.calibration import Scored, answer_threshold, calibrate, tentative_threshold
from knowledge_base.confidence import ANSWER_THRESHOLD, TENTATIVE_THRESHOLD, Thresholds

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "kb_eval.json"


def test_a_score_earns_an_answer_a_did_you_mean_or_nothing() -> None:
    thresholds = Thresholds(answer=0.6, tentative=0.45)

    assert thresholds.level(0.6) == "answer"
    assert thresholds.level(0.59) == "tentative"
    assert thresholds.level(0.45) == "tentative"
    assert thresholds.level(0.44) == "miss"
    assert thresholds.level(None) == "miss"  # no article at all


def test_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="tentative"):
        Thresholds(answer=0.5, tentative=0.6)
    assert Thresholds(0.5, 0.5).level(0.49) == "miss"  # no tentative band


def test_the_answer_threshold_is_where_answers_are_right_nine_times_in_ten() -> None:
    # Above 0.7 every answer is right; between 0.5 and 0.7 one in two is.
    scored = [Scored(0.8, True)] * 18 + [Scored(0.6, True), Scored(0.6, False)] * 4

    assert answer_threshold(scored) == 0.61
    # with the 0.6s answered, 22 right of 26: 85 %, short of 90 % but enough for 80 %
    assert answer_threshold(scored, target=0.8) == 0.2


def test_the_tentative_band_stops_where_the_best_article_is_mostly_wrong() -> None:
    scored = (
        [Scored(0.55, True)] * 3
        + [Scored(0.55, False)]  # right 3 in 4 just under the answer threshold
        + [Scored(0.42, True)]
        + [Scored(0.42, False)] * 3  # right 1 in 4 lower down
    )

    chosen = tentative_threshold(scored, answer=0.6)

    assert 0.47 <= chosen <= 0.48  # down to where the 0.42s come within 0.05
    assert tentative_threshold([Scored(0.59, False)], answer=0.6) == 0.6  # no band at all


def test_no_threshold_is_chosen_when_answers_never_get_good_enough() -> None:
    assert calibrate([Scored(0.9, False), Scored(0.8, True)]) is None


def test_the_shipped_thresholds_are_the_ones_calibrated_on_the_tuning_part() -> None:
    """`make eval-kb` writes what calibration chose on the tuning part of the customer
    questions; the service ships the same values (update knowledge_base/confidence.py when the
    articles or the question set change and the choice moves)."""
    figures = json.loads(RESULTS.read_text())["figures"]

    assert figures["calibrated_on_tuning"]["answer_threshold"] == ANSWER_THRESHOLD
    assert figures["calibrated_on_tuning"]["tentative_threshold"] == TENTATIVE_THRESHOLD
    assert json.loads(RESULTS.read_text())["thresholds"] == {
        "answer_threshold": ANSWER_THRESHOLD,
        "tentative_threshold": TENTATIVE_THRESHOLD,
    }
