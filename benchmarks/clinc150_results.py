"""The rows of the CLINC150 report: the shipped detector and its ablations, thresholds chosen
on val and measured on test, and where the shipped detector fails. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from benchmarks.oos_detection import (
    Detector,
    Example,
    Scored,
    accepted_oos_as,
    choose_thresholds,
    confusions,
    evaluate,
    nlu_rejects,
    rejection_reasons,
    weakest_intents,
    wilson_interval,
)

HEADLINE = "NLU confidence + coverage (t1, t2 tuned)"  # the shipped detector, thresholds on val


@dataclass(frozen=True)
class Shipped:
    """The thresholds bot/config.yml ships."""

    fallback_threshold: float  # FallbackClassifier threshold (t1)
    ambiguity_threshold: float  # FallbackClassifier ambiguity_threshold
    coverage_threshold: float | None  # CoverageFallbackClassifier threshold, if in the pipeline


@dataclass(frozen=True)
class Ablation:
    label: str
    base: Detector
    tune_t1: bool
    tune_t2: bool
    coverage_over_all_examples: bool = False  # as CoverageFallbackClassifier: oos_train too


def ablations(shipped: Shipped, with_oos: bool) -> list[Ablation]:
    """The detector and what each part adds."""
    t1, ambiguity = shipped.fallback_threshold, shipped.ambiguity_threshold
    fallback = Detector(True, t1, ambiguity)
    tuned = Detector(True, ambiguity_threshold=ambiguity)
    plain = Detector(True)
    rows = [
        Ablation("classifier alone (no thresholds)", plain, False, False),
        Ablation("FallbackClassifier as shipped", fallback, False, False),
    ]
    if shipped.coverage_threshold is not None:
        rows.append(
            Ablation(
                "as shipped: FallbackClassifier + CoverageFallbackClassifier",
                Detector(True, t1, ambiguity, shipped.coverage_threshold),
                False,
                False,
                coverage_over_all_examples=True,
            )
        )
    rows += [
        Ablation("NLU confidence (t1 tuned)", tuned, True, False),
        Ablation("coverage only (t2 tuned)", plain, False, True),
        Ablation("shipped FallbackClassifier + coverage (t2 tuned)", fallback, False, True),
        Ablation(HEADLINE, tuned, True, True),
        Ablation("same, without the ambiguity rule", plain, True, True),
    ]
    if with_oos:  # without oos_train both coverages are the same
        rows.append(
            Ablation(
                "same as the headline, coverage also over the out_of_scope examples",
                tuned,
                True,
                True,
                coverage_over_all_examples=True,
            )
        )
    return rows


def result_rows(
    model: str,
    scored: dict[str, Scored],
    scored_all: dict[str, Scored],
    shipped: Shipped,
    target: float,
    with_oos: bool,
) -> list[tuple[dict[str, Any], Detector]]:
    """Each ablation with its thresholds chosen on val, measured on test. `scored_all` has the
    coverage over every training example (out_of_scope ones included)."""
    rows = []
    for ablation in ablations(shipped, with_oos):
        data = scored_all if ablation.coverage_over_all_examples else scored
        grids: dict[str, Any] = {}
        if not ablation.tune_t1:
            grids["confidence_grid"] = None
        if not ablation.tune_t2:
            grids["coverage_grid"] = None
        choice = choose_thresholds(data["val"], ablation.base, target, **grids)
        row = {
            "model": model,
            "detector": ablation.label,
            "thresholds": choice.detector.describe(),
            "val": choice.val.as_dict(),
            "val_reached_target_recall": choice.reached_target,
            "test": evaluate(data["test"], choice.detector).as_dict(),
        }
        rows.append((row, choice.detector))
    return rows


def analyse(scored: dict[str, Scored], detector: Detector, ambiguity: float) -> dict[str, Any]:
    """Where the shipped detector fails on test, and the recall/accuracy trade-off."""
    test = scored["test"]
    m = evaluate(test, detector)
    in_scope_right = round(m.in_scope_accuracy * m.in_scope)
    oos_caught = round(m.oos_recall * m.out_of_scope)
    trade_off = []
    for target in (0.5, 0.6, 0.7, 0.8, 0.9):
        row: dict[str, Any] = {"target": target}
        for name, base in (
            ("with_ambiguity_rule", Detector(True, 0.0, ambiguity)),
            ("without_ambiguity_rule", Detector(True)),
        ):
            choice = choose_thresholds(scored["val"], base, target)
            row[name] = {
                "thresholds": choice.detector.describe(),
                "val": choice.val.as_dict(),
                "test": evaluate(test, choice.detector).as_dict(),
            }
        trade_off.append(row)
    return {
        "detector": detector.describe(),
        "in_scope_accuracy_95ci": [
            round(v, 4) for v in wilson_interval(in_scope_right, m.in_scope)
        ],
        "oos_recall_95ci": [round(v, 4) for v in wilson_interval(oos_caught, m.out_of_scope)],
        "in_scope_failures": rejection_reasons(test, detector),
        "top_confusions": confusions(test),
        "oos_accepted_as": accepted_oos_as(test, detector),
        "weakest_intents": weakest_intents(test, detector),
        "coverage_median": {
            "in_scope": round(float(np.median(test.coverage[test.in_scope])), 3),
            "out_of_scope": round(float(np.median(test.coverage[~test.in_scope])), 3),
        },
        "recall_targets": trade_off,
    }


def scored_splits(
    splits: dict[str, list[Example]], predictions: list[dict], coverage: np.ndarray
) -> dict[str, Scored]:
    """val (+ oos_val) and test (+ oos_test), in the order of the queries file."""
    out, start = {}, 0
    for name, parts in (("val", ("val", "oos_val")), ("test", ("test", "oos_test"))):
        labels = [label for part in parts for _, label in splits[part]]
        end = start + len(labels)
        rankings = [[(n, float(c)) for n, c in p["ranking"]] for p in predictions[start:end]]
        out[name] = Scored.build(labels, rankings, coverage[start:end])
        start = end
    if start != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {start} queries")
    return out


def with_coverage(scored: dict[str, Scored], coverage: np.ndarray) -> dict[str, Scored]:
    """The same queries with another coverage (val then test, as in scored_splits)."""
    size = len(scored["val"].labels)
    return {
        "val": replace(scored["val"], coverage=coverage[:size]),
        "test": replace(scored["test"], coverage=coverage[size:]),
    }


def rasa_agreement(
    predictions: list[dict], scored_all: dict[str, Scored], shipped: Shipped
) -> dict[str, Any]:
    """Checks that this evaluation reads the model as Rasa does: our FallbackClassifier (and
    CoverageFallbackClassifier) rule against Rasa's own nlu_fallback, and our coverage against
    the one the component reported."""
    detector = Detector(
        False,
        shipped.fallback_threshold,
        shipped.ambiguity_threshold,
        shipped.coverage_threshold if shipped.coverage_threshold is not None else -1.0,
    )
    ours = np.concatenate(
        [
            nlu_rejects(scored_all[s], detector)
            | (scored_all[s].coverage < detector.coverage_threshold)
            for s in ("val", "test")
        ]
    )
    rasa = np.array([p["rasa_intent"] == "nlu_fallback" for p in predictions])
    check: dict[str, Any] = {"nlu_fallback_agreement": round(float((ours == rasa).mean()), 4)}
    reported = [p.get("coverage") for p in predictions]
    if all(value is not None for value in reported):
        ours_coverage = np.concatenate([scored_all[s].coverage for s in ("val", "test")])
        difference = np.abs(ours_coverage - np.array(reported, dtype=np.float64))
        check["coverage_max_difference"] = round(float(difference.max()), 5)
    return check
