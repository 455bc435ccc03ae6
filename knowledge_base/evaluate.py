"""Measure knowledge-base retrieval on labelled question sets.

    python -m knowledge_base.evaluate data/kb_questions.yml data/kb_customer_questions.yml
        [--articles DIR] [--answer-threshold T] [--tentative-threshold T] [--show-errors]
        [--json benchmarks/results/kb_eval.json] [--stackfaq benchmarks/results/stackfaq.json]

For each set: top-1 and top-3 article accuracy on answerable questions, how many would be
answered with the right article (score at or above the answer threshold) or tentatively ("did
you mean ...?", from the tentative threshold), and how many questions the help centre cannot
answer correctly fall below each; for a set with a tuning/test split, each part apart and by
kind of question. The thresholds default to the shipped ones (knowledge_base.confidence); the
thresholds knowledge_base.calibration chooses on the tuning part (never the test part) and a
sweep of the answer threshold are printed beside them. The figures are computed in
knowledge_base.eval_figures; this module runs the search. With --stackfaq, the headline also
carries the StackFAQ P@1 figures of that results file (benchmarks/stackfaq.py, run just before by
`make eval-kb`) with its date, so one file holds every retrieval figure.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from infra.yaml_config import load_yaml_mapping
from knowledge_base.articles import load_articles
from knowledge_base.confidence import Thresholds
from knowledge_base.embeddings import CachedEmbedder
from knowledge_base.eval_figures import (
    Labelled,
    Retrieved,
    headline,
    labelled_from_rows,
    miss_reason,
    report,
)
from knowledge_base.index import SearchIndex
from knowledge_base.onnx_embedder import OnnxEmbedder

KNOWLEDGE_BASE = Path(__file__).resolve().parent
ROOT = KNOWLEDGE_BASE.parent

Search = Callable[[str], Retrieved]


def load_questions(path: Path) -> list[Labelled]:
    data = load_yaml_mapping(path, "question set")
    return labelled_from_rows(data["questions"])


def index_search(index: SearchIndex) -> Search:
    def search(text: str) -> Retrieved:
        result = index.search(text, Thresholds().answer)
        ids = tuple(match.article.id for match in result.matches)
        return Retrieved(ids, result.best.score if result.best else 0.0)

    return search


def evaluate_set(
    questions: Sequence[Labelled], search: Search, thresholds: Thresholds
) -> tuple[list[Retrieved], dict[str, Any]]:
    """Search every question, timing each search; the results and the set's report."""
    timings, results = [], []
    for question in questions:
        started = time.perf_counter()
        results.append(search(question.text))
        timings.append((time.perf_counter() - started) * 1000)
    set_report = report(questions, results, thresholds)
    timings.sort()
    set_report["search_ms_p50"] = round(statistics.median(timings), 2)
    set_report["search_ms_p95"] = round(timings[int(0.95 * (len(timings) - 1))], 2)
    return results, set_report


def set_names(paths: Sequence[Path]) -> list[str]:
    """Each set's name in the results: its file name without .yml (the path when two clash)."""
    stems = [path.stem for path in paths]
    return [
        stem if stems.count(stem) == 1 else str(path)
        for stem, path in zip(stems, paths, strict=True)
    ]


SetRun = tuple[list[Labelled], list[Retrieved]]


def evaluate_files(
    paths: Sequence[Path], search: Search, thresholds: Thresholds
) -> tuple[dict[str, Any], dict[str, SetRun]]:
    """The results of every question set (the headline figures and each set's report), and
    each set's questions with what the search returned for them."""
    reports, runs = {}, {}
    for name, path in zip(set_names(paths), paths, strict=True):
        questions = load_questions(path)
        retrieved, reports[name] = evaluate_set(questions, search, thresholds)
        reports[name]["path"] = str(path)
        runs[name] = (questions, retrieved)
    used = {"answer_threshold": thresholds.answer, "tentative_threshold": thresholds.tentative}
    return {"thresholds": used, "figures": headline(reports), "sets": reports}, runs


