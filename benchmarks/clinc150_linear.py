"""Reference for the CLINC150 report: a logistic regression over the same all-MiniLM-L6-v2
vectors the assistant already computes for every message (no Rasa, no DIET), alone and with the
word (1-2) and character (1-4) n-grams the shipped pipeline's CountVectorsFeaturizers count.

It answers one question the shipped detector's numbers raise: is the 95 % in-scope target out of
reach of these features, or of the classifier that reads them? Protocol as for the shipped
detector: fit on train (+ oos_train as an `out_of_scope` class in one variant), choose the
regularisation C on val (argmax in-scope accuracy), choose the rejection thresholds on val
(confidence t1 and coverage t2, for each oos recall target), score test once.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

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
FEATURES = ("sentence vectors", "sentence vectors + n-grams")


@dataclass(frozen=True)
class Vectors:
    """Unit sentence vectors: training examples, oos_train, and the queries in the order of the
    queries file (val, oos_val, test, oos_test)."""

    train: np.ndarray
    oos_train: np.ndarray
    queries: np.ndarray
    coverage: np.ndarray  # each query's cosine similarity to its closest in-scope example
    query_texts: tuple[str, ...]


class NGrams:
    """Word 1-2 and char_wb 1-4 n-gram counts, the row scaled to unit length, next to the sentence
    vector (also unit length): the shipped CountVectorsFeaturizers' features."""

    def __init__(self, texts: list[str]) -> None:
        self.words = CountVectorizer(ngram_range=(1, 2)).fit(texts)
        self.chars = CountVectorizer(analyzer="char_wb", ngram_range=(1, 4)).fit(texts)

    def features(self, texts: list[str], vectors: np.ndarray) -> sparse.csr_matrix:
        counts = sparse.hstack([self.words.transform(texts), self.chars.transform(texts)])
        return sparse.hstack([normalize(counts), sparse.csr_matrix(vectors)]).tocsr()


def linear_probe(splits: dict[str, list[Example]], vectors: Vectors) -> list[dict[str, Any]]:
    """One row per (features, model, val recall target): C and thresholds from val, metrics on
    val and test; plus each model's argmax accuracy on test before any rejection."""
    expected = sum(len(splits[part]) for _, parts in QUERY_PARTS for part in parts)
    if not expected == len(vectors.queries) == len(vectors.query_texts):
        raise ValueError(
            f"{len(vectors.queries)} query vectors and {len(vectors.query_texts)} texts for "
            f"{expected} queries"
        )
    return [
        row
        for features in FEATURES
        for with_oos in (True, False)
        for row in _probe(splits, vectors, features, with_oos)
    ]


def _probe(
    splits: dict[str, list[Example]], vectors: Vectors, features: str, with_oos: bool
) -> list[dict[str, Any]]:
    texts, labels, train = _training_set(splits, vectors, with_oos)
    if features == FEATURES[0]:
        inputs, queries = train, vectors.queries
    else:
        ngrams = NGrams(texts)
        inputs = ngrams.features(texts, train)
        queries = ngrams.features(list(vectors.query_texts), vectors.queries)
    scored_by_c = {c: _scored(splits, _fit(inputs, labels, c), queries, vectors) for c in C_GRID}
    best_c = max(
        C_GRID, key=lambda c: (evaluate(scored_by_c[c]["val"], Detector()).in_scope_accuracy, -c)
    )
    scored = scored_by_c[best_c]
    argmax = evaluate(scored["test"], Detector())
    rows = []
    for target in RECALL_TARGETS:
        choice = choose_thresholds(scored["val"], Detector(use_intent=with_oos), target)
        rows.append(
            {
                "features": features,
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
) -> tuple[list[str], np.ndarray, np.ndarray]:
    texts = [text for text, _ in splits["train"]]
    labels = [label for _, label in splits["train"]]
    if not with_oos:
        return texts, np.array(labels, dtype=object), vectors.train
    texts += [text for text, _ in splits["oos_train"]]
    labels += [OOS_INTENT] * len(vectors.oos_train)
    train = np.vstack([vectors.train, vectors.oos_train])
    return texts, np.array(labels, dtype=object), train


def _fit(features: Any, labels: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000).fit(features, labels)


def _scored(
    splits: dict[str, list[Example]], model: LogisticRegression, queries: Any, vectors: Vectors
) -> dict[str, Scored]:
    probabilities = model.predict_proba(queries)
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


def machine_facts(load_before: tuple[float, float, float]) -> dict[str, object]:
    """What a CLINC150 report says about the machine: cores, platform, load before and after."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
