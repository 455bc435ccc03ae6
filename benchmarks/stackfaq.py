"""FAQ retrieval on StackFAQ (Karan & Šnajder 2018) through the knowledge base's own index.

    python -m benchmarks.stackfaq PATH [--fields answer|question+answer|both]
        [--json benchmarks/results/stackfaq.json] [--cache var/cache/stackfaq]

Each of the 125 FAQ items becomes a knowledge-base article (knowledge_base.articles.Article, one
section per answer) and goes into knowledge_base.index.SearchIndex with the service's embedder
(all-MiniLM-L6-v2 from its package, offline); each rephrasing is a query, searched with
`SearchIndex.search` asked for every article, so whatever the index does to rank (passages,
overviews, and later lexical scores or re-ranking) is what is measured. Two indexings:
`answer` (the answers only, no title: our articles are answer text) and `question+answer` (the
question as the article's title). Beside it, the plain baseline "MiniLM cosine alone": one
vector per document (its fields joined, no sections) against the query's vector; and, for
reference, the same against the question alone.

Reports P@1, P@5, hit@5, MRR and MAP (one relevant item per query, so MAP equals MRR) and the
number of queries. Vectors are cached on disk by text hash (knowledge_base.embeddings.
CachedEmbedder), so a re-run only reads them back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.stackfaq_data import (
    PARTS,
    FaqItem,
    Query,
    StackFaq,
    StackFaqError,
    load_stackfaq,
    thread_part,
)
from benchmarks.stackfaq_metrics import Ranked, measures
from benchmarks.stackfaq_published import PUBLISHED
from knowledge_base.articles import Article, Section
from knowledge_base.embeddings import MODEL_NAME, CachedEmbedder, Embedder
from knowledge_base.index import SearchIndex

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "stackfaq.json"
CACHE = ROOT / "var" / "cache" / "stackfaq"
FIELDS = ("answer", "question+answer")
ISSUE_MINILM = {  # issue 14's figures for all-MiniLM-L6-v2 alone, to check our baseline against
    "answer": {"p_at_1": 0.789, "mrr": 0.864},
    "question": {"p_at_1": 0.945},
}
UPDATED = dt.date(2018, 1, 1)  # the articles need a date; nothing reads it here


def faq_articles(items: Sequence[FaqItem], fields: str) -> list[Article]:
    """One published article per FAQ item, one section per answer. `answer`: no title (only the
    answer text is indexed); `question+answer`: the question is the title."""
    if fields not in FIELDS:
        raise ValueError(f"fields must be one of {', '.join(FIELDS)}")
    return [
        Article(
            id=item.id,
            title=item.question if fields == "question+answer" else "",
            category="stackfaq",
            team="stackfaq",
            tags=(),
            status="published",
            updated=UPDATED,
            sections=tuple(Section(item.id, "", answer) for answer in item.answers),
        )
        for item in items
    ]


def rank_with_index(index: SearchIndex, queries: Sequence[Query]) -> list[Ranked]:
    """Every article ranked for every query, by the index's own search."""
    everything = len(index.articles)
    return [
        Ranked(
            [match.article.id for match in index.search(query.text, 0.0, everything).matches],
            frozenset({query.relevant}),
        )
        for query in queries
    ]


def document_text(item: FaqItem, fields: str) -> str:
    """What the plain baseline embeds for an item: its fields joined, no sections."""
    answers = "\n\n".join(item.answers)
    return {
        "answer": answers,
        "question+answer": f"{item.question}\n\n{answers}",
        "question": item.question,
    }[fields]


def rank_by_cosine(
    items: Sequence[FaqItem], fields: str, queries: Sequence[Query], embedder: Embedder
) -> list[Ranked]:
    """MiniLM cosine alone: the query's vector against one vector per whole document."""
    documents = embedder.embed([document_text(item, fields) for item in items])
    questions = embedder.embed([query.text for query in queries])
    ids = [item.id for item in items]
    scores = questions @ documents.T
    return [
        Ranked([ids[column] for column in np.argsort(-row, kind="stable")], frozenset({q.relevant}))
        for row, q in zip(scores, queries, strict=True)
    ]


