"""Temperature scaling for the intent classifier's probabilities, fitted at training time.

With many intents and few examples per intent, a regularised logistic regression spreads its
probability thin: the right intent comes first with 0.3 where, trained on more data, it would
have 0.9, and a fixed confidence threshold (the FallbackClassifier's 0.4) rejects it. Dividing
the scores (logits) by a temperature T before the softmax keeps the ranking and moves the
confidences: T < 1 sharpens them, T > 1 softens them. T is the one that best predicts held-out
intents: the minimum negative log-likelihood of out-of-fold scores (stratified k-fold
cross-validation on the training examples, a fixed seed), so a confidence means about the same
chance of being right at any data size.

Pure: numpy, scipy and scikit-learn; the model to cross-validate comes in as a function.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.model_selection import StratifiedKFold

log = logging.getLogger(__name__)
MAX_FOLDS = 5
SEED = 13
MIN_HELD_OUT = 10  # fewer usable out-of-fold predictions: no scaling
LOG_TEMPERATURE_BOUNDS = (-4.0, 4.0)  # T between 0.018 and 55

# (training rows, their intents, held-out rows) -> (the intents the model learnt, held-out logits)
FoldModel = Callable[[Any, np.ndarray, Any], tuple[Sequence[str], np.ndarray]]


@dataclass(frozen=True)
class Calibration:
    temperature: float
    folds: int  # 0: not cross-validated
    note: str  # why there is no scaling, or how many held-out predictions fitted it


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise probabilities of logits divided by the temperature (-inf logits give 0)."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exponentials = np.exp(scaled)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def negative_log_likelihood(logits: np.ndarray, targets: np.ndarray, temperature: float) -> float:
    """Mean -log P(the right intent) over the rows; targets are column indices."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    top = scaled.max(axis=1, keepdims=True)
    log_total = np.log(np.exp(scaled - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_total - scaled[np.arange(len(targets)), targets]))


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood (searched on log T, bounded)."""
    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(logits, targets, float(np.exp(log_t))),
        bounds=LOG_TEMPERATURE_BOUNDS,
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(result.x))


def fold_count(labels: Sequence[str]) -> int:
    """MAX_FOLDS, or fewer when even the largest intent has fewer examples (0: cannot split).
    Intents smaller than the fold count are spread over as many folds as they have examples."""
    largest = max(Counter(labels).values(), default=0)
    folds = min(MAX_FOLDS, largest)
    return folds if folds >= 2 else 0


def out_of_fold_logits(
    features: Any, labels: np.ndarray, fit_fold: FoldModel, folds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every example's logits from the model trained without its fold, one column per intent
    (sorted); -inf for an intent the fold's model never saw. Returns (logits, kept rows): a row
    whose own intent was missing from its fold's training part cannot be scored and is left out."""
    intents = sorted(set(labels.tolist()))
    column = {intent: i for i, intent in enumerate(intents)}
    logits = np.full((len(labels), len(intents)), -np.inf)
    scorable = np.zeros(len(labels), dtype=bool)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    with warnings.catch_warnings():  # "the least populated class has only n members"
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(np.zeros(len(labels)), labels))
    for train_rows, held_out in splits:
        if len(set(labels[train_rows].tolist())) < 2:
            continue
        learnt, fold_logits = fit_fold(features[train_rows], labels[train_rows], features[held_out])
        columns = [column[intent] for intent in learnt]
        logits[np.ix_(held_out, columns)] = fold_logits
        seen = set(learnt)
        scorable[held_out] = [intent in seen for intent in labels[held_out].tolist()]
    return logits, scorable


def calibrate(features: Any, labels: Sequence[str], fit_fold: FoldModel) -> Calibration:
    """The temperature for a model trained on all of (features, labels), from k-fold
    out-of-fold logits; temperature 1 (logged) when the data are too small to cross-validate."""
    label_array = np.asarray(labels, dtype=object)
    folds = fold_count(list(labels))
    if folds == 0:
        return _unscaled("no intent has two examples to cross-validate")
    if len(label_array) < MIN_HELD_OUT:
        return _unscaled(f"{len(label_array)} examples, fewer than {MIN_HELD_OUT} held-out needed")
    logits, scorable = out_of_fold_logits(features, label_array, fit_fold, folds)
    if int(scorable.sum()) < MIN_HELD_OUT:
        return _unscaled(f"only {int(scorable.sum())} held-out predictions (< {MIN_HELD_OUT})")
    intents = sorted(set(label_array.tolist()))
    column = {intent: i for i, intent in enumerate(intents)}
    targets = np.array([column[intent] for intent in label_array[scorable].tolist()])
    temperature = fit_temperature(logits[scorable], targets)
    note = f"{int(scorable.sum())} out-of-fold predictions, {folds} folds"
    log.info("intent confidence: temperature %.3f (%s)", temperature, note)
    return Calibration(temperature, folds, note)


def _unscaled(reason: str) -> Calibration:
    log.warning("intent confidence not calibrated (temperature 1): %s", reason)
    return Calibration(1.0, 0, reason)
