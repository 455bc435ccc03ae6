"""Measure knowledge-base retrieval on a labelled question set.

    python -m knowledge_base.evaluate data/kb_questions.yml [--articles DIR] [--threshold T]

Reports, for answerable questions, top-1 and top-3 article accuracy and how many would be
answered (score above the threshold); for questions the help centre cannot answer, how many
correctly fall below the threshold. A threshold sweep shows the trade-off.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from infra.yaml_config import load_yaml_mapping
from knowledge_base.articles import load_articles
from knowledge_base.embeddings import CachedEmbedder, SentenceTransformerEmbedder
from knowledge_base.index import SearchIndex, SearchResult

KNOWLEDGE_BASE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Labelled:
    text: str
    expected: str | None


def load_questions(path: Path) -> list[Labelled]:
    data = load_yaml_mapping(path, "question set")
    return [Labelled(str(row["text"]), row.get("expected")) for row in data["questions"]]


def report(questions: list[Labelled], results: list[SearchResult], threshold: float) -> dict:
    answerable = [(q, r) for q, r in zip(questions, results, strict=True) if q.expected]
    unanswerable = [(q, r) for q, r in zip(questions, results, strict=True) if not q.expected]

    def ids(result: SearchResult) -> list[str]:
        return [match.article.id for match in result.matches]

    def top_score(result: SearchResult) -> float:
        return result.best.score if result.best else 0.0

    top1 = sum(ids(r)[:1] == [q.expected] for q, r in answerable)
    top3 = sum(q.expected in ids(r)[:3] for q, r in answerable)
    answered_right = sum(
        ids(r)[:1] == [q.expected] and top_score(r) >= threshold for q, r in answerable
    )
    abstained = sum(top_score(r) < threshold for _, r in unanswerable)
    return {
        "threshold": threshold,
        "answerable": len(answerable),
        "top1_accuracy": round(top1 / len(answerable), 4),
        "top3_accuracy": round(top3 / len(answerable), 4),
        "answered_correctly": round(answered_right / len(answerable), 4),
        "unanswerable": len(unanswerable),
        "unanswerable_below_threshold": round(abstained / max(1, len(unanswerable)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("questions", type=Path)
    parser.add_argument("--articles", type=Path, default=KNOWLEDGE_BASE / "articles")
    parser.add_argument(
        "--cache", type=Path, default=KNOWLEDGE_BASE.parent / "var" / "cache" / "embeddings"
    )
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument(
        "--show-errors", action="store_true", help="list every wrong or doubtful answer"
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)

    questions = load_questions(args.questions)
    articles, errors = load_articles(args.articles)
    if errors:
        print("\n".join(str(error) for error in errors), file=sys.stderr)
        return 1
    embedder = CachedEmbedder(SentenceTransformerEmbedder(), args.cache)
    index = SearchIndex(articles, embedder, embedder.uncached)
    timings, results = [], []
    for question in questions:
        started = time.perf_counter()
        results.append(index.search(question.text, args.threshold))
        timings.append((time.perf_counter() - started) * 1000)
    summary = report(questions, results, args.threshold)
    timings.sort()
    summary["search_ms_p50"] = round(statistics.median(timings), 2)
    summary["search_ms_p95"] = round(timings[int(0.95 * (len(timings) - 1))], 2)
    sweep = [report(questions, results, t / 100) for t in range(30, 71, 5)]
    print(json.dumps(summary, indent=2))
    print("\nthreshold  answered-correctly  unanswerable-below")
    for row in sweep:
        print(
            f"  {row['threshold']:.2f}        {row['answered_correctly']:.3f}"
            f"             {row['unanswerable_below_threshold']:.3f}"
        )
    if args.show_errors:
        for question, result in zip(questions, results, strict=True):
            best = result.best
            top = [f"{m.article.id}:{m.score:.2f}" for m in result.matches]
            wrong = question.expected and (not best or best.article.id != question.expected)
            false_answer = not question.expected and result.answered
            missed = (
                question.expected
                and best
                and best.article.id == question.expected
                and not result.answered
            )
            if wrong or false_answer or missed:
                print(f"- {question.text!r} expected={question.expected} got={top}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "sweep": sweep}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
