"""Does the shipped intent decision hold on thin data? CLINC150 full, Small and Imbalanced, with
and without the intent classifier's calibration, outside Rasa.

    python -m benchmarks.clinc150_calibration DATA.json [DATA.json ...] [--per-intent N]
        [--out FILE]

(service env; e.g. the three files of ../shared/datasets/clinc150/.) For each data file: the
VectorIntentClassifier's own model (rasa_extensions.vector_model.fit_vector_model, C and
max_iterations from bot/config.yml) fitted on `train` + `oos_train` (as the `out_of_scope`
intent, as `make eval-oos`'s with_oos_train model), over the features the shipped pipeline gives
it: the all-MiniLM-L6-v2 sentence vector next to word 1-2 and char_wb 1-4 n-gram counts
(benchmarks.clinc150_linear.NGrams, an sklearn stand-in for Rasa's CountVectorsFeaturizers).
Then the shipped rules, read from bot/config.yml and not tuned: out of scope when the intent is
`out_of_scope`, the top confidence is below the FallbackClassifier's threshold, the top two are
within its ambiguity threshold, or the coverage (cosine to the closest training example, as
CoverageFallbackClassifier) is below its threshold. Reported on val (+ oos_val), where the
calibration's design was chosen, and test (+ oos_test): in-scope accuracy (right intent and not
rejected) and out-of-scope recall, uncalibrated (temperature 1) and calibrated (the fitted
temperature), side by side, whether or not bot/config.yml turns calibration on (`calibrate`).
`--per-intent N` keeps only the first N training examples of each intent (thinner than Small's
50, as a team's own bot). Sentence vectors come from var/cache/clinc150 (written by
`make eval-oos`); missing ones are computed with the service's embedder.

Not the Rasa pipeline: `make eval-oos` with each file confirms the figures there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from benchmarks.clinc150_linear import NGrams, machine_facts
from benchmarks.clinc150_oos import (
    ROOT,
    SHIPPED_CONFIG,
    CachedVectors,
    coverage_scores,
    digest,
    shipped_thresholds,
)
from benchmarks.oos_detection import (
    COVERAGE_OFF,
    OOS_INTENT,
    Detector,
    Example,
    Scored,
    evaluate,
    parse_clinc150,
)
from rasa_extensions.calibration import negative_log_likelihood
from rasa_extensions.vector_model import (
    DEFAULT_C,
    DEFAULT_MAX_ITERATIONS,
    VectorModel,
    fit_vector_model,
)

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "clinc150_calibration.json"
CLASSIFIER = "rasa_extensions.vector_intent_classifier.VectorIntentClassifier"
QUERY_PARTS = (("val", ("val", "oos_val")), ("test", ("test", "oos_test")))
VARIANTS = ("uncalibrated", "calibrated", "relative")
DONE_WHEN = {"in_scope_accuracy_points_below_full_at_most": 3.0, "oos_recall_at_least": 0.80}


class Embeddings:
    """Text -> unit vector, from the clinc150 cache files of each data file's (train + queries)
    and oos_train lists when they exist (the data sets share their queries and their training
    texts are subsets of the full one's), else from CachedVectors."""

    def __init__(self, cache: CachedVectors, splits: list[dict[str, list[Example]]]) -> None:
        self.cache = cache
        self.known: dict[str, np.ndarray] = {}
        for parts in splits:
            for texts in (_texts(parts, "train", *_queries()), _texts(parts, "oos_train")):
                path = cache.folder / f"minilm-{digest(*texts)}.npy"
                if path.exists():
                    self.known.update(zip(texts, np.load(path), strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = sorted({text for text in texts if text not in self.known})
        if missing:
            self.known.update(zip(missing, self.cache(missing), strict=True))
        return np.vstack([self.known[text] for text in texts])


def _queries() -> list[str]:
    return [part for _, parts in QUERY_PARTS for part in parts]


def _texts(splits: dict[str, list[Example]], *parts: str) -> list[str]:
    return [text for part in parts for text, _ in splits[part]]


def classifier_settings(config: dict[str, Any]) -> dict[str, Any]:
    components = [c for c in config["pipeline"] if c["name"] == CLASSIFIER]
    if len(components) != 1:
        raise SystemExit(f"bot/config.yml: expected one {CLASSIFIER}")
    settings = components[0]
    if not settings.get("ngrams", True):
        raise SystemExit("bot/config.yml: ngrams off; this benchmark builds the n-gram features")
    return {
        "c": float(settings.get("C", DEFAULT_C)),
        "max_iterations": int(settings.get("max_iterations", DEFAULT_MAX_ITERATIONS)),
    }


def scored_queries(
    splits: dict[str, list[Example]],
    probabilities: np.ndarray,
    intents: list[str],
    coverage: np.ndarray,
) -> dict[str, Scored]:
    top_two = np.argsort(-probabilities, axis=1)[:, :2]
    rankings = [
        [(intents[i], float(probabilities[row, i])) for i in best]
        for row, best in enumerate(top_two)
    ]
    out, start = {}, 0
    for name, parts in QUERY_PARTS:
        labels = [label for part in parts for _, label in splits[part]]
        end = start + len(labels)
        out[name] = Scored.build(labels, rankings[start:end], coverage[start:end])
        start = end
    return out


def figures(scored: Scored, detector: Detector, logits: np.ndarray, model: VectorModel) -> dict:
    """The shipped rule's metrics, the classifier's argmax accuracy, how the in-scope queries the
    confidence rules reject split (right top intent or not), and the in-scope log-likelihood."""
    metrics = evaluate(scored, detector).as_dict()
    in_scope = scored.in_scope
    confidence_rejects = (scored.confidence < detector.confidence_threshold) | (
        scored.margin < detector.ambiguity_threshold
    )
    lost = in_scope & confidence_rejects & (scored.predicted != OOS_INTENT)
    column = {intent: i for i, intent in enumerate(model.intents)}
    targets = np.array([column[label] for label in scored.labels[in_scope]])
    right = in_scope & scored.correct_intent
    return {
        "in_scope_accuracy": metrics["in_scope_accuracy"],
        "oos_recall": metrics["oos_recall"],
        "oos_precision": metrics["oos_precision"],
        "in_scope_rejected": metrics["in_scope_rejected"],
        "argmax_in_scope_accuracy": round(float(right.sum() / in_scope.sum()), 4),
        "in_scope_rejected_by_confidence_with_right_intent": round(
            float((lost & scored.correct_intent).sum() / in_scope.sum()), 4
        ),
        "median_top_confidence_when_right": round(float(np.median(scored.confidence[right])), 4),
        "in_scope_nll": round(
            negative_log_likelihood(logits[in_scope], targets, model.temperature), 4
        ),
    }


def run_dataset(
    path: Path,
    splits: dict[str, list[Example]],
    embeddings: Embeddings,
    settings: dict[str, Any],
    rule: Detector,
    reference: float | None,
) -> dict[str, Any]:
    texts = _texts(splits, "train", "oos_train")
    labels = [label for _, label in splits["train"]] + [OOS_INTENT] * len(splits["oos_train"])
    train_vectors = embeddings(texts)
    queries = _texts(splits, *_queries())
    query_vectors = embeddings(queries)
    ngrams = NGrams(texts)
    started = time.time()
    features = ngrams.features(texts, train_vectors)
    labelled = np.array(labels, dtype=object)
    model, calibration = fit_vector_model(features, labelled, **settings, calibrated=True)
    fit_seconds = time.time() - started
    query_features = ngrams.features(queries, query_vectors)
    logits = model.logits(query_features)
    coverage = coverage_scores(train_vectors, query_vectors)  # oos_train included, as the component
    variants = {"uncalibrated": model.with_temperature(1.0), "calibrated": model}
    if reference is not None:  # the sharpening beyond what the reference data needed
        variants["relative"] = model.with_temperature(calibration.temperature / reference)
    results: dict[str, Any] = {}
    for name, variant in variants.items():
        probabilities = variant.probability_rows(query_features)
        scored = scored_queries(splits, probabilities, variant.intents, coverage)
        size = len(scored["val"].labels)
        parts = {"val": logits[:size], "test": logits[size:]}
        results[name] = {
            part: figures(scored[part], rule, parts[part], variant) for part in ("val", "test")
        }
    return {
        "file": path.name,
        "train_examples": len(splits["train"]),
        "examples_per_intent": _per_intent(splits["train"]),
        "temperature": round(calibration.temperature, 4),
        "folds": calibration.folds,
        "calibration_note": calibration.note,
        "fit_seconds_with_cross_validation": round(fit_seconds, 1),
        **results,
    }


def _per_intent(train: list[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, label in train:
        counts[label] = counts.get(label, 0) + 1
    return {"min": min(counts.values()), "max": max(counts.values())}


def done_when(rows: list[dict[str, Any]], variant: str) -> dict[str, Any]:
    """The issue's bar, on test: in-scope accuracy within 3 points of the full data's, and oos
    recall >= 80 %, for every data file."""
    full = next((row for row in rows if row["file"] == "data_full.json"), None)
    out: dict[str, Any] = {}
    for row in rows:
        test = row[variant]["test"]
        checks = {"oos_recall": test["oos_recall"] >= DONE_WHEN["oos_recall_at_least"]}
        if full is not None and row is not full:
            gap = 100 * (full[variant]["test"]["in_scope_accuracy"] - test["in_scope_accuracy"])
            checks["in_scope_accuracy_gap_points"] = round(gap, 1)
            checks["in_scope_accuracy_within_3_points"] = gap <= 3.0
        out[row["file"]] = checks
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    """In-scope accuracy / oos recall (%) of each variant, per data file and part."""
    variants = [v for v in VARIANTS if all(v in row for row in rows)]
    lines = [
        "| data | train / per intent | T (folds) | part | " + " | ".join(variants) + " |",
        "|---|---|---|---|" + "---|" * len(variants),
    ]
    for row in rows:
        per = row["examples_per_intent"]
        for part in ("val", "test"):
            cells = [
                f"{100 * row[v][part]['in_scope_accuracy']:.1f} / "
                f"{100 * row[v][part]['oos_recall']:.1f}"
                for v in variants
            ]
            lines.append(
                f"| {row['file']} | {row['train_examples']} / {per['min']}-{per['max']} "
                f"| {row['temperature']:.3f} ({row['folds']}) | {part} | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path, nargs="+", help="CLINC150 data_*.json files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--per-intent", type=int, help="train on the first N examples per intent")
    parser.add_argument(
        "--reference-temperature",
        type=float,
        help="also score a 'relative' variant: temperature T / this (default: the first data "
        "file's fitted T, unless --per-intent)",
    )
    return parser.parse_args(argv)


def first_per_intent(splits: dict[str, list[Example]], count: int) -> dict[str, list[Example]]:
    kept: dict[str, int] = {}
    train = []
    for text, label in splits["train"]:
        if kept.get(label, 0) < count:
            kept[label] = kept.get(label, 0) + 1
            train.append((text, label))
    return {**splits, "train": train}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, load_before = time.time(), os.getloadavg()
    config_text = SHIPPED_CONFIG.read_text()
    config = yaml.safe_load(config_text)
    shipped = shipped_thresholds(config)
    rule = Detector(
        True,
        shipped.fallback_threshold,
        shipped.ambiguity_threshold,
        shipped.coverage_threshold if shipped.coverage_threshold is not None else COVERAGE_OFF,
    )
    settings = classifier_settings(config)
    data = [parse_clinc150(json.loads(path.read_text(encoding="utf-8"))) for path in args.data]
    cache = CachedVectors(ROOT / "var" / "cache" / "clinc150")
    embeddings = Embeddings(cache, data)
    if args.per_intent:
        data = [first_per_intent(splits, args.per_intent) for splits in data]
    rows: list[dict[str, Any]] = []
    reference = args.reference_temperature
    for path, splits in zip(args.data, data, strict=True):
        print(f"[clinc150-calibration] {path.name}", flush=True)
        rows.append(run_dataset(path, splits, embeddings, settings, rule, reference))
        if reference is None and not args.per_intent:
            reference = rows[0]["temperature"]
            rows[0]["relative"] = rows[0]["uncalibrated"]  # T / T: the same model
        if args.per_intent:
            rows[-1]["file"] += f" (first {args.per_intent} per intent)"
    report = {
        "command": " ".join(["python -m benchmarks.clinc150_calibration", *(argv or sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine_facts(load_before),
        "scope": "the classifier outside Rasa (sklearn n-grams, cached vectors); "
        "make eval-oos measures the Rasa pipeline",
        "config": {
            "file": "bot/config.yml",
            "sha256": hashlib.sha256(config_text.encode()).hexdigest()[:12],
            **settings,
        },
        "shipped_rule": rule.describe(),
        "published_small_imbalanced": "not listed in the data set folder's README: not quoted",
        "results": rows,
        "done_when": DONE_WHEN,
        "reference_temperature": reference,
        "done_when_test": {v: done_when(rows, v) for v in VARIANTS if v in rows[-1]},
        "embedding_seconds": round(cache.seconds, 1),
        "total_seconds": round(time.time() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(rows))
    print(f"[clinc150-calibration] wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
