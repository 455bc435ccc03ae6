"""Does adding BM25 to the sentence vectors help the knowledge base find the right article?

    python -m benchmarks.kb_lexical_fusion [--json benchmarks/results/kb_lexical_fusion.json]

Issue 14 asks for hybrid lexical + vector retrieval, kept only if it helps on the tuning part of
the customer-phrased set (data/kb_customer_questions.yml). This measures it without changing
what ships: every passage's cosine score from the shipped index, plus `weight` x its BM25 score
(knowledge_base/lexical.py) normalised two ways - divided by the query's best BM25 score
(`max`), or saturated as bm25 / (bm25 + c) (`saturated`) - and the articles ranked by their best
passage exactly as the index ranks them (`SearchIndex.ranked`). Top-1 and top-3 on the tuning
part and on the old set (data/kb_questions.yml, which must not drop); the test part is never
read. The grid is small on purpose: a gain must show at some weight, not at one lucky setting.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_stack import write_result
from infra.clock import iso_utc, utc_now
from knowledge_base.articles import load_articles
from knowledge_base.embeddings import CachedEmbedder, SentenceTransformerEmbedder
from knowledge_base.eval_figures import Labelled
from knowledge_base.evaluate import load_questions
from knowledge_base.index import SearchIndex
from knowledge_base.lexical import LexicalIndex

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
SATURATION = (1.0, 2.0, 4.0, 8.0)
Scored = tuple[Labelled, np.ndarray, np.ndarray]  # question, cosine, bm25 per passage
Fuse = Callable[[np.ndarray, np.ndarray], np.ndarray]


def by_max(weight: float) -> Fuse:
    def fuse(cosine: np.ndarray, bm25: np.ndarray) -> np.ndarray:
        best = float(bm25.max())
        return cosine + weight * (bm25 / best if best > 0 else bm25)

    return fuse


def saturated(weight: float, c: float) -> Fuse:
    def fuse(cosine: np.ndarray, bm25: np.ndarray) -> np.ndarray:
        return cosine + weight * bm25 / (bm25 + c)

    return fuse


def accuracy(index: SearchIndex, scored: Sequence[Scored], fuse: Fuse) -> dict[str, float]:
    """Top-1 and top-3 over the answerable questions (any expected article counts)."""
    answerable = [(q, cosine, bm25) for q, cosine, bm25 in scored if q.expected]
    top1 = top3 = 0
    for question, cosine, bm25 in answerable:
        found = [m.article.id for m in index.ranked("", 0.0, fuse(cosine, bm25), 3).matches]
        top1 += found[:1] != [] and found[0] in question.expected
        top3 += any(article in question.expected for article in found)
    return {
        "top1": round(top1 / len(answerable), 4),
        "top3": round(top3 / len(answerable), 4),
    }


def score_questions(
    index: SearchIndex, lexical: LexicalIndex, questions: Sequence[Labelled]
) -> list[Scored]:
    return [(q, index.passage_scores(q.text), lexical.scores(q.text)) for q in questions]


def grid(index: SearchIndex, sets: dict[str, list[Scored]]) -> list[dict[str, Any]]:
    rows = []
    settings: list[tuple[str, float | None, float, Fuse]] = [
        ("max", None, weight, by_max(weight)) for weight in WEIGHTS
    ]
    settings += [
        ("saturated", c, weight, saturated(weight, c)) for c in SATURATION for weight in WEIGHTS
    ]
    for mode, c, weight, fuse in settings:
        row: dict[str, Any] = {"normalised": mode, "c": c, "weight": weight}
        for name, scored in sets.items():
            row[name] = accuracy(index, scored, fuse)
        rows.append(row)
        print(
            f"{mode:<10} c={c!s:<4} weight={weight:.2f}  "
            + "  ".join(f"{n} {f['top1']:.3f}/{f['top3']:.3f}" for n, f in row.items() if n in sets)
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "knowledge_base" / "articles")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "cache" / "embeddings")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "kb_lexical_fusion.json"
    )
    args = parser.parse_args(argv)
    articles, errors = load_articles(args.articles)
    if errors:
        print("\n".join(map(str, errors)), file=sys.stderr)
        return 1
    embedder = CachedEmbedder(SentenceTransformerEmbedder(), args.cache)
    index = SearchIndex(articles, embedder, embedder.uncached)
    lexical = LexicalIndex([passage.text for passage in index.passages])
    customer = load_questions(ROOT / "data" / "kb_customer_questions.yml")
    sets = {
        "tuning": score_questions(index, lexical, [q for q in customer if q.split == "tuning"]),
        "old_set": score_questions(index, lexical, load_questions(ROOT / "data/kb_questions.yml")),
    }
    rows = grid(index, sets)
    shipped = rows[0]
    best = max(rows, key=lambda row: (row["tuning"]["top1"], row["tuning"]["top3"]))
    result = {
        "command": "python -m benchmarks.kb_lexical_fusion " + " ".join(argv or sys.argv[1:]),
        "date": iso_utc(utc_now()),
        "figures": {"shipped": shipped, "best_on_tuning": best, "grid": rows},
    }
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
