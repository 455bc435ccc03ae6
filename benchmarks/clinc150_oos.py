"""Out-of-scope detection on CLINC150 (Larson et al., EMNLP 2019) with the shipped detector.

    python -m benchmarks.clinc150_oos /path/to/clinc150/data_full.json [--out DIR] [--epochs N]

The detector is the assistant's: the Rasa NLU pipeline of bot/config.yml (read from that file;
the same components and hyper-parameters) with its FallbackClassifier, plus coverage, the
all-MiniLM-L6-v2 similarity of the query to the closest in-scope training example. A query is
out of scope when the classifier predicts `out_of_scope` (CLINC150's oos_train becomes that
intent), or its confidence is below t1 (or the top two are within the FallbackClassifier's
ambiguity threshold), or its coverage is below t2.

Protocol (Larson et al.): train on `train` (+ `oos_train`), choose thresholds on `val` +
`oos_val`, report on `test` + `oos_test`: in-scope accuracy (right intent AND not rejected) and
out-of-scope recall. Threshold rule: the highest val in-scope accuracy among the (t1, t2) whose
val oos recall reaches --target-recall (default 0.70); if none does, the highest val recall.

Two Rasa models are trained (with and without oos_train), in the bot env with the service up
(`python -m stack with-service`); trained models and predictions are kept under
DIR/work/ and reused while the data, the config and the source of the project's components in
the pipeline (rasa_extensions/) are unchanged. Coverage vectors are computed here
with the service's own embedder, one text at a time exactly as POST /nlu/embed does.
Writes DIR/report.json and DIR/report.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from benchmarks.clinc150_linear import Vectors, linear_probe, machine_facts
from benchmarks.clinc150_report import markdown_report
from benchmarks.clinc150_results import (
    HEADLINE,
    Shipped,
    analyse,
    rasa_agreement,
    result_rows,
    scored_splits,
    with_coverage,
)
from benchmarks.oos_detection import Example, parse_clinc150, rasa_nlu_yaml

ROOT = Path(__file__).resolve().parent.parent
BOT_PYTHON = ROOT / ".venv" / "bot" / "bin" / "python"
SHIPPED_CONFIG = ROOT / "bot" / "config.yml"
DEFAULT_OUT = ROOT / "var" / "results" / "clinc150"
VARIANTS = {"with_oos_train": True, "without_oos_train": False}
PUBLISHED = {  # Larson et al. 2019, Table 2, full data: (in-scope accuracy, oos recall)
    "BERT, oos-train": (96.9, 40.3),
    "BERT, oos-threshold": (96.2, 52.3),
    "MLP, oos-train": (93.5, 47.4),
    "Rasa, oos-train": (91.5, 45.3),
    "Rasa, oos-threshold": (90.9, 31.2),
}
TARGET = {"in_scope_accuracy": 0.95, "oos_recall": 0.70}


def eval_config(shipped: dict[str, Any], epochs: int | None) -> tuple[dict[str, Any], dict]:
    """The shipped config, or a copy with DIET's epochs changed (a labelled quick run)."""
    config = json.loads(json.dumps(shipped))
    overrides: dict[str, Any] = {}
    if epochs is not None:
        diet = [c for c in config["pipeline"] if c["name"] == "DIETClassifier"]
        if len(diet) != 1:
            raise SystemExit("bot/config.yml: expected one DIETClassifier")
        overrides["DIETClassifier.epochs"] = {"shipped": diet[0].get("epochs"), "used": epochs}
        diet[0]["epochs"] = epochs
    return config, overrides


COVERAGE_COMPONENT = "rasa_extensions.coverage_fallback.CoverageFallbackClassifier"


def shipped_thresholds(config: dict[str, Any]) -> Shipped:
    """The FallbackClassifier's threshold and ambiguity threshold (Rasa's defaults 0.3 and 0.1)
    and, when the pipeline has it, the CoverageFallbackClassifier's threshold."""
    components = {component["name"]: component for component in config["pipeline"]}
    fallback = components.get("FallbackClassifier")
    if fallback is None:
        raise SystemExit("bot/config.yml has no FallbackClassifier: nothing to evaluate")
    coverage = components.get(COVERAGE_COMPONENT)
    return Shipped(
        float(fallback.get("threshold", 0.3)),
        float(fallback.get("ambiguity_threshold", 0.1)),
        float(coverage.get("threshold", 0.4)) if coverage is not None else None,
    )


def digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode())
        hasher.update(b"\0")
    return hasher.hexdigest()[:12]


def component_sources(config: dict[str, Any]) -> list[str]:
    """The source of the project's own components in the pipeline: part of the model's key, so
    a changed component is retrained."""
    names = [c["name"] for c in config["pipeline"] if c["name"].startswith("rasa_extensions.")]
    modules = sorted({name.rsplit(".", 1)[0] for name in names})
    return [(ROOT / f"{module.replace('.', '/')}.py").read_text() for module in modules]


