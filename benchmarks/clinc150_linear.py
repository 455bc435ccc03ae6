"""Reference for the CLINC150 report: a logistic regression over the same all-MiniLM-L6-v2
vectors the assistant already computes for every message (no Rasa, no DIET).

It answers one question the shipped detector's numbers raise: is the 95 % in-scope target out of
reach of these sentence vectors, or of the classifier that reads them? Protocol as for the
shipped detector: fit on train (+ oos_train as an `out_of_scope` class in one variant), choose
the regularisation C on val (argmax in-scope accuracy), choose the rejection thresholds on val
(confidence t1 and coverage t2, for each oos recall target), score test once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks.oos_detection import (
    OOS_INTENT,
    Detector,
    Example,
    Scored,
    choose_thresholds,
    evaluate,
)

C_GRID = (5.0, 20.0, 100.0)
RECALL_TARGETS = (0.7, 0.8, 0.9)
QUERY_PARTS = (("val", ("val", "oos_val")), ("test", ("test", "oos_test")))


@dataclass(frozen=True)
class Vectors:
    """Unit sentence vectors: training examples, oos_train, and the queries in the order of the
    queries file (val, oos_val, test, oos_test)."""

    train: np.ndarray
    oos_train: np.ndarray
    queries: np.ndarray
    coverage: np.ndarray  # each query's cosine similarity to its closest in-scope example


def linear_probe(splits: dict[str, list[Example]], vectors: Vectors) -> list[dict[str, Any]]:
    """One row per (model, val recall target): C and thresholds from val, metrics on val and
    test; plus each model's argmax accuracy on test before any rejection."""
    rows = []
    for with_oos in (True, False):
        features, labels = _training_set(splits, vectors, with_oos)
        fits = {c: _fit(features, labels, c) for c in C_GRID}
        scored_by_c = {c: _scored(splits, model, vectors) for c, model in fits.items()}
        best_c = max(
            C_GRID,
            key=lambda c: (evaluate(scored_by_c[c]["val"], Detector()).in_scope_accuracy, -c),
        )
        scored = scored_by_c[best_c]
        argmax = evaluate(scored["test"], Detector())
        for target in RECALL_TARGETS:
            choice = choose_thresholds(scored["val"], Detector(use_intent=with_oos), target)
            rows.append(
                {
                    "model": "with oos_train" if with_oos else "without oos_train",
                    "c": best_c,
                    "argmax_test_in_scope_accuracy": round(argmax.in_scope_accuracy, 4),
                    "val_recall_target": target,
                    "thresholds": choice.detector.describe(),
                    "val": choice.val.as_dict(),
                    "test": evaluate(scored["test"], choice.detector).as_dict(),
                }
            )
    return rows


def _training_set(
    splits: dict[str, list[Example]], vectors: Vectors, with_oos: bool
) -> tuple[np.ndarray, np.ndarray]:
    labels = [label for _, label in splits["train"]]
    if not with_oos:
        return vectors.train, np.array(labels, dtype=object)
    labels += [OOS_INTENT] * len(vectors.oos_train)
    return np.vstack([vectors.train, vectors.oos_train]), np.array(labels, dtype=object)


def _fit(features: np.ndarray, labels: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000).fit(features, labels)


def _scored(
    splits: dict[str, list[Example]], model: LogisticRegression, vectors: Vectors
) -> dict[str, Scored]:
    expected = sum(len(splits[part]) for _, parts in QUERY_PARTS for part in parts)
    if expected != len(vectors.queries):
        raise ValueError(f"{len(vectors.queries)} query vectors for {expected} queries")
    probabilities = model.predict_proba(vectors.queries)
    top_two = np.argsort(-probabilities, axis=1)[:, :2]
    rankings = [
        [(str(model.classes_[i]), float(probabilities[row, i])) for i in best]
        for row, best in enumerate(top_two)
    ]
    out, start = {}, 0
    for name, parts in QUERY_PARTS:
        labels = [label for part in parts for _, label in splits[part]]
        end = start + len(labels)
        out[name] = Scored.build(labels, rankings[start:end], vectors.coverage[start:end])
        start = end
    return out
