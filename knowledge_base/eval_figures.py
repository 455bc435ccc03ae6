"""The figures of a retrieval evaluation, from labelled questions and what the search returned.

Pure: no model, no files (knowledge_base.evaluate runs the search and writes the results). A
question is right at top 1 when the first article is one of its expected ids, at top 3 when one of
them is among the first three; it is answered correctly when it is right at top 1 and the score
reaches the answer threshold, tentatively right when it is right at top 1 and the score falls in
the tentative band ("did you mean ...?", knowledge_base.confidence). A question no article
answers (no expected id) is handled well when the best score stays below the answer threshold,
so the assistant does not answer it as if sure; it is kept out of the tentative band too when it
stays below the tentative threshold. The thresholds are calibrated on the tuning part only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge_base.calibration import Scored, calibrate
from knowledge_base.confidence import Thresholds

SPLITS = ("tuning", "test")
SWEEP_THRESHOLDS = tuple(t / 100 for t in range(30, 71, 5))


@dataclass(frozen=True)
class Labelled:
    text: str
    expected: tuple[str, ...]  # the article ids that answer it (any counts); empty: unanswerable
    kind: str = ""  # how it is phrased: paraphrase, typo, complaint...
    split: str = ""  # "tuning", "test", or "" in a set without a split

    @property
    def answerable(self) -> bool:
        return bool(self.expected)


@dataclass(frozen=True)
class Retrieved:
    """What the search returned for one question: article ids, best first, and the best score."""

    article_ids: tuple[str, ...]
    top_score: float


def labelled_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Labelled]:
    """Question-set rows (text, expected: id, list of ids or null, optional kind and split)."""
    questions = []
    for row in rows:
        expected = row.get("expected")
        ids = tuple(expected) if isinstance(expected, list) else (expected,) if expected else ()
        split = str(row.get("split") or "")
        if split and split not in SPLITS:
            raise ValueError(f"split {split!r} must be one of {', '.join(SPLITS)}: {row['text']!r}")
        questions.append(
            Labelled(str(row["text"]), tuple(map(str, ids)), str(row.get("kind") or ""), split)
        )
    return questions


def right_at(question: Labelled, retrieved: Retrieved, rank: int) -> bool:
    return any(article_id in question.expected for article_id in retrieved.article_ids[:rank])


def _ratio(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def figures(pairs: Sequence[tuple[Labelled, Retrieved]], thresholds: Thresholds) -> dict[str, Any]:
    answerable = [(q, r) for q, r in pairs if q.answerable]
    unanswerable = [r for q, r in pairs if not q.answerable]
    top1 = sum(right_at(q, r, 1) for q, r in answerable)
    top3 = sum(right_at(q, r, 3) for q, r in answerable)
    answered = sum(right_at(q, r, 1) and r.top_score >= thresholds.answer for q, r in answerable)
    tentative = sum(
        right_at(q, r, 1) and thresholds.level(r.top_score) == "tentative" for q, r in answerable
    )
    kept = sum(r.top_score < thresholds.answer for r in unanswerable)
    kept_out = sum(r.top_score < thresholds.tentative for r in unanswerable)
    return {
        "threshold": thresholds.answer,
        "tentative_threshold": thresholds.tentative,
        "questions": len(pairs),
        "answerable": len(answerable),
        "top1_right": top1,
        "top3_right": top3,
        "answered_right": answered,
        "tentative_right": tentative,
        "top1_accuracy": _ratio(top1, len(answerable)),
        "top3_accuracy": _ratio(top3, len(answerable)),
        "answered_correctly": _ratio(answered, len(answerable)),
        "answered_or_tentative_correctly": _ratio(answered + tentative, len(answerable)),
        "unanswerable": len(unanswerable),
        "unanswerable_kept": kept,
        "unanswerable_below_threshold": _ratio(kept, len(unanswerable)),
        "unanswerable_below_tentative": _ratio(kept_out, len(unanswerable)),
    }


def sweep(pairs: Sequence[tuple[Labelled, Retrieved]]) -> list[dict[str, Any]]:
    """The answer threshold's trade-off: answered correctly vs unanswerable kept below it."""
    rows = []
    for threshold in SWEEP_THRESHOLDS:
        row = figures(pairs, Thresholds(threshold, threshold))
        rows.append(
            {
                key: row[key]
                for key in ("threshold", "answered_correctly", "unanswerable_below_threshold")
            }
        )
    return rows


