"""The intent model of VectorIntentClassifier, without Rasa: a multinomial logistic regression
(scikit-learn) stored as plain arrays, its confidences calibrated by a temperature fitted at
training time (rasa_extensions/calibration.py). Benchmarks import it to fit exactly what the
component fits."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from rasa_extensions.calibration import Calibration, calibrate, softmax

DEFAULT_C = 10.0  # inverse regularisation strength, sklearn's meaning
DEFAULT_MAX_ITERATIONS = 3000


class VectorModel:
    """A trained logistic regression as arrays: probabilities without sklearn."""

    def __init__(
        self,
        intents: list[str],
        coefficients: np.ndarray,
        intercepts: np.ndarray,
        temperature: float = 1.0,
    ):
        if len(intents) < 2:
            raise ValueError("a classifier needs at least two intents")
        if not temperature > 0:
            raise ValueError("the temperature must be positive")
        self.intents = intents
        self.coefficients = coefficients
        self.intercepts = intercepts
        self.temperature = float(temperature)

    @property
    def width(self) -> int:
        return int(self.coefficients.shape[1])

    def logits(self, features: Any) -> np.ndarray:
        """One row of scores per feature row, one column per intent."""
        return _logits(features, self.coefficients, self.intercepts)

    def probability_rows(self, features: Any) -> np.ndarray:
        return softmax(self.logits(features), self.temperature)

    def probabilities(self, features: Any) -> np.ndarray:
        """The intents' probabilities for one feature row."""
        return self.probability_rows(features)[0]

    def with_temperature(self, temperature: float) -> VectorModel:
        return VectorModel(self.intents, self.coefficients, self.intercepts, temperature)


def fit_vector_model(
    features: Any, intents: np.ndarray, c: float, max_iterations: int, calibrated: bool = False
) -> tuple[VectorModel, Calibration]:
    """The component's model: a logistic regression on all examples and, when `calibrated`, the
    temperature from k-fold cross-validation of the same regression."""
    regression = _regression(features, intents, c, max_iterations)
    calibration = Calibration(1.0, 0, "not calibrated")
    if calibrated:
        calibration = calibrate(features, intents.tolist(), _fold_model(c, max_iterations))
    model = VectorModel(
        [str(name) for name in regression.classes_],
        regression.coef_.astype(np.float32),
        regression.intercept_.astype(np.float32),
        calibration.temperature,
    )
    return model, calibration


def _regression(
    features: Any, intents: np.ndarray, c: float, max_iterations: int
) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=max_iterations).fit(features, intents)


def _fold_model(c: float, max_iterations: int) -> Any:
    def fit_fold(rows: Any, intents: np.ndarray, held_out: Any) -> tuple[list[str], np.ndarray]:
        regression = _regression(rows, intents, c, max_iterations)
        logits = _logits(held_out, regression.coef_, regression.intercept_)
        return [str(name) for name in regression.classes_], logits

    return fit_fold


def _logits(features: Any, coefficients: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    scores = np.asarray(features @ coefficients.T, dtype=np.float64) + intercepts
    if coefficients.shape[0] == 1:  # sklearn keeps one row for two classes: the second's score
        return np.hstack([np.zeros_like(scores), scores])
    return scores