def _percent(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def print_set(name: str, set_report: dict[str, Any]) -> None:
    print(f"\n== {name} ({set_report['path']})")
    print(
        "part / kind           n  top-1   top-3   answered-right  +tentative  unanswerable-below"
        "  (tentative)"
    )
    for part, row in set_report["parts"].items():
        rows = [(part, row)]
        if part != "all" or len(set_report["parts"]) == 1:
            rows += [
                (f"  {kind}", kind_row) for kind, kind_row in set_report["by_kind"][part].items()
            ]
        for label, figures in rows:
            top1, top3 = figures["top1_accuracy"], figures["top3_accuracy"]
            print(
                f"{label:<20}{figures['questions']:>4}  {_percent(top1)}  {_percent(top3)}"
                f"   {_percent(figures['answered_correctly'])}"
                f"          {_percent(figures['answered_or_tentative_correctly'])}"
                f"     {_percent(figures['unanswerable_below_threshold'])}"
                f"             {_percent(figures['unanswerable_below_tentative'])}"
            )
    print(f"misses by reason: {json.dumps(set_report['misses'])}")
    print(f"search ms p50 {set_report['search_ms_p50']}, p95 {set_report['search_ms_p95']}")
    calibrated = set_report["calibrated"]
    print(
        f"calibrated on the {set_report['sweep_on']} part ({calibrated['questions']} questions):"
        f" answer threshold {calibrated['answer_threshold']},"
        f" tentative threshold {calibrated['tentative_threshold']}"
    )
    print(f"answer threshold sweep on the {set_report['sweep_on']} part:")
    print("  threshold  answered-correctly  unanswerable-below")
    for row in set_report["sweep"]:
        print(
            f"  {row['threshold']:.2f}       {_percent(row['answered_correctly'])}"
            f"              {_percent(row['unanswerable_below_threshold'])}"
        )


def print_misses(
    questions: Sequence[Labelled], results: Sequence[Retrieved], threshold: float
) -> None:
    for question, retrieved in zip(questions, results, strict=True):
        reason = miss_reason(question, retrieved, threshold)
        if reason:
            print(
                f"- [{question.split or 'all'}/{question.kind or '-'}] {reason}: {question.text!r}"
                f" expected={list(question.expected)} got={list(retrieved.article_ids)}"
                f" top={retrieved.top_score:.2f}"
            )


def command_line(argv: Sequence[str]) -> str:
    executable = Path(sys.executable)
    python = str(executable.relative_to(ROOT)) if executable.is_relative_to(ROOT) else "python"
    return " ".join([python, "-m", "knowledge_base.evaluate", *argv])


def write_results(results: dict[str, Any], argv: Sequence[str], path: Path) -> None:
    """The results file: command, date and machine first, as every benchmark writes them."""
    stamped = {
        "command": command_line(argv),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} Python {platform.python_version()}",
    } | results
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stamped, indent=2) + "\n")


def stackfaq_figures(path: Path) -> dict[str, Any]:
    """The StackFAQ figures quoted beside ours: P@1 through our index, answer text only and
    question and answer, and the run they come from."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        results = data["results"]
        answer = results["answer"]["knowledge_base_index"]
        return {
            "stackfaq_answer_p1": answer["p_at_1"],
            "stackfaq_answer_p1_tuning": answer["parts"]["tuning"]["p_at_1"],
            "stackfaq_answer_p1_test": answer["parts"]["test"]["p_at_1"],
            "stackfaq_question_answer_p1": results["question+answer"]["knowledge_base_index"][
                "p_at_1"
            ],
            "stackfaq_minilm_alone_answer_p1": results["answer"]["minilm_cosine_alone"]["p_at_1"],
            "stackfaq_run": {"date": data["date"], "command": data["command"]},
        }
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(
            f"{path}: not a StackFAQ results file with both fields ({error!r}); "
            "run `make eval-stackfaq` first"
        ) from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("questions", type=Path, nargs="+", help="question set files (YAML)")
    parser.add_argument("--articles", type=Path, default=KNOWLEDGE_BASE / "articles")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "cache" / "embeddings")
    parser.add_argument("--answer-threshold", type=float, default=Thresholds().answer)
    parser.add_argument("--tentative-threshold", type=float, default=Thresholds().tentative)
    parser.add_argument(
        "--show-errors", action="store_true", help="list every wrong or doubtful answer"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--stackfaq", type=Path, help="a StackFAQ results file whose P@1 joins the headline"
    )
    args = parser.parse_args(argv)

    articles, errors = load_articles(args.articles)
    if errors:
        print("\n".join(str(error) for error in errors), file=sys.stderr)
        return 1
    # as the service runs it (the graph where the service keeps it)
    embedder = CachedEmbedder(OnnxEmbedder(args.cache.parent / "onnx"), args.cache)
    try:
        thresholds = Thresholds(args.answer_threshold, args.tentative_threshold)
    except ValueError as error:
        parser.error(str(error))
    search = index_search(SearchIndex(articles, embedder, embedder.uncached))
    results, runs = evaluate_files(args.questions, search, thresholds)
    if args.stackfaq:
        results["figures"] |= stackfaq_figures(args.stackfaq)
    for name, set_report in results["sets"].items():
        print_set(name, set_report)
    print("\n" + json.dumps(results["figures"], indent=2))
    if args.show_errors:
        for name, (questions, retrieved) in runs.items():
            print(f"\nmisses in {name}:")
            print_misses(questions, retrieved, thresholds.answer)
    if args.json:
        write_results(results, argv, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
