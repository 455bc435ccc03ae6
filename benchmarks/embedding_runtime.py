"""all-MiniLM-L6-v2 on ONNX Runtime vs sentence-transformers on torch: speed and agreement.

    python -m benchmarks.embedding_runtime [--clinc ../shared/datasets/clinc150/data_full.json]
        [--json benchmarks/results/embedding_runtime.json]

Both with one thread, in one process, as the service runs them. Speed: every customer
question of data/kb_questions.yml and data/kb_customer_questions.yml embedded one at a time (as
/nlu/embed and the KB search do), the two runtimes interleaved question by question so noise hits
both; p50 / p95 per runtime and their ratio. Agreement: the cosine of the two vectors of every
question, every article passage and, with --clinc, every CLINC150 test utterance (in-scope and
out-of-scope): minimum, 0.1st percentile and median. Retrieval figures with ONNX come from
`make eval-kb` (which embeds as the service does); BENCHMARKS.md compares them with torch's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from benchmarks.bench_stack import write_result
from benchmarks.stats import percentile
from knowledge_base.articles import load_articles
from knowledge_base.embeddings import Embedder, SentenceTransformerEmbedder
from knowledge_base.index import passages_for
from knowledge_base.onnx_embedder import OnnxEmbedder
from stack.config import ROOT

QUESTION_FILES = ("kb_questions.yml", "kb_customer_questions.yml")


def questions() -> list[str]:
    texts: list[str] = []
    for name in QUESTION_FILES:
        rows = yaml.safe_load((ROOT / "data" / name).read_text())["questions"]
        texts += [str(row["text"]) for row in rows]
    return texts


def clinc_test_texts(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    return [text for text, _ in data["test"] + data["oos_test"]]


def timed(model: Embedder, text: str) -> float:
    started = time.perf_counter()
    model.embed([text])
    return (time.perf_counter() - started) * 1000


def speed(models: dict[str, Embedder], texts: list[str]) -> dict[str, Any]:
    times: dict[str, list[float]] = {name: [] for name in models}
    for model in models.values():
        model.embed(texts[:5])  # warm
    for number, text in enumerate(texts):
        order = list(models) if number % 2 == 0 else list(reversed(models))
        for name in order:
            times[name].append(timed(models[name], text))
    figures: dict[str, Any] = {
        name: {
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
        }
        for name, values in times.items()
    }
    figures["onnx_over_torch_p50"] = round(
        figures["onnx"]["p50_ms"] / figures["torch"]["p50_ms"], 2
    )
    figures["questions"] = len(texts)
    return figures


def agreement(models: dict[str, Embedder], texts: list[str]) -> dict[str, Any]:
    cosines: list[float] = []
    for start in range(0, len(texts), 64):
        batch = texts[start : start + 64]
        onnx = np.vstack([models["onnx"].embed([text]) for text in batch])
        torch = np.vstack([models["torch"].embed([text]) for text in batch])
        cosines += [float(c) for c in (onnx * torch).sum(axis=1)]
    return {
        "texts": len(texts),
        "min_cosine": round(min(cosines), 6),
        "p0_1_cosine": round(percentile(cosines, 0.001), 6),
        "median_cosine": round(statistics.median(cosines), 6),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clinc", type=Path, help="CLINC150 data_full.json (test utterances)")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "embedding_runtime.json"
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as cache:
        models: dict[str, Embedder] = {
            "onnx": OnnxEmbedder(Path(cache)),
            "torch": SentenceTransformerEmbedder(),
        }
        asked = questions()
        articles, _ = load_articles(ROOT / "knowledge_base" / "articles")
        passages = [p.text for article in articles for p in passages_for(article)]
        result: dict[str, Any] = {
            "command": "python -m benchmarks.embedding_runtime " + " ".join(sys.argv[1:]),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "load_average_before": [round(v, 2) for v in load_before],
            "speed_one_question": speed(models, asked),
            "agreement": {
                "kb_questions": agreement(models, asked),
                "article_passages": agreement(models, passages),
            },
        }
        if args.clinc:
            result["agreement"]["clinc150_test"] = agreement(models, clinc_test_texts(args.clinc))
        result["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
