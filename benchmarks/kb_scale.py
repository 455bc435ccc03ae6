"""The knowledge base at 10,000 sections: cold start, warm start, search and edit-to-answer.

    python -m benchmarks.kb_scale [--sections 10000] [--queries 300] [--edits 10]
        [--json benchmarks/results/kb_scale.json]

Generates articles in the project's format (front matter with questions and synonyms; an
introduction and four `## ` sections each, so 2,000 articles make 10,000 sections) in a temp
folder, from templates and the real articles' sentences with a fixed seed, and an empty
embedding cache in a temp folder. Then, in this process, wired as service/app.py wires it
(KnowledgeBase + CachedEmbedder + the model on ONNX Runtime, or on torch with `--runtime
torch`, one thread; RecentVectors for the questions; the `watch()` loop in a thread of its own):

- cold start: from the start of the watch loop until the first searchable index, and until
  every section is embedded (the cache is empty, so everything is embedded);
- warm start: a second KnowledgeBase on the same folder and the now-full cache;
- search: p50 / p95 over `--queries` questions three ways: the question embedded in the search
  (a fresh text), the service's path (the NLU embedded the message earlier in the turn, the
  search reuses the vector from RecentVectors) and the index alone (a vector given);
- edit to answer: a unique new sentence written into one article's section, then the search
  is asked for it every 20 ms until the answer holds it; the median of `--edits` edits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_stack import write_result
from knowledge_base.articles import load_articles
from knowledge_base.embeddings import (
    DEFAULT_THREADS,
    CachedEmbedder,
    Embedder,
    SentenceTransformerEmbedder,
)
from knowledge_base.library import KnowledgeBase
from knowledge_base.recent_vectors import RecentVectors

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "knowledge_base" / "articles"
RESULT = ROOT / "benchmarks" / "results" / "kb_scale.json"
SECTIONS_PER_ARTICLE = 5  # an introduction and four headed sections
THRESHOLD = 0.5
SEED = 15

PRODUCTS = (
    "Sentinel Cam",
    "Sentinel Doorbell",
    "Hearthly Hub",
    "Glow bulbs",
    "Hearth Thermostat",
    "Hearthly Plus",
    "Sentinel Floodlight",
    "Glow strip",
    "Hearthly Lock",
    "Sentinel Siren",
    "Hearth Sensor",
    "Glow plug",
    "Hearthly Keypad",
    "Sentinel Chime",
    "Hearth Vent",
)
TOPICS = (
    ("set up", "setup"),
    ("return", "returns"),
    ("pay for", "payments"),
    ("reset", "troubleshooting"),
    ("update", "firmware"),
    ("ship", "shipping"),
    ("repair", "warranty"),
    ("cancel", "orders"),
    ("pair", "troubleshooting"),
    ("mount", "setup"),
    ("share", "account"),
    ("clean", "care"),
    ("recycle", "care"),
    ("insure", "warranty"),
    ("gift", "orders"),
    ("upgrade", "account"),
)
HEADINGS = (
    "How do I {verb} my {product}?",
    "What does it cost to {verb} the {product}?",
    "How long does it take to {verb} a {product}?",
    "What if I can't {verb} my {product}?",
    "Who can {verb} a {product} for me?",
    "Can I {verb} a {product} bought from a store?",
    "What do I need before I {verb} the {product}?",
    "Why won't my {product} let me {verb} it?",
    "When should I {verb} my {product}?",
    "Where do I {verb} a {product} outside the US?",
)
QUESTIONS = (
    "how do i {verb} my {product}",
    "{verb} {product} cost?",
    "cant {verb} the {product} help",
    "is it possible to {verb} a {product} in {region}",
    "{product} {verb} takes how long",
)
STEPS = (
    "Open the Hearthly app and tap {product}, then Settings.",
    "Keep your {product} within {number} feet of the Hearthly Hub while you {verb} it.",
    "It usually takes {number} minutes to {verb} a {product}; the light turns green when done.",
    "To {verb} a {product} in {region}, our {team} team needs the order number.",
    "We charge ${number}.95 to {verb} a {product} after the first {number} days.",
    "If you can't {verb} the {product}, restart it by holding the button for {number} seconds.",
    "Hearthly Plus members can {verb} up to {number} {product} devices at no cost.",
)
REGIONS = ("Canada", "Alaska", "Hawaii", "Puerto Rico", "a PO box", "a hotel", "an office")
TEAMS = ("billing", "returns", "technical", "orders", "accounts")


def real_sentences() -> list[str]:
    """Sentences of the real articles' sections, to make the generated text read like ours."""
    articles, _ = load_articles(ARTICLES)
    sentences = []
    for article in articles:
        for section in article.sections:
            for sentence in re.split(r"(?<=[.!?])\s+", section.text.replace("\n", " ")):
                if 40 <= len(sentence) <= 220 and not sentence.startswith(("-", "|", "*")):
                    sentences.append(sentence)
    return sentences


