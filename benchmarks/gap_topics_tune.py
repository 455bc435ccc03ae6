"""How the gap topics' thresholds were chosen: on BANKING77's train split only.

    python -m benchmarks.gap_topics_tune PATH [--json benchmarks/results/gap_topics_tuning.json]
        [--samples 3] [--cache var/cache/banking77]

PATH is the banking77 folder (train.csv is read; test.csv is not). Service env. The 10,003
train questions are embedded once with the service's model (cached by text hash,
knowledge_base.embeddings.CachedEmbedder). `--samples` seeded draws of 3,080 questions (the
test split's size, so the thresholds see the density they will be measured at) are each:

1. clustered with `content.gap_topics.cluster_questions` at every `merge_distance` of a grid;
2. clustered without the late questions (every question of 10 intents, which must start new
   topics, and 500 others, which should join) at the chosen distance, the late ones then
   assigned one at a time with `assign_question` at every `join_similarity` of a grid.

Each threshold is chosen by the mean of V-measure and adjusted Rand index against the intent
labels, averaged over the samples: V-measure alone keeps rising as topics split into hundreds
of small ones, the adjusted Rand index falls when they do.

Beside them, for the record, the alternatives considered: ward linkage (scipy, Euclidean on
the unit vectors) over the same samples, HDBSCAN (sklearn.cluster.HDBSCAN, noise points as
topics of their own) on the first sample, and how the chosen cut and ward's best hold on 770
and 10,003 questions (a fixed threshold must work at any volume of unanswered questions).
The chosen values become `GapTopicSettings`' defaults by hand; this command never edits code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics

from benchmarks.bench_stack import write_result
from benchmarks.gap_topics import as_questions, labelling, load_banking77, service_embedder
from content.gap_topics import (
    GapTopicSettings,
    Question,
    Topic,
    assign_question,
    cluster_questions,
)
from knowledge_base.embeddings import CachedEmbedder
from stack.config import ROOT

RESULT = ROOT / "benchmarks" / "results" / "gap_topics_tuning.json"
CACHE = ROOT / "var" / "cache" / "banking77"
SAMPLE_SIZE = 3080  # the test split's size
HELD_OUT = 500
UNSEEN_INTENTS = 10
MERGE_DISTANCES = [round(float(x), 3) for x in np.arange(0.30, 0.601, 0.025)]
JOIN_SIMILARITIES = [round(float(x), 3) for x in np.arange(0.35, 0.801, 0.025)]
WARD_DISTANCES = [1.6, 2.0, 2.4, 2.8, 3.2]
HDBSCAN_GRID = [(5, 1), (10, 1), (20, 1), (5, 5)]  # (min_cluster_size, min_samples)
ROBUSTNESS_SIZES = (770, 10003)
Sample = tuple[list[str], np.ndarray]


def scores(labels: list[str], found: Any) -> dict[str, float]:
    """V-measure and adjusted Rand index of `found` against the intent labels, and their mean
    (what a threshold is chosen by: V-measure alone keeps rising as topics split into
    hundreds of small ones; the adjusted Rand index falls when they do)."""
    v_measure = float(metrics.v_measure_score(labels, found))
    adjusted_rand = float(metrics.adjusted_rand_score(labels, found))
    return {
        "v_measure": v_measure,
        "adjusted_rand": adjusted_rand,
        "criterion": (v_measure + adjusted_rand) / 2,
    }


def mean_row(key: str, value: float, runs: list[dict[str, float]]) -> dict[str, Any]:
    row: dict[str, Any] = {key: value}
    for name in runs[0]:
        row[name] = round(float(np.mean([run[name] for run in runs])), 4)
    print(row, flush=True)
    return row


def draw_samples(labels: list[str], vectors: np.ndarray, count: int) -> list[Sample]:
    samples = []
    for seed in range(count):
        rows = np.random.default_rng(1000 + seed).choice(len(labels), SAMPLE_SIZE, replace=False)
        samples.append(([labels[row] for row in rows], vectors[rows]))
    return samples


def sweep_merge(samples: list[Sample]) -> list[dict[str, Any]]:
    """The full clustering (content.gap_topics, average linkage) at each merge distance."""
    table = []
    for distance in MERGE_DISTANCES:
        settings = GapTopicSettings(merge_distance=distance)
        runs = []
        for labels, vectors in samples:
            questions = as_questions(labels, vectors)
            started = time.perf_counter()
            topics = cluster_questions(questions, settings)
            seconds = time.perf_counter() - started
            found = labelling(topics, [question.question_id for question in questions])
            runs.append(
                {
                    **scores(labels, found),
                    "topics": len(topics),
                    "single_question_topics": sum(1 for topic in topics if topic.size == 1),
                    "seconds": seconds,
                }
            )
        table.append(mean_row("merge_distance", distance, runs))
    return table


def late_rows(labels: list[str], seed: int) -> list[int]:
    """The questions assigned one at a time: every question of UNSEEN_INTENTS intents (they
    must start new topics) and HELD_OUT others drawn at random (they should join)."""
    rng = np.random.default_rng(seed)
    unseen = set(rng.choice(sorted(set(labels)), UNSEEN_INTENTS, replace=False).tolist())
    late = {row for row, label in enumerate(labels) if label in unseen}
    others = [row for row in rng.permutation(len(labels)).tolist() if row not in late]
    return sorted(late | set(others[:HELD_OUT]))


def assigned_labelling(
    topics: list[Topic], late: list[int], questions: list[Question], join: float
) -> list[str]:
    """Assign the `late` questions one at a time to (a copy of) `topics`; every topic id."""
    settings = GapTopicSettings(join_similarity=join)
    topics = list(topics)
    position = {topic.topic_id: index for index, topic in enumerate(topics)}
    for row in late:
        topic = assign_question(topics, questions[row], settings).topic
        if topic.topic_id in position:
            topics[position[topic.topic_id]] = topic
        else:
            position[topic.topic_id] = len(topics)
            topics.append(topic)
    return labelling(topics, [question.question_id for question in questions])


def sweep_join(samples: list[Sample], merge_distance: float) -> list[dict[str, Any]]:
    """Cluster the early questions at `merge_distance`, assign the late ones at each join
    similarity, score the whole labelling."""
    runs: dict[float, list[dict[str, float]]] = {join: [] for join in JOIN_SIMILARITIES}
    for seed, (labels, vectors) in enumerate(samples):
        questions = as_questions(labels, vectors)
        late = late_rows(labels, seed)
        left_out = set(late)
        early = [q for row, q in enumerate(questions) if row not in left_out]
        topics = cluster_questions(early, GapTopicSettings(merge_distance=merge_distance))
        for join in JOIN_SIMILARITIES:
            found = assigned_labelling(topics, late, questions, join)
            runs[join].append({**scores(labels, found), "assigned": len(late)})
    return [mean_row("join_similarity", join, values) for join, values in runs.items()]


def ward_reference(samples: list[Sample]) -> list[dict[str, Any]]:
    """Ward linkage (Euclidean on the unit vectors; scipy, which sklearn's ward also cuts)."""
    from scipy.cluster import hierarchy

    trees = [(labels, hierarchy.linkage(vectors, method="ward")) for labels, vectors in samples]
    table = []
    for distance in WARD_DISTANCES:
        runs = []
        for labels, tree in trees:
            found = hierarchy.fcluster(tree, distance, criterion="distance")
            runs.append({**scores(labels, found), "topics": len(set(found.tolist()))})
        table.append(mean_row("ward_distance", distance, runs))
    return table


def hdbscan_reference(labels: list[str], vectors: np.ndarray) -> list[dict[str, Any]]:
    """sklearn's HDBSCAN (Euclidean on the unit vectors), noise points as topics of their own."""
    from sklearn.cluster import HDBSCAN

    table = []
    for min_cluster_size, min_samples in HDBSCAN_GRID:
        model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True)
        started = time.perf_counter()
        found = model.fit_predict(vectors)
        seconds = time.perf_counter() - started
        noise = found < 0
        found = np.where(noise, found.max() + 1 + np.arange(len(found)), found)
        run = {**scores(labels, found), "noise_share": float(noise.mean()), "seconds": seconds}
        table.append(mean_row("min_cluster_size", min_cluster_size, [run]))
        table[-1]["min_samples"] = min_samples
    return table


