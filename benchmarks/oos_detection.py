"""Out-of-scope detection: CLINC150 conversion, the detector's rule, metrics, threshold choice.

The pure part of `benchmarks/clinc150_oos.py` (no I/O, no Rasa, no model), unit-tested on its own.

The detector is the one the assistant ships: a query is out of scope when the NLU classifier
predicts the `out_of_scope` intent, OR Rasa's FallbackClassifier would fire (top intent
confidence below t1, or the top two intents closer than the ambiguity threshold), OR its
coverage - the all-MiniLM-L6-v2 cosine similarity to the closest in-scope training example -
is below t2. A threshold of 0 (t1, ambiguity) or -1 (t2, cosine never goes below it) is "off".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

OOS_LABEL = "oos"  # CLINC150's label for out-of-scope queries
OOS_INTENT = "out_of_scope"  # the assistant's intent for them
SPLITS = ("train", "val", "test", "oos_train", "oos_val", "oos_test")
COVERAGE_OFF = -1.0
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Rasa reads "[text](entity)", "[text]{...}" and "[text][...]" in an example as an entity
ENTITY_MARKUP = re.compile(r"\[[^\]]+\]\s*[({\[]")

Example = tuple[str, str]  # (text, label)


class DatasetError(ValueError):
    """The file is not CLINC150-shaped."""


def parse_clinc150(data: Mapping[str, object]) -> dict[str, list[Example]]:
    """The six splits as (text, label) lists, checked: in-scope splits never hold `oos`,
    oos splits hold nothing else, texts are one non-empty line."""
    splits: dict[str, list[Example]] = {}
    for split in SPLITS:
        rows = data.get(split)
        if not isinstance(rows, list) or not rows:
            raise DatasetError(f"split {split!r} is missing or empty")
        examples: list[Example] = []
        for row in rows:
            if (
                not isinstance(row, list)
                or len(row) != 2
                or not all(isinstance(value, str) for value in row)
            ):
                raise DatasetError(f"{split}: expected [text, intent], got {row!r}")
            text, label = row[0].strip(), row[1]
            if not text or "\n" in text:
                raise DatasetError(f"{split}: empty or multi-line text {row[0]!r}")
            if (label == OOS_LABEL) != split.startswith("oos_"):
                raise DatasetError(f"{split}: unexpected label {label!r}")
            examples.append((text, label))
        splits[split] = examples
    return splits


def rasa_intent(label: str) -> str:
    return OOS_INTENT if label == OOS_LABEL else label


def rasa_nlu_yaml(examples: Sequence[Example]) -> str:
    """Rasa 3 NLU training data, one block per intent (sorted by name, examples in file order);
    CLINC150's `oos` becomes the assistant's `out_of_scope` intent."""
    by_intent: dict[str, list[str]] = {}
    for text, label in examples:
        intent = rasa_intent(label)
        if not INTENT_NAME.match(intent):
            raise DatasetError(f"intent name {intent!r} is not a plain identifier")
        if ENTITY_MARKUP.search(text):
            raise DatasetError(f"{text!r} would be read as an entity annotation")
        by_intent.setdefault(intent, []).append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in by_intent[intent]]  # a literal block: no escaping
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Scored:
    """What the detector sees for each query, as parallel arrays."""

    labels: np.ndarray  # gold intent, or OOS_LABEL
    predicted: np.ndarray  # the classifier's top intent (DIET, before the FallbackClassifier)
    confidence: np.ndarray  # its confidence
    margin: np.ndarray  # top confidence minus the second one
    coverage: np.ndarray  # cosine similarity to the closest in-scope training example

    @classmethod
    def build(
        cls,
        labels: Sequence[str],
        rankings: Sequence[Sequence[tuple[str, float]]],
        coverage: Sequence[float] | np.ndarray,
    ) -> Scored:
        """rankings: each query's intent ranking, best first (Rasa's `intent_ranking` without
        `nlu_fallback`)."""
        if not len(labels) == len(rankings) == len(coverage):
            raise ValueError("labels, rankings and coverage must have the same length")
        top = [ranking[0] if ranking else ("", 0.0) for ranking in rankings]
        second = [ranking[1][1] if len(ranking) > 1 else 0.0 for ranking in rankings]
        confidence = np.array([score for _, score in top], dtype=np.float64)
        return cls(
            labels=np.array(labels, dtype=object),
            predicted=np.array([name for name, _ in top], dtype=object),
            confidence=confidence,
            margin=confidence - np.array(second, dtype=np.float64),
            coverage=np.asarray(coverage, dtype=np.float64),
        )

    @property
    def in_scope(self) -> np.ndarray:
        return self.labels != OOS_LABEL

    @property
    def correct_intent(self) -> np.ndarray:
        return self.predicted == self.labels


@dataclass(frozen=True)
class Detector:
    use_intent: bool = True  # the predicted out_of_scope intent counts as out of scope
    confidence_threshold: float = 0.0  # t1, the FallbackClassifier's `threshold`
    ambiguity_threshold: float = 0.0  # the FallbackClassifier's `ambiguity_threshold`
    coverage_threshold: float = COVERAGE_OFF  # t2

    def describe(self) -> str:
        parts = ["intent" if self.use_intent else "no intent rule"]
        parts.append(
            f"t1={self.confidence_threshold:.2f}" if self.confidence_threshold else "t1 off"
        )
        if self.ambiguity_threshold:
            parts.append(f"ambiguity={self.ambiguity_threshold:.2f}")
        coverage_on = self.coverage_threshold > COVERAGE_OFF
        parts.append(f"t2={self.coverage_threshold:.2f}" if coverage_on else "t2 off")
        return ", ".join(parts)


def nlu_rejects(scored: Scored, detector: Detector) -> np.ndarray:
    """Out of scope by the NLU alone: out_of_scope intent or the FallbackClassifier's rule."""
    rejected = (scored.confidence < detector.confidence_threshold) | (
        scored.margin < detector.ambiguity_threshold
    )
    if detector.use_intent:
        rejected |= scored.predicted == OOS_INTENT
    return np.asarray(rejected, dtype=bool)


