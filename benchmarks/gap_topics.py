"""Gap topics on BANKING77: the 3,080 test questions treated as unanswered, grouped by meaning.

    python -m benchmarks.gap_topics PATH [--json benchmarks/results/gap_topics.json]
        [--held-out 500] [--seed 0]

PATH is the banking77 folder (../shared/datasets/banking77: test.csv, train.csv; never copied
into the repo). Service env. The questions are embedded with the service's model
(all-MiniLM-L6-v2 on ONNX Runtime, knowledge_base.onnx_embedder.OnnxEmbedder, one thread), timed
on its own; then `content.gap_topics.cluster_questions` groups all 3,080 with the shipped
thresholds (`GapTopicSettings()`, chosen on the train split by benchmarks/gap_topics_tune.py,
never on test) and the topics are scored against the 77 intent labels: V-measure (with its
homogeneity and completeness) and the adjusted Rand index (sklearn.metrics).

Incremental assignment: `--held-out` test questions (a seeded draw) are left out, the rest
clustered, then each held-out question is embedded alone and given to `assign_question` one at a
time, the topics updated after each as a store would; p50 / p95 of the assignment alone and of
embedding + assignment, and the V-measure of the labelling that results (clustered + assigned).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics

from benchmarks.bench_stack import write_result
from benchmarks.stats import percentile
from content.gap_topics import (
    DEFAULT_SETTINGS,
    GapTopicSettings,
    Question,
    Topic,
    assign_question,
    cluster_questions,
)
from knowledge_base.embeddings import DEFAULT_THREADS, MODEL_NAME, Embedder
from stack.config import ROOT

RESULT = ROOT / "benchmarks" / "results" / "gap_topics.json"
ONNX_FOLDER = ROOT / "var" / "cache" / "onnx"  # the service's KB_ONNX_DIR default
GOALS = {"v_measure_at_least": 0.75, "cluster_seconds_at_most": 10.0, "assign_p95_ms_at_most": 20.0}
TUNED_ON = (
    "BANKING77 train split (10,003 questions): random samples of 3,080, the test split's size "
    "(benchmarks/gap_topics_tune.py, benchmarks/results/gap_topics_tuning.json); the test split "
    "was not used to choose anything"
)


def load_banking77(folder: Path, split: str) -> tuple[list[str], list[str]]:
    """The texts and intent labels of one split (`train` or `test`) of BANKING77's CSV files."""
    path = folder / f"{split}.csv"
    try:
        with path.open(newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
    except OSError as error:
        raise SystemExit(f"cannot read {path}: {error}") from error
    if not rows or set(rows[0]) != {"text", "category"}:
        raise SystemExit(f"{path}: expected the columns text,category")
    return [row["text"] for row in rows], [row["category"] for row in rows]


def service_embedder() -> Embedder:
    """all-MiniLM-L6-v2 as service/app.py runs it (ONNX Runtime, one thread)."""
    from knowledge_base.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(ONNX_FOLDER)


def as_questions(texts: list[str], vectors: np.ndarray) -> list[Question]:
    return [Question(f"q{row}", text, vectors[row]) for row, text in enumerate(texts)]


def labelling(topics: list[Topic], question_ids: list[str]) -> list[str]:
    """The topic id of each question, in the order of `question_ids`."""
    topic_of = {member: topic.topic_id for topic in topics for member in topic.member_ids}
    return [topic_of[question_id] for question_id in question_ids]


def quality(labels: list[str], topics: list[str]) -> dict[str, float]:
    homogeneity, completeness, v_measure = metrics.homogeneity_completeness_v_measure(
        labels, topics
    )
    return {
        "v_measure": round(float(v_measure), 4),
        "homogeneity": round(float(homogeneity), 4),
        "completeness": round(float(completeness), 4),
        "adjusted_rand": round(float(metrics.adjusted_rand_score(labels, topics)), 4),
    }


def topic_counts(topics: list[Topic]) -> dict[str, int]:
    return {
        "topics": len(topics),
        "single_question_topics": sum(1 for topic in topics if topic.size == 1),
        "largest_topic": max((topic.size for topic in topics), default=0),
    }


def full_clustering(
    texts: list[str], labels: list[str], model: Embedder, settings: GapTopicSettings
) -> tuple[dict[str, Any], np.ndarray]:
    """Embed every question (batched, timed), cluster them all (timed), score the topics."""
    started = time.perf_counter()
    vectors = model.embed(texts)
    embed_seconds = time.perf_counter() - started
    questions = as_questions(texts, vectors)
    started = time.perf_counter()
    topics = cluster_questions(questions, settings)
    cluster_seconds = time.perf_counter() - started
    found = labelling(topics, [question.question_id for question in questions])
    figures = {
        "questions": len(texts),
        **quality(labels, found),
        "cluster_seconds": round(cluster_seconds, 3),
        "embed_seconds": round(embed_seconds, 3),
        **topic_counts(topics),
        "examples": [
            {"size": topic.size, "representative": topic.representative.text}
            for topic in topics[:5]
        ],
    }
    return figures, vectors


def incremental(
    texts: list[str],
    labels: list[str],
    vectors: np.ndarray,
    model: Embedder,
    settings: GapTopicSettings,
    held_out: int,
    seed: int,
) -> dict[str, Any]:
    """Cluster all but `held_out` questions, then embed and assign those one at a time."""
    order = np.random.default_rng(seed).permutation(len(texts))
    late = set(order[:held_out].tolist())
    questions = as_questions(texts, vectors)
    topics = cluster_questions([q for row, q in enumerate(questions) if row not in late], settings)
    position = {topic.topic_id: index for index, topic in enumerate(topics)}
    assign_ms, with_embedding_ms, joined = [], [], 0
    for row in sorted(late):
        started = time.perf_counter()
        vector = model.embed([texts[row]])[0]
        embedded = time.perf_counter()
        assignment = assign_question(topics, Question(f"q{row}", texts[row], vector), settings)
        finished = time.perf_counter()
        assign_ms.append((finished - embedded) * 1000)
        with_embedding_ms.append((finished - started) * 1000)
        joined += assignment.joined
        topic = assignment.topic
        if topic.topic_id in position:
            topics[position[topic.topic_id]] = topic
        else:
            position[topic.topic_id] = len(topics)
            topics.append(topic)
    found = labelling(topics, [question.question_id for question in questions])
    return {
        "held_out": held_out,
        "seed": seed,
        "joined_a_topic": joined,
        "started_a_topic": held_out - joined,
        "assign_p50_ms": round(statistics.median(assign_ms), 3),
        "assign_p95_ms": round(percentile(assign_ms, 0.95), 3),
        "with_embedding_p50_ms": round(statistics.median(with_embedding_ms), 3),
        "with_embedding_p95_ms": round(percentile(with_embedding_ms, 0.95), 3),
        "after_assignment": {**quality(labels, found), **topic_counts(topics)},
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("banking77", type=Path, help="the folder with test.csv (and train.csv)")
    parser.add_argument("--json", type=Path, default=RESULT)
    parser.add_argument("--held-out", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    texts, labels = load_banking77(args.banking77, "test")
    if not 0 < args.held_out < len(texts):
        raise SystemExit(f"--held-out must be between 1 and {len(texts) - 1}")
    load_before = os.getloadavg()
    model = service_embedder()
    model.embed(["warm up the model"])
    settings = DEFAULT_SETTINGS
    full, vectors = full_clustering(texts, labels, model, settings)
    late = incremental(texts, labels, vectors, model, settings, args.held_out, args.seed)
    command = "python -m benchmarks.gap_topics " + " ".join(sys.argv[1:] if argv is None else argv)
    result: dict[str, Any] = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "model": f"{MODEL_NAME} (ONNX Runtime, {DEFAULT_THREADS} thread)",
        "algorithm": "agglomerative, average linkage, cosine distance (sklearn); incremental: "
        "mean cosine similarity to a topic's members (question . centroid)",
        "settings": {
            "merge_distance": settings.merge_distance,
            "join_similarity": settings.join_similarity,
        },
        "tuned_on": TUNED_ON,
        "goals": GOALS,
        "v_measure": full["v_measure"],
        "adjusted_rand": full["adjusted_rand"],
        "cluster_seconds": full["cluster_seconds"],
        "embed_seconds": full["embed_seconds"],
        "assign_p50_ms": late["assign_p50_ms"],
        "assign_p95_ms": late["assign_p95_ms"],
        "topics": full["topics"],
        "figures": {"full_clustering": full, "incremental": late},
    }
    result["goals_met"] = {
        "v_measure": result["v_measure"] >= GOALS["v_measure_at_least"],
        "cluster_seconds": result["cluster_seconds"] <= GOALS["cluster_seconds_at_most"],
        "assign_p95_ms": result["assign_p95_ms"] <= GOALS["assign_p95_ms_at_most"],
    }
    write_result(result, args.json)


if __name__ == "__main__":
    main()
