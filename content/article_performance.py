"""How each knowledge-base article, and each section of it, serves customers: computed from the
outcome records (outcomes/record.py), one per conversation session, with no I/O.

For every article, over the sessions that started in a window:

- `shown`: times it answered a question (a tentative "did you mean" answer included);
- `offered`: times it was only the closest title of a question the assistant could not answer;
- `helpful` / `not_helpful`: the customer's feedback on its answers;
- `conversations`: sessions it answered in; `handoffs_after`: those of them that went to a
  person at or after the turn it first answered (the session's escalation turn; a session with
  a ticket counts, whatever became of the ticket);
- `csat`: mean and count of the survey's CSAT (1-5) of the sessions it answered in, and
  `csat_after_handoff` of those that went to a person after it;
- `latest_version` / `latest_updated`: the version the customer read most recently, and
  `versions`, how many versions were read in the window (figures of an edited article mix them).

The same figures (but `offered` and the versions) per section that answered (its heading, ""
for the introduction), for answers recorded with their section. Records written before the
lookups were recorded (`articles_shown` empty) count through `articles`: each an answer, the
last with the session's `last_answer_helpful`, turn unknown (a handoff in the session counts).

Sorted so that what needs the content team's attention comes first (`SORTS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from metrics.sessions import Session
from outcomes.record import OutcomeRecord, ShownArticle

Sort = Literal["handoffs", "not_helpful", "shown", "csat"]
SORTS: tuple[Sort, ...] = ("handoffs", "not_helpful", "shown", "csat")
"""handoffs: most conversations handed to a person after it answered first (then most not
helpful, then most shown); not_helpful: most "not helpful" first; shown: most shown first;
csat: lowest mean CSAT first (articles without a rating last)."""
FEEDBACK = {"helpful": True, "not_helpful": False}


@dataclass(frozen=True)
class Csat:
    """The CSAT ratings (1-5) of some sessions: their mean (None without one) and how many."""

    mean: float | None
    count: int

    @classmethod
    def of(cls, ratings: Sequence[int]) -> Csat:
        if not ratings:
            return cls(None, 0)
        return cls(round(sum(ratings) / len(ratings), 2), len(ratings))


@dataclass(frozen=True)
class Figures:
    """What an article or one of its sections did in the window."""

    shown: int
    helpful: int
    not_helpful: int
    conversations: int
    handoffs_after: int
    csat: Csat
    csat_after_handoff: Csat

    def to_json(self) -> dict[str, Any]:
        return {
            "shown": self.shown,
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
            "conversations": self.conversations,
            "handoffs_after": self.handoffs_after,
            "csat": {"mean": self.csat.mean, "count": self.csat.count},
            "csat_after_handoff": {
                "mean": self.csat_after_handoff.mean,
                "count": self.csat_after_handoff.count,
            },
        }


@dataclass(frozen=True)
class SectionPerformance:
    section: str
    """The section's heading; "" for the article's introduction."""
    figures: Figures


@dataclass(frozen=True)
class ArticlePerformance:
    article_id: str
    figures: Figures
    offered: int
    latest_version: str | None
    latest_updated: str | None
    versions: int
    sections: tuple[SectionPerformance, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            **self.figures.to_json(),
            "offered": self.offered,
            "latest_version": self.latest_version,
            "latest_updated": self.latest_updated,
            "versions": self.versions,
            "sections": [
                {"section": part.section, **part.figures.to_json()} for part in self.sections
            ],
        }


@dataclass
class _Tally:
    """Figures being counted (mutable); `figures()` freezes them."""

    shown: int = 0
    helpful: int = 0
    not_helpful: int = 0
    conversations: int = 0
    handoffs_after: int = 0
    csat: list[int] = field(default_factory=list)
    csat_after_handoff: list[int] = field(default_factory=list)

    def add(self, record: OutcomeRecord, answers: Sequence[ShownArticle]) -> None:
        """One session's answers from this article (or section): at least one."""
        self.shown += len(answers)
        feedback = [FEEDBACK.get(answer.feedback) for answer in answers]
        self.helpful += feedback.count(True)
        self.not_helpful += feedback.count(False)
        self.conversations += 1
        rating = record.survey.csat if record.survey is not None else None
        after = handed_off_after(record, answers)
        self.handoffs_after += int(after)
        if rating is not None:
            self.csat.append(rating)
            if after:
                self.csat_after_handoff.append(rating)

    def figures(self) -> Figures:
        return Figures(
            self.shown,
            self.helpful,
            self.not_helpful,
            self.conversations,
            self.handoffs_after,
            Csat.of(self.csat),
            Csat.of(self.csat_after_handoff),
        )