def generate_articles(folder: Path, count: int, seed: int = SEED) -> list[tuple[str, str]]:
    """Write `count` articles; returns (question, article id) pairs, one per article."""
    chance = random.Random(seed)
    pool = real_sentences()
    asked = []
    for number in range(count):
        product = PRODUCTS[number % len(PRODUCTS)]
        verb, category = TOPICS[(number // len(PRODUCTS)) % len(TOPICS)]
        region = chance.choice(REGIONS)
        article_id = (
            f"gen-{number:05d}-{re.sub(r'[^a-z0-9]+', '-', (verb + ' ' + product).lower())}"
        )

        def fill(
            template: str, verb: str = verb, product: str = product, region: str = region
        ) -> str:
            return template.format(
                verb=verb,
                product=product,
                region=region,
                team=chance.choice(TEAMS),
                number=chance.randint(2, 90),
            )

        headings = [fill(h) for h in chance.sample(HEADINGS, SECTIONS_PER_ARTICLE - 1)]
        body = [f"This article explains how to {verb} your {product} (guide {number})."]
        for heading in headings:
            lines = [fill(chance.choice(STEPS)) for _ in range(2)] + chance.sample(pool, 2)
            chance.shuffle(lines)
            body.append(f"\n## {heading}\n" + " ".join(lines))
        questions = [fill(q) for q in chance.sample(QUESTIONS, 2)]
        front = "\n".join(
            (
                "---",
                f"id: {article_id}",
                f"title: How to {verb} your {product} ({number})",
                f"category: {category}",
                f"team: {chance.choice(TEAMS)}",
                f"tags: [{verb}, {product.lower()}, {category}]",
                "status: published",
                "updated: 2026-11-01",
                "questions:",
                f'  - "{questions[0]}"',
                f'  - {{question: "{questions[1]}", section: "{headings[0]}"}}',
                f'synonyms: ["{product.split()[-1].lower()}", "{verb}"]',
                "---",
            )
        )
        (folder / f"{article_id}.md").write_text(front + "\n" + "\n".join(body) + "\n")
        asked.append((fill(chance.choice(QUESTIONS)) + f" guide {number}", article_id))
    return asked


class Watched:
    """A KnowledgeBase with its watch() loop running in a thread, as the service runs it."""

    def __init__(self, knowledge_base: KnowledgeBase, interval: float = 0.5) -> None:
        self.knowledge_base = knowledge_base
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(self._watch(interval))
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._task)

    async def _watch(self, interval: float) -> None:
        # the service awaits a first refresh, then watches (the old code); a library that
        # loads in the watch loop itself returns from refresh at once with what it has
        await self._loop.run_in_executor(None, self.knowledge_base.refresh)
        await self.knowledge_base.watch(interval)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=30)


def loaded(knowledge_base: KnowledgeBase) -> bool:
    return getattr(knowledge_base, "_state", None) is not None