def prepare(
    splits: dict[str, list[Example]],
    config_text: str,
    sources: list[str],
    work: Path,
    names: tuple[str, ...] = tuple(VARIANTS),
) -> tuple[Path, list]:
    """Write each variant's training data and config, the queries, and the job file. Models and
    predictions are named by a hash of data, config and component sources."""
    work.mkdir(parents=True, exist_ok=True)
    queries = [
        text for split in ("val", "oos_val", "test", "oos_test") for text, _ in splits[split]
    ]
    queries_text = json.dumps(queries)
    (work / "queries.json").write_text(queries_text)
    variants = []
    for name in names:
        with_oos = VARIANTS[name]
        folder = work / name
        folder.mkdir(exist_ok=True)
        nlu_text = rasa_nlu_yaml(splits["train"] + (splits["oos_train"] if with_oos else []))
        (folder / "nlu.yml").write_text(nlu_text)
        (folder / "config.yml").write_text(config_text)
        key = digest(nlu_text, config_text, *sources)
        variants.append(
            {
                "name": name,
                "nlu": str(folder / "nlu.yml"),
                "config": str(folder / "config.yml"),
                "model": str(folder / "models" / f"nlu-{key}.tar.gz"),
                "predictions": str(folder / f"predictions-{key}-{digest(queries_text)}.json"),
            }
        )
    job = work / "job.json"
    job.write_text(json.dumps({"queries": str(work / "queries.json"), "variants": variants}))
    return job, variants


def run_rasa_job(job: Path) -> None:
    argv = [sys.executable, "-m", "stack", "with-service", "--", str(BOT_PYTHON)]
    argv += ["-m", "benchmarks.clinc150_rasa", str(job)]
    code = subprocess.run(argv, cwd=ROOT).returncode
    if code != 0:
        raise SystemExit(f"[clinc150] the Rasa job failed (exit {code})")


class CachedVectors:
    """Unit vectors from the service's embedder, computed exactly as POST /nlu/embed does (one
    text at a time), kept in one .npy file per list of texts. The model loads on first need."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seconds = 0.0
        self._embedder: Any = None

    def __call__(self, texts: list[str]) -> np.ndarray:
        path = self.folder / f"minilm-{digest(*texts)}.npy"
        if path.exists():
            return np.load(path)
        from knowledge_base.embeddings import SentenceTransformerEmbedder
        from service.nlu_views import one_at_a_time

        print(f"[clinc150] coverage: embedding {len(texts)} texts", flush=True)
        started = time.time()
        if self._embedder is None:
            self._embedder = SentenceTransformerEmbedder()
        vectors = one_at_a_time(self._embedder, texts)
        self.seconds += time.time() - started
        self.folder.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors


def nearest(train_vectors: np.ndarray, query_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query (unit vectors): the cosine similarity to the closest training example,
    and that example's row."""
    best = np.empty(len(query_vectors))
    rows = np.empty(len(query_vectors), dtype=np.int64)
    for start in range(0, len(query_vectors), 1024):
        block = query_vectors[start : start + 1024] @ train_vectors.T
        rows[start : start + 1024] = block.argmax(axis=1)
        best[start : start + 1024] = block.max(axis=1)
    return best, rows