def by_part(rankings: Sequence[Ranked], queries: Sequence[Query]) -> dict[str, Any]:
    """The measures over all queries, and under `parts` over each fixed part's queries."""
    result: dict[str, Any] = measures(rankings)
    result["parts"] = {
        part: measures(
            [r for r, q in zip(rankings, queries, strict=True) if thread_part(q.relevant) == part]
        )
        for part in PARTS
    }
    return result


def evaluate(faq: StackFaq, fields: Sequence[str], embedder: Embedder) -> dict[str, Any]:
    """Our index and the plain baseline for each field choice, and the question-only reference."""
    embedder.embed([query.text for query in faq.queries])  # one batch; the searches then hit it
    results: dict[str, Any] = {}
    for choice in fields:
        started = time.perf_counter()
        index = SearchIndex(faq_articles(faq.items, choice), embedder, embedder)
        ours = by_part(rank_with_index(index, faq.queries), faq.queries)
        ours["seconds"] = round(time.perf_counter() - started, 2)
        ours["passages"] = len(index.passages)
        results[choice] = {
            "knowledge_base_index": ours,
            "minilm_cosine_alone": by_part(
                rank_by_cosine(faq.items, choice, faq.queries, embedder), faq.queries
            ),
        }
    results["question (reference)"] = {
        "minilm_cosine_alone": by_part(
            rank_by_cosine(faq.items, "question", faq.queries, embedder), faq.queries
        )
    }
    return results


def report(faq: StackFaq, path: Path, results: dict[str, Any], argv: Sequence[str]) -> dict:
    return {
        "command": " ".join(["python -m benchmarks.stackfaq", *argv]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "data": {
            "file": path.name,
            "items": len(faq.items),
            "queries": len(faq.queries),
            "skipped_placeholders": faq.skipped_placeholders,
            "skipped_missing": faq.skipped_missing,
        },
        "model": MODEL_NAME,
        "results": results,
        "issue_minilm_alone": ISSUE_MINILM,
        "published": PUBLISHED,
    }


def summary_lines(result: dict[str, Any]) -> list[str]:
    data = result["data"]
    lines = [
        f"StackFAQ: {data['items']} items, {data['queries']} queries "
        f"({data['skipped_placeholders']} '*' placeholders and {data['skipped_missing']} empty "
        "rephrasings skipped)",
        f"{'fields':<22} {'ranker':<22} {'P@1':>6} {'P@5':>6} {'hit@5':>6} {'MRR':>6} {'MAP':>6}"
        f"  {'P@1 tuning':>10} {'P@1 test':>8}",
    ]
    for fields, rankers in result["results"].items():
        for ranker, figures in rankers.items():
            parts = figures["parts"]
            lines.append(
                f"{fields:<22} {ranker:<22} {figures['p_at_1']:>6.3f} {figures['p_at_5']:>6.3f} "
                f"{figures['hit_at_5']:>6.3f} {figures['mrr']:>6.3f} {figures['map']:>6.3f}"
                f"  {parts['tuning']['p_at_1']:>10.3f} {parts['test']['p_at_1']:>8.3f}"
            )
    lines.append("MAP equals MRR here: each query has exactly one relevant item.")
    lines.append(
        "P@5 is precision at 5 (at most 0.2 with one relevant item); hit@5 is top-5 accuracy."
    )
    return lines


def main(argv: list[str] | None = None, model: Embedder | None = None) -> int:
    """model: the embedder to wrap in the cache (default: the service's MiniLM; tests pass a
    small fake one)."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="stackExchange-FAQ.json")
    parser.add_argument("--fields", choices=[*FIELDS, "both"], default="both")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--cache", type=Path, default=CACHE, help="embedding cache folder")
    args = parser.parse_args(argv)
    try:
        faq = load_stackfaq(args.path)
    except StackFaqError as error:
        print(error, file=sys.stderr)
        return 1
    load_before = os.getloadavg()[0]
    embedder = CachedEmbedder(model or _model(), args.cache)
    fields = FIELDS if args.fields == "both" else (args.fields,)
    result = report(faq, args.path, evaluate(faq, fields, embedder), argv)
    result["load_average_1min"] = {
        "before": round(load_before, 2),
        "after": round(os.getloadavg()[0], 2),
    }
    print("\n".join(summary_lines(result)))
    print(f"embedded {embedder.computed} texts (the rest came from {args.cache})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"written to {args.json}")
    return 0


def _model() -> Embedder:
    from knowledge_base.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


if __name__ == "__main__":
    sys.exit(main())