def rejects(scored: Scored, detector: Detector) -> np.ndarray:
    return nlu_rejects(scored, detector) | (scored.coverage < detector.coverage_threshold)


@dataclass(frozen=True)
class Metrics:
    in_scope_accuracy: float  # predicted as its intent AND not rejected
    oos_recall: float  # out-of-scope queries rejected
    oos_precision: float  # rejected queries that really are out of scope
    in_scope_rejected: float  # in-scope queries wrongly rejected
    in_scope: int
    out_of_scope: int

    def as_dict(self) -> dict[str, float | int]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _share(count: int | np.integer, total: int) -> float:
    return float(count) / total if total else 0.0


def metrics(scored: Scored, rejected: np.ndarray) -> Metrics:
    in_scope = scored.in_scope
    oos = ~in_scope
    accepted_right = scored.correct_intent & ~rejected & in_scope
    return Metrics(
        in_scope_accuracy=_share(accepted_right.sum(), int(in_scope.sum())),
        oos_recall=_share((rejected & oos).sum(), int(oos.sum())),
        oos_precision=_share((rejected & oos).sum(), int(rejected.sum())),
        in_scope_rejected=_share((rejected & in_scope).sum(), int(in_scope.sum())),
        in_scope=int(in_scope.sum()),
        out_of_scope=int(oos.sum()),
    )


def evaluate(scored: Scored, detector: Detector) -> Metrics:
    return metrics(scored, rejects(scored, detector))


@dataclass(frozen=True)
class Choice:
    detector: Detector
    val: Metrics
    reached_target: bool  # val oos recall >= the target


CONFIDENCE_GRID = tuple(round(0.01 * step, 2) for step in range(100))  # 0.00 (off) .. 0.99
COVERAGE_GRID = (COVERAGE_OFF, *(round(0.01 * step, 2) for step in range(20, 91)))  # off, .2-.9


