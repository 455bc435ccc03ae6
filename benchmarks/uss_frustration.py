"""Dissatisfied-turn detection on USS MultiWOZ (Sun et al., SIGIR 2021) with the shipped scorer.

    python -m benchmarks.uss_frustration /path/to/MWOZ.txt [--report FILE] [--config FILE]
        [--text-only] [--cross-validate]

A USER turn is dissatisfied when more than half of its ratings are <= 2 (a tie, e.g. 2,2,3,3,
is not). Dialogues are split by a stable hash of their position in the file: 70 % fitting,
30 % held-out. The weights marked "fitted" in handoff/detection/escalation.yml are fitted on the
fitting part only: coordinate ascent on F1 over a 0.05 grid, repeated on 25 seeded bootstrap samples
of dialogues, median taken (the threshold stays 1.0, the hand-set weights stay as configured).
The fitted values are printed and compared with the shipped config. The held-out part is scored
with the shipped config, timing every scorer call (turn and conversation signals together).

SYSTEM turns carry the system's dialogue act; the unambiguous ones become the bot turn's
`outcome` (what our assistant sets from its own events): *-NoOffer -> no_result,
Booking-NoBook -> failed, Booking-Book and Train-OfferBooked -> answered; any other act says
nothing about success and leaves the outcome unknown. `--text-only` drops them all. The ratings
of the scored turn and of later turns are never an input.

`--cross-validate` also fits and scores 5 folds of dialogues inside the fitting part (the
held-out part is not used): an estimate of how the fitted weights do on unseen dialogues that is
steadier than the one held-out number.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks.stats import percentile, rows_by_group
from handoff.detection.frustration import (
    BotOutcome,
    FrustrationScorer,
    Polarity,
    Turn,
)
from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH, FrustrationConfig
from handoff.escalation_file import load_frustration_config
from handoff.sentiment import vader_polarity

FITTING_PERCENT = 70
FITTED_SIGNALS = (
    "negative_sentiment",
    "customer_correction",
    "customer_doubt",
    "customer_pushback",
    "politeness",
    "bot_failure",
    "unresolved_streak",
    "sentiment_trend",
)  # the rest are set by hand: MultiWOZ customers rarely swear, shout, rephrase or meet a loop
FIT_START = 0.5  # every fitted weight starts here (politeness at -0.5), whatever is shipped
FIT_STEP = 0.05
FIT_GRID = [round(FIT_STEP * step, 2) for step in range(31)]  # 0.00 .. 1.50
FIT_ROUNDS = 25
FIT_SEED = 20210711
CROSS_VALIDATION_FOLDS = 5
OUTCOME_BY_ACT: dict[str, BotOutcome] = {
    "Booking-NoBook": "failed",
    "Booking-Book": "answered",
    "Train-OfferBooked": "answered",
}
PUBLISHED_F1 = {"HiGRU": 0.238, "BERT": 0.224}


@dataclass(frozen=True)
class RatedTurn:
    dialogue_index: int
    history: tuple[Turn, ...]
    ratings: tuple[int, ...]

    @property
    def dissatisfied(self) -> bool:
        return is_dissatisfied(self.ratings)


def is_dissatisfied(ratings: tuple[int, ...]) -> bool:
    """More than half of the ratings are 1 or 2."""
    return 2 * sum(rating <= 2 for rating in ratings) > len(ratings)


def in_fitting_part(dialogue_index: int) -> bool:
    return zlib.crc32(f"uss-mwoz-{dialogue_index}".encode()) % 100 < FITTING_PERCENT


def bot_outcome(act: str) -> BotOutcome | None:
    """The outcome a SYSTEM dialogue act reports, if it reports one."""
    if act.endswith("-NoOffer"):
        return "no_result"
    return OUTCOME_BY_ACT.get(act)


def parse_rated_turns(text: str, outcomes: bool = True) -> list[RatedTurn]:
    """Every rated USER turn with the dialogue up to and including it; with `outcomes`, bot
    turns carry the outcome their dialogue act reports."""
    turns: list[RatedTurn] = []
    for dialogue_index, block in enumerate(b for b in text.split("\n\n") if b.strip()):
        history: list[Turn] = []
        for line in block.strip("\n").split("\n"):
            role, utterance, action, ratings = (line.split("\t") + ["", "", ""])[:4]
            if role == "USER" and utterance == "OVERALL":
                continue
            if role == "USER":
                history.append(Turn("customer", utterance))
            else:
                outcome = bot_outcome(action.strip()) if outcomes else None
                history.append(Turn("bot", utterance, outcome))
            if role == "USER":
                scores = tuple(int(r) for r in ratings.split(",") if r.strip())
                turns.append(RatedTurn(dialogue_index, tuple(history), scores))
    return turns


def counts(predicted: list[bool], actual: list[bool]) -> dict[str, float]:
    tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
    fp = sum(p and not a for p, a in zip(predicted, actual, strict=True))
    fn = sum(a and not p for p, a in zip(predicted, actual, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "turns": len(actual),
        "positives": sum(actual),
        "flagged": tp + fp,
        "true_positives": tp,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def f1_at(scores: np.ndarray, actual: np.ndarray, threshold: float) -> float:
    predicted = np.round(scores, 4) >= threshold
    true_positives = int((predicted & actual).sum())
    return 2 * true_positives / (int(predicted.sum()) + int(actual.sum()) or 1)


def coordinate_ascent(
    strengths: np.ndarray, fixed_scores: np.ndarray, actual: np.ndarray, threshold: float
) -> np.ndarray:
    """Each fitted weight in turn takes its best grid value for F1, until nothing improves."""
    weights = np.array([-FIT_START if n == "politeness" else FIT_START for n in FITTED_SIGNALS])
    best = f1_at(fixed_scores + strengths @ weights, actual, threshold)
    for _ in range(10):
        improved = False
        for column, name in enumerate(FITTED_SIGNALS):
            for value in [-v for v in FIT_GRID] if name == "politeness" else FIT_GRID:
                candidate = weights.copy()
                candidate[column] = value
                score = f1_at(fixed_scores + strengths @ candidate, actual, threshold)
                if score > best:
                    best, weights, improved = score, candidate, True
        if not improved:
            break
    return weights


def fit_weights(
    config: FrustrationConfig,
    strengths: list[dict[str, float]],
    actual: list[bool],
    dialogue_ids: list[int],
) -> dict[str, float]:
    """Median of coordinate-ascent fits over bootstrap samples of whole dialogues (bagging
    steadies the weights: one fit on ~340 positives lands in a different optimum per sample)."""
    fixed = {n: getattr(config.weights, n) for n in config.weights.__dataclass_fields__}
    matrix = np.array([[turn.get(n, 0.0) for n in FITTED_SIGNALS] for turn in strengths])
    fixed_scores = np.array(
        [
            sum(fixed[n] * v for n, v in turn.items() if n not in FITTED_SIGNALS)
            for turn in strengths
        ]
    )
    labels = np.array(actual)
    dialogues = rows_by_group(dialogue_ids)
    generator = random.Random(FIT_SEED)
    fits = []
    for _ in range(FIT_ROUNDS):
        rows = [r for d in generator.choices(dialogues, k=len(dialogues)) for r in d]
        fits.append(
            coordinate_ascent(matrix[rows], fixed_scores[rows], labels[rows], config.threshold)
        )
    medians = np.median(np.array(fits), axis=0)
    return {
        name: round(round(m / FIT_STEP) * FIT_STEP, 2)
        for name, m in zip(FITTED_SIGNALS, medians, strict=True)
    }


def cross_validate(
    config: FrustrationConfig,
    strengths: list[dict[str, float]],
    actual: list[bool],
    dialogue_ids: list[int],
) -> dict:
    """Fit on all folds of the fitting part but one, score that one, for every fold; the
    pooled predictions give the estimate (the held-out part takes no part in this)."""
    folds = [
        zlib.crc32(f"uss-mwoz-fold-{d}".encode()) % CROSS_VALIDATION_FOLDS for d in dialogue_ids
    ]
    predicted = [False] * len(actual)
    per_fold = []
    for fold in range(CROSS_VALIDATION_FOLDS):
        train = [row for row, f in enumerate(folds) if f != fold]
        test = [row for row, f in enumerate(folds) if f == fold]
        fitted = fit_weights(
            config,
            [strengths[row] for row in train],
            [actual[row] for row in train],
            [dialogue_ids[row] for row in train],
        )
        weights = {**config.weights.__dict__, **fitted}
        for row in test:
            score = max(0.0, sum(weights[n] * v for n, v in strengths[row].items()))
            predicted[row] = round(score, 4) >= config.threshold
        per_fold.append(counts([predicted[r] for r in test], [actual[r] for r in test])["f1"])
    return {**counts(predicted, actual), "fold_f1": per_fold}


def signal_strengths(scorer: FrustrationScorer, turns: list[RatedTurn]) -> list[dict[str, float]]:
    return [
        {signal.name: signal.strength for signal in scorer.detect(turn.history)} for turn in turns
    ]


def timed_assessments(
    scorer: FrustrationScorer, turns: list[RatedTurn]
) -> tuple[list[bool], list[float], list[set[str]]]:
    for turn in turns[:50]:  # warm-up
        scorer.assess(turn.history)
    predicted, milliseconds, fired = [], [], []
    for turn in turns:
        started = time.perf_counter_ns()
        assessment = scorer.assess(turn.history)
        milliseconds.append((time.perf_counter_ns() - started) / 1e6)
        predicted.append(assessment.frustrated)
        fired.append({signal.name for signal in assessment.signals})
    return predicted, milliseconds, fired


def bootstrap_f1(turns: list[RatedTurn], predicted: list[bool], rounds: int = 1000) -> list[float]:
    """95 % interval of held-out F1, resampling whole dialogues (seeded, so repeatable)."""
    dialogues = rows_by_group(turn.dialogue_index for turn in turns)
    generator = random.Random(FIT_SEED)
    scores = []
    for _ in range(rounds):
        sample = [p for d in generator.choices(dialogues, k=len(dialogues)) for p in d]
        scores.append(
            counts([predicted[p] for p in sample], [turns[p].dissatisfied for p in sample])["f1"]
        )
    return [round(percentile(scores, 0.025), 4), round(percentile(scores, 0.975), 4)]


def per_signal(fired: list[set[str]], actual: list[bool]) -> dict[str, dict[str, float]]:
    names = sorted(set().union(*fired))
    table = {}
    for name in names:
        hits = [a for f, a in zip(fired, actual, strict=True) if name in f]
        table[name] = {"fired": len(hits), "precision": round(sum(hits) / len(hits), 4)}
    return table


def outcome_counts(turns: list[RatedTurn]) -> dict[str, int]:
    """How many bot turns of the file carry each outcome (each dialogue counted once)."""
    last_turns = {t.dialogue_index: t.history for t in turns}
    found = Counter(
        turn.outcome or "unknown"
        for history in last_turns.values()
        for turn in history
        if turn.speaker == "bot"
    )
    return dict(sorted(found.items()))


def run(
    dataset: Path,
    config_path: Path,
    polarity: Polarity,
    outcomes: bool = True,
    cross_validation: bool = False,
) -> dict:
    turns = parse_rated_turns(dataset.read_text(encoding="utf-8"), outcomes)
    fitting = [t for t in turns if in_fitting_part(t.dialogue_index)]
    held_out = [t for t in turns if not in_fitting_part(t.dialogue_index)]
    shipped = load_frustration_config(config_path)

    fitting_actual = [t.dissatisfied for t in fitting]
    strengths = signal_strengths(FrustrationScorer(shipped, polarity), fitting)
    fitting_ids = [t.dialogue_index for t in fitting]
    fitted = fit_weights(shipped, strengths, fitting_actual, fitting_ids)
    fitted_config = replace(shipped, weights=replace(shipped.weights, **fitted))
    fitting_predicted = [
        FrustrationScorer(fitted_config, polarity).assess(t.history).frustrated for t in fitting
    ]
    shipped_matches = all(getattr(shipped.weights, n) == v for n, v in fitted.items())

    actual = [t.dissatisfied for t in held_out]
    predicted, milliseconds, fired = timed_assessments(
        FrustrationScorer(shipped, polarity), held_out
    )
    report = {
        "dataset": str(dataset),
        "dissatisfied": "more than half of a USER turn's ratings are <= 2",
        "bot_outcomes": outcome_counts(turns) if outcomes else "not used (--text-only)",
        "split": f"crc32('uss-mwoz-<dialogue index>') % 100 < {FITTING_PERCENT} -> fitting",
        "dialogues": {
            "fitting": len({t.dialogue_index for t in fitting}),
            "held_out": len({t.dialogue_index for t in held_out}),
        },
        "config": str(config_path),
        "fitted_weights": fitted,
        "shipped_config_equals_fitted": shipped_matches,
        "fitting": counts(fitting_predicted, fitting_actual),
        "held_out": counts(predicted, actual),
        "held_out_f1_95ci": bootstrap_f1(held_out, predicted),
        "held_out_signals": per_signal(fired, actual),
        "scoring_ms": {
            "p50": round(statistics.median(milliseconds), 3),
            "p95": round(percentile(milliseconds, 0.95), 3),
            "max": round(max(milliseconds), 3),
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "published_f1": PUBLISHED_F1,
    }
    if cross_validation:
        report["fitting_cross_validation"] = cross_validate(
            shipped, strengths, fitting_actual, fitting_ids
        )
    return report


def print_summary(report: dict) -> None:
    print("fitted weights (fitting part only) - copy into handoff/detection/escalation.yml:")
    for name, value in report["fitted_weights"].items():
        print(f"    {name}: {value}")
    if not report["shipped_config_equals_fitted"]:
        print("WARNING: the shipped config differs from the fitted weights above")
    for part in ("fitting_cross_validation", "fitting", "held_out"):
        if part not in report:
            continue
        m = report[part]
        label = {"fitting_cross_validation": "fitting, 5-fold CV"}.get(part, part)
        print(
            f"{label:>18}: P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  "
            f"({m['turns']} turns, {m['positives']} dissatisfied, {m['flagged']} flagged)"
        )
    low, high = report["held_out_f1_95ci"]
    published = ", ".join(f"{k} {v}" for k, v in report["published_f1"].items())
    print(f"held-out F1 95% interval (dialogue bootstrap): {low:.3f}-{high:.3f}; {published}")
    timing = report["scoring_ms"]
    print(f"per-turn scoring: p50 {timing['p50']} ms, p95 {timing['p95']} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path, help="path to USS MWOZ.txt")
    parser.add_argument("--report", type=Path, help="write the full report as JSON here")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH)
    parser.add_argument(
        "--text-only", action="store_true", help="ignore the dialogue acts (no bot outcomes)"
    )
    parser.add_argument(
        "--cross-validate", action="store_true", help="also 5-fold CV inside the fitting part"
    )
    args = parser.parse_args(argv)
    if not args.dataset.is_file():
        parser.error(f"{args.dataset} is not a file")
    report = run(
        args.dataset,
        args.config,
        vader_polarity(),
        outcomes=not args.text_only,
        cross_validation=args.cross_validate,
    )
    print_summary(report)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"report written to {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