@dataclass
class _ArticleTally:
    total: _Tally = field(default_factory=_Tally)
    offered: int = 0
    sections: dict[str, _Tally] = field(default_factory=dict)
    latest: tuple[float, int, str | None, str | None] | None = None
    """(session start, turn, version, updated) of the latest answer that carried a version."""
    versions: set[str] = field(default_factory=set)


def handed_off_after(record: OutcomeRecord, answers: Sequence[ShownArticle]) -> bool:
    """The session went to a person at or after the turn of the first of these answers (any
    handoff of the session when a turn is unknown)."""
    if record.escalation is None:
        return False
    turns = [answer.turn for answer in answers]
    if any(turn is None for turn in turns):
        return True
    return record.escalation.turn >= min(turn for turn in turns if turn is not None)


def shown_in(record: OutcomeRecord) -> tuple[ShownArticle, ...]:
    """The record's lookups that showed an article; for a record from before they were kept,
    its answers' ids (the last with the session's feedback on it)."""
    if record.articles_shown or not record.articles:
        return record.articles_shown
    last = len(record.articles) - 1
    helpful = {True: "helpful", False: "not_helpful", None: "none"}[record.last_answer_helpful]
    return tuple(
        ShownArticle(article_id, True, helpful if index == last else "none")
        for index, article_id in enumerate(record.articles)
    )


def article_performance(
    sessions: Iterable[Session], start: float, end: float, sort: Sort = "handoffs"
) -> list[ArticlePerformance]:
    """Every article shown in the sessions that started in [start, end) (POSIX seconds),
    sorted by `sort` (SORTS), each with its sections sorted the same way."""
    tallies: dict[str, _ArticleTally] = {}
    for session in sessions:
        if start <= session.start < end:
            _count_session(tallies, session)
    rows = [_performance(article_id, tally, sort) for article_id, tally in tallies.items()]
    return sorted(rows, key=lambda row: _order(row.article_id, row.figures, sort))


def _count_session(tallies: dict[str, _ArticleTally], session: Session) -> None:
    record = session.record
    by_article: dict[str, list[ShownArticle]] = {}
    for shown in shown_in(record):
        by_article.setdefault(shown.article_id, []).append(shown)
    for article_id, lookups in by_article.items():
        tally = tallies.setdefault(article_id, _ArticleTally())
        answers = [shown for shown in lookups if shown.answered]
        tally.offered += len(lookups) - len(answers)
        if not answers:
            continue
        tally.total.add(record, answers)
        by_section: dict[str, list[ShownArticle]] = {}
        for answer in answers:
            if answer.section is not None:
                by_section.setdefault(answer.section, []).append(answer)
        for heading, part in by_section.items():
            tally.sections.setdefault(heading, _Tally()).add(record, part)
        _note_versions(tally, session.start, answers)


def _note_versions(tally: _ArticleTally, start: float, answers: Sequence[ShownArticle]) -> None:
    for answer in answers:
        if answer.article_version is None:
            continue
        tally.versions.add(answer.article_version)
        seen = (start, answer.turn or 0, answer.article_version, answer.article_updated)
        if tally.latest is None or seen[:2] >= tally.latest[:2]:
            tally.latest = seen


def _performance(article_id: str, tally: _ArticleTally, sort: Sort) -> ArticlePerformance:
    sections = [
        SectionPerformance(heading, part.figures()) for heading, part in tally.sections.items()
    ]
    sections.sort(key=lambda part: _order(part.section, part.figures, sort))
    latest = tally.latest
    return ArticlePerformance(
        article_id=article_id,
        figures=tally.total.figures(),
        offered=tally.offered,
        latest_version=latest[2] if latest else None,
        latest_updated=latest[3] if latest else None,
        versions=len(tally.versions),
        sections=tuple(sections),
    )


def _order(name: str, figures: Figures, sort: Sort) -> tuple[Any, ...]:
    """The sort key: what needs attention first, then the name (a stable order)."""
    if sort == "csat":
        mean = figures.csat.mean
        return (mean is None, mean if mean is not None else 0.0, -figures.shown, name)
    if sort == "not_helpful":
        return (-figures.not_helpful, -figures.shown, name)
    if sort == "shown":
        return (-figures.shown, name)
    return (-figures.handoffs_after, -figures.not_helpful, -figures.shown, name)


__all__ = [
    "SORTS",
    "ArticlePerformance",
    "Csat",
    "Figures",
    "SectionPerformance",
    "Sort",
    "article_performance",
    "handed_off_after",
    "shown_in",
]