def robustness(
    labels: list[str], vectors: np.ndarray, merge_distance: float, ward_distance: float
) -> list[dict[str, Any]]:
    """The chosen average-linkage cut and ward's best cut on fewer and more questions than
    they were chosen on: does a fixed threshold keep its quality as the volume changes?"""
    from scipy.cluster import hierarchy

    table = []
    for size in ROBUSTNESS_SIZES:
        rows = np.random.default_rng(7).choice(len(labels), size, replace=False)
        sample_labels, sample_vectors = [labels[row] for row in rows], vectors[rows]
        questions = as_questions(sample_labels, sample_vectors)
        topics = cluster_questions(questions, GapTopicSettings(merge_distance=merge_distance))
        found = labelling(topics, [question.question_id for question in questions])
        average = {**scores(sample_labels, found), "topics": len(topics)}
        tree = hierarchy.linkage(sample_vectors, method="ward")
        ward_found = hierarchy.fcluster(tree, ward_distance, criterion="distance")
        ward = {**scores(sample_labels, ward_found), "topics": len(set(ward_found.tolist()))}
        table.append(
            {
                "questions": size,
                "average_linkage": {k: round(v, 4) for k, v in average.items()},
                "ward": {k: round(v, 4) for k, v in ward.items()},
            }
        )
        print(table[-1], flush=True)
    return table


def best(table: list[dict[str, Any]], key: str) -> float:
    return float(max(table, key=lambda row: row["criterion"])[key])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("banking77", type=Path, help="the folder with train.csv")
    parser.add_argument("--json", type=Path, default=RESULT)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    texts, labels = load_banking77(args.banking77, "train")
    started = time.perf_counter()
    vectors = CachedEmbedder(service_embedder(), args.cache).embed(texts).astype(np.float64)
    embed_seconds = time.perf_counter() - started
    samples = draw_samples(labels, vectors, args.samples)
    merge = sweep_merge(samples)
    best_merge = best(merge, "merge_distance")
    join = sweep_join(samples, best_merge)
    ward = ward_reference(samples)
    write_result(
        {
            "command": "python -m benchmarks.gap_topics_tune " + " ".join(sys.argv[1:]),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(),
            "data": f"BANKING77 train ({len(texts)} questions), {args.samples} seeded samples "
            f"of {SAMPLE_SIZE}; for the join threshold, all questions of {UNSEEN_INTENTS} "
            f"intents and {HELD_OUT} others of each sample assigned one at a time",
            "chosen_by": "the highest mean of V-measure and adjusted Rand index, averaged "
            "over the samples",
            "embed_seconds_or_cache": round(embed_seconds, 2),
            "chosen": {
                "merge_distance": best_merge,
                "join_similarity": best(join, "join_similarity"),
            },
            "merge_distance_sweep": merge,
            "join_similarity_sweep": join,
            "ward_reference": ward,
            "hdbscan_reference_first_sample": hdbscan_reference(*samples[0]),
            "robustness_to_volume": robustness(
                labels, vectors, best_merge, best(ward, "ward_distance")
            ),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
