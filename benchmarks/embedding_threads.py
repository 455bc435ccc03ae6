"""How fast one customer question is embedded, by torch thread count, on a quiet and on a busy
machine.

    python -m benchmarks.embedding_threads [--queries 60] [--load-seconds 40]
        [--json benchmarks/results/embedding_threads.json]

The service embeds every question (POST /kb/search, POST /nlu/embed) with all-MiniLM-L6-v2 on
the cores it shares with Rasa and the action server. torch's default is one thread per core;
when other processes keep the cores busy, those threads wait for each other and one short
question can take a hundred times longer. Each measurement runs in a fresh process (the thread
count is per process): `threads` 1 and torch's default, first with the machine as it is, then
with one busy process per core beside it (a pure-Python loop, bounded by --load-seconds), the
two thread counts interleaved so noise hits both. Reports p50 / p95 per condition and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "embedding_threads.json"
QUESTIONS = (
    "my camera is offline",
    "how do I pay with paypal",
    "when will my refund show up on my card?",
    "the hub light keeps blinking orange",
    "can I change the address on an order I just placed",
)


def measure(threads: int, queries: int) -> dict[str, float]:
    """In this process: embed `queries` questions one at a time with `threads` torch threads
    (0: torch's default) and return p50 / p95 in ms."""
    import torch

    from knowledge_base.embeddings import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(threads=threads or None)
    embedder.embed(list(QUESTIONS[:2]))  # warm up
    timings = []
    for number in range(queries):
        started = time.perf_counter()
        embedder.embed([QUESTIONS[number % len(QUESTIONS)]])
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "threads": torch.get_num_threads(),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
    }


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def run_child(threads: int, queries: int) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.embedding_threads", "--child", str(threads)]
    command += ["--queries", str(queries)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def conditions(queries: int, load_seconds: float) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for load in ("as is", "one busy process per core"):
        busy = []
        if load != "as is":
            busy = [
                multiprocessing.Process(target=_busy, args=(load_seconds,), daemon=True)
                for _ in range(os.cpu_count() or 1)
            ]
            for process in busy:
                process.start()
        try:
            default, single = run_child(0, queries), run_child(1, queries)
        finally:
            for process in busy:
                process.terminate()
                process.join()
        results[load] = {
            "torch default": default,
            "one thread": single,
            "p50 ratio default / one": round(default["p50_ms"] / single["p50_ms"], 2),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--load-seconds", type=float, default=40.0)
    parser.add_argument("--json", type=Path, default=RESULT)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child, args.queries)))
        return 0
    before = os.getloadavg()
    figures = conditions(args.queries, args.load_seconds)
    result = {
        "command": "python -m benchmarks.embedding_threads " + " ".join(argv or sys.argv[1:]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": [round(value, 2) for value in before],
        },
        "queries_per_condition": args.queries,
        "results": figures,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