def calibration(pairs: Sequence[tuple[Labelled, Retrieved]]) -> dict[str, Any]:
    """The thresholds knowledge_base.calibration chooses on these questions (the tuning part)."""
    chosen = calibrate([Scored(r.top_score, right_at(q, r, 1)) for q, r in pairs])
    return {
        "answer_threshold": chosen.answer if chosen else None,
        "tentative_threshold": chosen.tentative if chosen else None,
        "questions": len(pairs),
    }


def by_kind(pairs: Sequence[tuple[Labelled, Retrieved]], thresholds: Thresholds) -> dict[str, Any]:
    kinds = sorted({q.kind for q, _ in pairs if q.kind})
    return {kind: figures([p for p in pairs if p[0].kind == kind], thresholds) for kind in kinds}


def parts(
    pairs: Sequence[tuple[Labelled, Retrieved]],
) -> dict[str, list[tuple[Labelled, Retrieved]]]:
    """The set's parts: "all", then "tuning" and "test" when the set is split."""
    found = {"all": list(pairs)}
    for split in SPLITS:
        part = [p for p in pairs if p[0].split == split]
        if part:
            found[split] = part
    return found


def miss_reason(question: Labelled, retrieved: Retrieved, threshold: float) -> str | None:
    """Why a question went wrong at the answer threshold, or None when it went right."""
    answered = retrieved.top_score >= threshold
    if not question.answerable:
        return "answered_unanswerable" if answered else None
    if not right_at(question, retrieved, 1):
        return "wrong_article"
    return None if answered else "right_but_unsure"


def report(
    questions: Sequence[Labelled], results: Sequence[Retrieved], thresholds: Thresholds
) -> dict[str, Any]:
    """Every figure of one question set: per part, by kind, the sweep and the calibrated
    thresholds (on the tuning part when there is one, so a threshold is never chosen on the
    test part) and the misses' reasons."""
    pairs = list(zip(questions, results, strict=True))
    split_parts = parts(pairs)
    sweep_on = "tuning" if "tuning" in split_parts else "all"
    reasons: dict[str, dict[str, int]] = {}
    for name, part in split_parts.items():
        counts = reasons.setdefault(name, {})
        for question, retrieved in part:
            reason = miss_reason(question, retrieved, thresholds.answer)
            if reason:
                counts[reason] = counts.get(reason, 0) + 1
    return {
        "parts": {name: figures(part, thresholds) for name, part in split_parts.items()},
        "by_kind": {name: by_kind(part, thresholds) for name, part in split_parts.items()},
        "misses": reasons,
        "sweep_on": sweep_on,
        "sweep": sweep(split_parts[sweep_on]),
        "calibrated": calibration(split_parts[sweep_on]),
    }


def headline(reports: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The figures quoted in BENCHMARKS.md: the test part of the first split set as test_top1,
    test_top3 and unanswerable_ok (with its tuning part beside them), and every set's own
    figures under its name."""
    result: dict[str, Any] = {}
    for name, set_report in reports.items():
        set_parts = set_report["parts"]
        if "test" in set_parts and "test_top1" not in result:
            test, tuning = set_parts["test"], set_parts.get("tuning", {})
            result |= {
                "split_set": name,
                "test_top1": test["top1_accuracy"],
                "test_top3": test["top3_accuracy"],
                "test_answered_correctly": test["answered_correctly"],
                "test_answered_or_tentative_correctly": test["answered_or_tentative_correctly"],
                "unanswerable_ok": test["unanswerable_below_threshold"],
                "unanswerable_below_tentative": test["unanswerable_below_tentative"],
                "calibrated_on_tuning": set_report["calibrated"],
                "tuning_top1": tuning.get("top1_accuracy"),
                "tuning_top3": tuning.get("top3_accuracy"),
                "tuning_answered_correctly": tuning.get("answered_correctly"),
                "tuning_unanswerable_ok": tuning.get("unanswerable_below_threshold"),
            }
    for name, set_report in reports.items():
        whole = set_report["parts"]["all"]
        result[name] = {
            "top1": whole["top1_accuracy"],
            "top3": whole["top3_accuracy"],
            "answered_correctly": whole["answered_correctly"],
            "answered_or_tentative_correctly": whole["answered_or_tentative_correctly"],
            "unanswerable_ok": whole["unanswerable_below_threshold"],
            "unanswerable_below_tentative": whole["unanswerable_below_tentative"],
        }
    return result
