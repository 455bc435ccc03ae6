"""The intent classifier's temperature: fitted by cross-validation, it undoes the thin spread of a
model trained on few examples per intent, is the same on every run, and falls back to no scaling
when the data are too small to cross-validate."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy import sparse

from rasa_extensions.calibration import (
    calibrate,
    fit_temperature,
    fold_count,
    negative_log_likelihood,
    softmax,
)
from rasa_extensions.vector_model import VectorModel, fit_vector_model


def thin_data(
    intents: int = 60, per_intent: int = 5, held_out: int = 10, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors scattered around one direction per intent: few training examples for many
    intents, and held-out points from the same intents."""
    generator = np.random.default_rng(seed)
    centres = generator.normal(size=(intents, 32))

    def points(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.repeat(np.arange(intents), count)
        rows = centres[labels] + 1.5 * generator.normal(size=(len(labels), 32))
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        return rows, np.array([f"intent_{i:02d}" for i in labels], dtype=object)

    train, train_labels = points(per_intent)
    test, test_labels = points(held_out)
    return train, train_labels, test, test_labels


def fitted(rows: np.ndarray, labels: np.ndarray) -> tuple[VectorModel, float]:
    model, calibration = fit_vector_model(
        sparse.csr_matrix(rows), labels, 10.0, 3000, calibrated=True
    )
    return model, calibration.temperature


def test_calibration_undoes_the_thin_spread_of_few_examples_per_intent() -> None:
    train, train_labels, test, test_labels = thin_data()
    model, temperature = fitted(train, train_labels)
    plain = model.with_temperature(1.0).probability_rows(test)
    calibrated = model.probability_rows(test)
    right = np.array(model.intents, dtype=object)[plain.argmax(axis=1)] == test_labels
    assert right.mean() > 0.5  # the ranking is mostly right ...
    assert np.median(plain.max(axis=1)[right]) < 0.4  # ... but too unsure for the 0.4 cut
    assert temperature < 1.0
    assert np.median(calibrated.max(axis=1)[right]) > np.median(plain.max(axis=1)[right]) + 0.1
    assert (calibrated.argmax(axis=1) == plain.argmax(axis=1)).all()  # same ranking
    kept_plain = (plain.max(axis=1) >= 0.4) & right
    kept_calibrated = (calibrated.max(axis=1) >= 0.4) & right
    assert kept_calibrated.sum() > kept_plain.sum()


def test_the_calibrated_confidence_predicts_held_out_intents_better() -> None:
    train, train_labels, test, test_labels = thin_data(seed=1)
    model, _ = fitted(train, train_labels)
    logits = model.logits(test)
    targets = np.array([model.intents.index(label) for label in test_labels])
    plain = negative_log_likelihood(logits, targets, 1.0)
    assert negative_log_likelihood(logits, targets, model.temperature) < plain


def test_the_temperature_is_the_same_on_every_run() -> None:
    train, train_labels, _, _ = thin_data(intents=20, seed=2)
    assert fitted(train, train_labels)[1] == fitted(train, train_labels)[1]


def test_fit_temperature_recovers_the_temperature_that_generated_the_labels() -> None:
    generator = np.random.default_rng(3)
    logits = 3.0 * generator.normal(size=(4000, 5))
    truth = softmax(logits, 2.0)  # the labels follow logits / 2
    targets = np.array([generator.choice(5, p=row) for row in truth])
    assert fit_temperature(logits, targets) == pytest.approx(2.0, rel=0.1)


def test_folds_are_capped_by_the_largest_intent() -> None:
    assert fold_count(["a"] * 50 + ["b"] * 3) == 5
    assert fold_count(["a"] * 3 + ["b"] * 1) == 3
    assert fold_count(["a", "b", "c"]) == 0


def test_one_example_per_intent_falls_back_to_no_scaling_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = np.eye(3)
    labels = np.array(["greet", "goodbye", "order_status"], dtype=object)
    with caplog.at_level(logging.WARNING):
        model, calibration = fit_vector_model(rows, labels, 10.0, 3000, calibrated=True)
    assert model.temperature == calibration.temperature == 1.0
    assert calibration.folds == 0
    assert "not calibrated" in caplog.text


def test_too_few_held_out_predictions_fall_back_to_no_scaling() -> None:
    rows = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    labels = np.array(["greet", "greet", "goodbye", "goodbye"], dtype=object)
    calibration = calibrate(rows, labels.tolist(), lambda *_: pytest.fail("cross-validated"))
    assert calibration.temperature == 1.0  # 2 folds could score only 4 held-out rows
    assert "held-out" in calibration.note


def test_an_intent_missing_from_a_fold_is_not_scored_there() -> None:
    train, train_labels, _, _ = thin_data(intents=10, per_intent=6, seed=4)
    rows = np.vstack([train, train[:1]])
    labels = np.append(train_labels, "rare")  # one example: never in its own fold's training
    model, calibration = fit_vector_model(rows, labels, 10.0, 3000, calibrated=True)
    assert "rare" in model.intents
    assert np.isfinite(calibration.temperature) and calibration.temperature > 0
    assert calibration.folds == 5


def test_two_intents_scale_the_one_score_sklearn_keeps() -> None:
    model = VectorModel(["no", "yes"], np.array([[2.0]]), np.array([0.0]), temperature=0.5)
    [probabilities] = model.probability_rows(np.array([[1.0]]))
    assert probabilities[1] == pytest.approx(1 / (1 + np.exp(-4.0)))
    assert probabilities.sum() == pytest.approx(1.0)