def still_embedding(knowledge_base: KnowledgeBase) -> int:
    return int(getattr(knowledge_base.state, "embedding", 0))  # 0: the old library


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> float:
    """Seconds until condition() holds (raises after timeout)."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the knowledge base did not get there in time")
        time.sleep(step)
    return time.perf_counter() - started


def start(folder: Path, cache: Path, model: Embedder) -> dict[str, Any]:
    recent = RecentVectors(model)
    knowledge_base = KnowledgeBase(
        folder, CachedEmbedder(model, cache), query_embedder=recent.reusing()
    )
    watched = Watched(knowledge_base)
    started = time.perf_counter()
    watched.start()
    searchable = wait_for(lambda: loaded(knowledge_base), 1800)
    first_passages = len(knowledge_base.state.index.passages)
    wait_for(lambda: still_embedding(knowledge_base) == 0, 1800)
    complete = time.perf_counter() - started
    return {
        "watched": watched,
        "recent": recent,
        "figures": {
            "to_searchable_s": round(searchable, 2),
            "passages_when_first_searchable": first_passages,
            "to_fully_embedded_s": round(complete, 2),
            "passages": len(knowledge_base.state.index.passages),
        },
    }


def percentiles(timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2),
    }


def measure_search(
    knowledge_base: KnowledgeBase, recent: RecentVectors, asked: list[tuple[str, str]], count: int
) -> dict[str, Any]:
    chance = random.Random(SEED + 1)
    questions = chance.sample(asked, min(count, len(asked)))
    embedded, reused, index_only, right = [], [], [], 0
    for round_number, (question, article_id) in enumerate(questions):
        index = knowledge_base.state.index
        fresh = f"{question} ({round_number})"  # a text RecentVectors has not seen
        started = time.perf_counter()
        result = index.search(fresh, THRESHOLD)
        embedded.append((time.perf_counter() - started) * 1000)
        right += bool(result.best and result.best.article.id == article_id)
        recent.embed([question])  # the NLU's call earlier in the turn
        started = time.perf_counter()
        index.search(question, THRESHOLD)
        reused.append((time.perf_counter() - started) * 1000)
        vector = recent.recalled(question)  # the NLU's vector: time the index's own work
        assert vector is not None
        started = time.perf_counter()
        index.ranked(question, THRESHOLD, index._vectors @ vector)  # as passage_scores does
        index_only.append((time.perf_counter() - started) * 1000)
    return {
        "questions": len(questions),
        "top1_right": round(right / len(questions), 3),
        "with_query_embedding": percentiles(embedded),
        "reusing_the_nlu_vector": percentiles(reused),
        "index_only": percentiles(index_only),
    }


def measure_edits(knowledge_base: KnowledgeBase, folder: Path, edits: int) -> dict[str, Any]:
    chance = random.Random(SEED + 2)
    files = sorted(folder.glob("*.md"))
    timings = []
    for _edit in range(edits):
        path = chance.choice(files)
        word = "".join(chance.choice("bdfgklmnprstvz") + chance.choice("aeiou") for _ in range(4))
        section = (
            f"\n## How do I connect the {word} adapter?\n"
            f"Plug the {word} adapter into the grey port, then wait for the light.\n"
        )
        original = path.read_text()
        path.write_text(original.rstrip() + "\n" + section)
        started = time.perf_counter()

        def answered(word: str = word) -> bool:
            best = knowledge_base.state.index.search(
                f"how do I connect the {word} adapter", THRESHOLD
            ).best
            return best is not None and word in best.section.text

        wait_for(answered, 60, step=0.02)
        timings.append(time.perf_counter() - started)
        path.write_text(original)  # the next edit's answer must not be this one's
        time.sleep(1.5)
    return {
        "edits": edits,
        "median_s": round(statistics.median(timings), 3),
        "max_s": round(max(timings), 3),
        "all_s": [round(t, 3) for t in timings],
    }


def sentence_model(runtime: str, onnx_folder: Path) -> Embedder:
    """The model as service/app.py's sentence_model builds it (the ONNX graph is exported into
    a folder of its own, before any timing)."""
    if runtime == "torch":
        return SentenceTransformerEmbedder()
    from knowledge_base.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(onnx_folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--json", type=Path, default=RESULT)
    parser.add_argument(
        "--runtime",
        choices=("onnx", "torch"),
        default="onnx",
        help="the model's runtime, as KB_EMBEDDING_RUNTIME (the service's default: onnx)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep the embedding cache in this folder (default: a temp folder, a cold start)",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as temp:
        model = sentence_model(args.runtime, Path(temp) / "onnx")
        model.embed(["warm up the model"])
        folder, cache = Path(temp) / "articles", args.cache or Path(temp) / "cache"
        folder.mkdir()
        asked = generate_articles(folder, args.sections // SECTIONS_PER_ARTICLE)
        cold = start(folder, cache, model)
        kb = cold["watched"].knowledge_base
        search = measure_search(kb, cold["recent"], asked, args.queries)
        edits = measure_edits(kb, folder, args.edits)
        cold["watched"].stop()
        warm = start(folder, cache, model)
        warm["watched"].stop()
    write_result(
        {
            "command": "python -m benchmarks.kb_scale "
            f"--sections {args.sections} --queries {args.queries} --edits {args.edits}"
            + f" --runtime {args.runtime}"
            + (f" --cache {args.cache}" if args.cache else ""),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "runtime": args.runtime,
            "threads": DEFAULT_THREADS,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "figures": {
                "articles": args.sections // SECTIONS_PER_ARTICLE,
                "sections": args.sections,
                "cold_start": cold["figures"],
                "warm_start": warm["figures"],
                "search": search,
                "edit_to_answer": edits,
            },
        },
        args.json,
    )


if __name__ == "__main__":
    main()