def coverage_scores(train_vectors: np.ndarray, query_vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity of each query to its closest training example (unit vectors)."""
    return nearest(train_vectors, query_vectors)[0]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "clinc",
        type=Path,
        help="CLINC150 data_full.json (or data_small.json, data_imbalanced.json)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="default: var/results/clinc150 for data_full.json, var/results/clinc150-<variant> "
        "for data_<variant>.json (each file its own report and trained models)",
    )
    parser.add_argument("--target-recall", type=float, default=TARGET["oos_recall"])
    parser.add_argument(
        "--epochs",
        type=int,
        help="QUICK RUN ONLY: train DIET for this many epochs instead of bot/config.yml's; "
        "the report is then labelled as not the shipped config",
    )
    parser.add_argument(
        "--with-oos-only",
        action="store_true",
        help="train and report only the model with oos_train (the headline; half the time)",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = default_out(args.clinc)
    return args


def default_out(clinc: Path) -> Path:
    """Where a data file's report goes: var/results/clinc150 for the full data, a folder of its
    own for each other variant, so their reports and trained models never mix."""
    variant = clinc.stem.removeprefix("data_")
    return DEFAULT_OUT if variant == "full" else DEFAULT_OUT.with_name(f"clinc150-{variant}")


@dataclass(frozen=True)
class Coverage:
    in_scope: np.ndarray  # similarity to the closest in-scope training example
    all_examples: np.ndarray  # ... to the closest one, oos_train included (as the component)
    nearest_intent: np.ndarray  # the intent of the closest in-scope training example


def embedded(
    splits: dict[str, list[Example]], queries: list[str], vectors: CachedVectors
) -> tuple[Coverage, Vectors]:
    """Each query's coverage and the linear probe's inputs, from one read of the cached
    vectors."""
    train = [text for text, _ in splits["train"]]
    both = vectors(train + queries)  # one file: the featurizer's texts and the queries
    train_vectors, query_vectors = both[: len(train)], both[len(train) :]
    oos_train = vectors([text for text, _ in splits["oos_train"]])
    in_scope, rows = nearest(train_vectors, query_vectors)
    to_oos = coverage_scores(oos_train, query_vectors)
    intents = np.array([label for _, label in splits["train"]], dtype=object)
    coverage = Coverage(in_scope, np.maximum(in_scope, to_oos), intents[rows])
    probe = Vectors(train_vectors, oos_train, query_vectors, in_scope, tuple(queries))
    return coverage, probe


def nearest_neighbour_accuracy(splits: dict[str, list[Example]], coverage: Coverage) -> float:
    """Reference: in-scope test accuracy of taking the intent of the closest training example
    (the same all-MiniLM-L6-v2 vectors, no Rasa)."""
    start = len(splits["val"]) + len(splits["oos_val"])
    gold = [label for _, label in splits["test"]]
    predicted = coverage.nearest_intent[start : start + len(gold)]
    return float(np.mean(predicted == np.array(gold, dtype=object)))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, load_before = time.time(), os.getloadavg()
    splits = parse_clinc150(json.loads(args.clinc.read_text(encoding="utf-8")))
    shipped_text = SHIPPED_CONFIG.read_text()  # read once: other work may edit it meanwhile
    config, overrides = eval_config(yaml.safe_load(shipped_text), args.epochs)
    config_text = yaml.safe_dump(config, sort_keys=False) if overrides else shipped_text
    shipped = shipped_thresholds(config)
    names = ("with_oos_train",) if args.with_oos_only else tuple(VARIANTS)
    job, variants = prepare(
        splits, config_text, component_sources(config), args.out / "work", names
    )
    run_rasa_job(job)

    queries = json.loads((args.out / "work" / "queries.json").read_text())
    vectors = CachedVectors(ROOT / "var" / "cache" / "clinc150")
    coverage, probe = embedded(splits, queries, vectors)

    results, models, analysis = [], {}, {}
    for variant in variants:
        with_oos = VARIANTS[variant["name"]]
        output = json.loads(Path(variant["predictions"]).read_text())
        predictions = output["predictions"]
        scored = scored_splits(splits, predictions, coverage.in_scope)
        scored_all = with_coverage(scored, coverage.all_examples if with_oos else coverage.in_scope)
        model = "with oos_train" if with_oos else "without oos_train"
        rows = result_rows(model, scored, scored_all, shipped, args.target_recall, with_oos)
        results += [row for row, _ in rows]
        test = scored["test"]
        models[variant["name"]] = {
            "training": output["training"],
            # models and predictions are reused while data, config and components are unchanged
            "from_earlier_run": Path(variant["predictions"]).stat().st_mtime < started,
            "parse_seconds": output["parse_seconds"],
            "classifier_accuracy_test": round(float(test.correct_intent[test.in_scope].mean()), 4),
            **rasa_agreement(predictions, scored_all, shipped),
        }
        if with_oos:
            headline = next(detector for row, detector in rows if row["detector"] == HEADLINE)
            analysis = analyse(scored, headline, shipped.ambiguity_threshold)
    report = {
        "command": " ".join(["python -m benchmarks.clinc150_oos", *(argv or sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine_facts(load_before),
        "data": {split: len(examples) for split, examples in splits.items()},
        "config": {
            "file": "bot/config.yml",
            "sha256": hashlib.sha256(shipped_text.encode()).hexdigest()[:12],
            "overrides": overrides,
            "shipped": not overrides,
        },
        "shipped_thresholds": asdict(shipped),
        "target_recall_on_val": args.target_recall,
        "target": TARGET,
        "published": PUBLISHED,
        "models": models,
        "coverage_embedding_seconds": round(vectors.seconds, 1),
        "reference_nearest_neighbour_accuracy_test": round(
            nearest_neighbour_accuracy(splits, coverage), 4
        ),
        "results": results,
        "reference_linear_probe": linear_probe(splits, probe),
        "headline": HEADLINE,
        "analysis_shipped_detector": analysis,
        "total_seconds": round(time.time() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    (args.out / "report.md").write_text(markdown_report(report))
    print(markdown_report(report))
    print(f"[clinc150] wrote {args.out / 'report.json'} and {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