def choose_thresholds(
    val: Scored,
    base: Detector,
    target_recall: float,
    confidence_grid: Sequence[float] | None = CONFIDENCE_GRID,
    coverage_grid: Sequence[float] | None = COVERAGE_GRID,
) -> Choice:
    """Pick (t1, t2) on the validation queries. A grid of None keeps `base`'s value.

    Rule: among the grid points whose oos recall reaches `target_recall`, the highest in-scope
    accuracy (ties: higher recall, then the lower thresholds). If no point reaches the target,
    the highest oos recall (ties: higher in-scope accuracy, then the lower thresholds).
    """
    t1_values = (
        list(confidence_grid) if confidence_grid is not None else [base.confidence_threshold]
    )
    t2_values = np.array(
        list(coverage_grid) if coverage_grid is not None else [base.coverage_threshold]
    )
    in_scope = val.in_scope
    oos = ~in_scope
    n_in, n_oos = max(1, int(in_scope.sum())), max(1, int(oos.sum()))
    below_t2 = val.coverage[None, :] < t2_values[:, None]  # (t2, query)
    best: tuple[tuple[float, ...], Detector, Metrics] | None = None
    for t1 in t1_values:
        detector = Detector(base.use_intent, float(t1), base.ambiguity_threshold)
        nlu = nlu_rejects(val, detector)
        rejected = nlu[None, :] | below_t2
        accuracy = ((val.correct_intent & in_scope)[None, :] & ~rejected).sum(axis=1) / n_in
        recall = (rejected & oos[None, :]).sum(axis=1) / n_oos
        for index, t2 in enumerate(t2_values):
            reached = recall[index] >= target_recall - 1e-9
            key = (
                (1.0, accuracy[index], recall[index])
                if reached
                else (0.0, recall[index], accuracy[index])
            )
            if best is None or key > best[0]:  # strictly better: earlier (lower) grid wins ties
                chosen = Detector(base.use_intent, float(t1), base.ambiguity_threshold, float(t2))
                best = (key, chosen, metrics(val, rejected[index]))
    assert best is not None
    return Choice(best[1], best[2], reached_target=best[0][0] == 1.0)


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if total == 0:
        return (0.0, 0.0)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def rejection_reasons(scored: Scored, detector: Detector) -> dict[str, int]:
    """Why in-scope queries failed: wrongly rejected (first matching rule, in the order the
    detector checks them) or accepted with the wrong intent."""
    in_scope = scored.in_scope
    reasons: Counter[str] = Counter()
    for row in np.flatnonzero(in_scope):
        if detector.use_intent and scored.predicted[row] == OOS_INTENT:
            reasons["predicted out_of_scope"] += 1
        elif scored.confidence[row] < detector.confidence_threshold:
            reasons["confidence below t1"] += 1
        elif scored.margin[row] < detector.ambiguity_threshold:
            reasons["ambiguous top two"] += 1
        elif scored.coverage[row] < detector.coverage_threshold:
            reasons["coverage below t2"] += 1
        elif not scored.correct_intent[row]:
            reasons["accepted, wrong intent"] += 1
    return dict(reasons.most_common())


def confusions(scored: Scored, top: int = 15) -> list[tuple[str, str, int]]:
    """The most frequent (gold, predicted) pairs among in-scope queries the classifier got
    wrong, before any rejection."""
    wrong = scored.in_scope & ~scored.correct_intent
    pairs = Counter(zip(scored.labels[wrong], scored.predicted[wrong], strict=True))
    return [
        (str(gold), str(predicted), count) for (gold, predicted), count in pairs.most_common(top)
    ]


def accepted_oos_as(scored: Scored, detector: Detector, top: int = 10) -> list[tuple[str, int]]:
    """Which intents the out-of-scope queries the detector let through were taken for."""
    missed = ~scored.in_scope & ~rejects(scored, detector)
    counts = Counter(str(intent) for intent in scored.predicted[missed])
    return counts.most_common(top)


def weakest_intents(scored: Scored, detector: Detector, top: int = 10) -> list[tuple[str, float]]:
    """In-scope accuracy (after rejection) per intent, lowest first."""
    right = scored.correct_intent & ~rejects(scored, detector)
    per_intent: dict[str, list[bool]] = {}
    for label, ok in zip(scored.labels, right, strict=True):
        if label != OOS_LABEL:
            per_intent.setdefault(str(label), []).append(bool(ok))
    scores = sorted((sum(oks) / len(oks), intent) for intent, oks in per_intent.items())
    return [(intent, round(score, 3)) for score, intent in scores[:top]]
