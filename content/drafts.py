"""Drafts of the help centre: finding an article's file, publishing a draft, and what a draft
would change if it were published.

No Redis, no HTTP: files in and out (service/desk/content.py holds the lock, records who and
when, and answers the editor).

- `article_file` finds an article's markdown file by its id (the file named `<id>.md` first,
  as every shipped article is named, then any file whose front matter has that id).
- `published_text` is the file's text with `status: published` and `updated: <today>` in its
  front matter and every other line as it was; it refuses (ArticleError, with the reason) a file
  whose front matter does not parse, an article already published, or a topic's draft whose
  answer is still to be written (content/new_drafts.py PLACEHOLDER). `write_atomically`
  writes a temporary file beside it and renames it over the old one, so the hot reload
  (knowledge_base/library.py) never reads half a file.
- `edited_text` is an editor's new text of a draft, checked (it parses, keeps its id, stays a
  draft: publishing is its own step) and dated `updated: <today>`. `file_version` is the hash of
  a file's whole text, front matter included: a save goes through only if the file still is
  the text the editor opened (article_version covers only what customers read, so an edit of
  just the tags or questions would otherwise be overwritten unseen).
- `compare_replay` says what the draft changes: the questions it would now answer, the answers
  that change, and the retrieval figures on the labelled questions (data/kb_questions.yml)
  before and after, computed by knowledge_base/eval_figures.py as `make eval-kb` computes
  them. A drop in top-1 accuracy or in answered-correctly is a regression.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content.new_drafts import PLACEHOLDER
from knowledge_base.articles import (
    ARTICLE_VERSION_CHARS,
    FRONT_MATTER,
    Article,
    ArticleError,
    parse_article,
    read_article,
)
from knowledge_base.confidence import Thresholds
from knowledge_base.eval_figures import Labelled, Retrieved, figures
from knowledge_base.index import SearchResult
from knowledge_base.insights import normalise_question

QUESTION_SOURCES = ("kb_questions", "unanswered", "extra")
"""Where a replayed question comes from: the labelled set, the recent unanswered questions, or
the editor (a gap topic's questions)."""
ACCURACY_FIGURES = (
    "questions",
    "answerable",
    "top1_accuracy",
    "top3_accuracy",
    "answered_correctly",
    "unanswerable_below_threshold",
)
REGRESSION_FIGURES = ("top1_accuracy", "answered_correctly")
"""A draft regresses when one of these falls on the labelled questions."""
Search = Callable[[str], SearchResult]


class AlreadyPublished(ArticleError):
    """The article's front matter already says `status: published`."""


def article_file(folder: Path, article_id: str) -> Path | None:
    """The markdown file of the article with this id: `<id>.md` when it exists (even when it
    does not parse, so publishing it reports why), else the file whose front matter has the
    id; None when there is none."""
    named = folder / f"{article_id}.md"
    if named.is_file():
        return named
    for path in sorted(folder.glob("*.md")):
        try:
            if read_article(path).id == article_id:
                return path
        except ArticleError:
            continue
    return None


def drafts_in(folder: Path) -> tuple[list[Article], list[ArticleError]]:
    """The drafts of the folder, by id, and every file that does not parse."""
    articles: list[Article] = []
    problems: list[ArticleError] = []
    for path in sorted(folder.glob("*.md")):
        try:
            articles.append(read_article(path))
        except ArticleError as problem:
            problems.append(problem)
    drafts = sorted((a for a in articles if not a.published), key=lambda article: article.id)
    return drafts, problems


def published_text(text: str, source: str, today: dt.date) -> str:
    """The file's text with `status: published` and `updated: today`, every other line kept.
    Raises ArticleError naming the problem when the front matter does not parse, and
    AlreadyPublished when the article is published already."""
    article = parse_article(text, source)
    if article.published:
        raise AlreadyPublished(source, f"{article.id} is already published")
    if PLACEHOLDER in text:
        raise ArticleError(source, f"write the answer first: it still says {PLACEHOLDER!r}")
    rewritten = with_front_matter(text, {"status": "published", "updated": today.isoformat()})
    check = parse_article(rewritten, source)
    if not check.published or check.updated != today:  # a field the lines did not hold
        raise ArticleError(source, "status and updated must each be one line of the front matter")
    return rewritten


MAX_ARTICLE_CHARS = 60_000


def edited_text(text: str, source: str, article_id: str, today: dt.date) -> str:
    """An editor's new text for the draft `article_id`, with `updated: today`. Raises
    ArticleError naming the problem: too long, front matter or sections that do not parse,
    another id, or `status: published` (a draft is published with its own action)."""
    if len(text) > MAX_ARTICLE_CHARS:
        raise ArticleError(source, f"an article is at most {MAX_ARTICLE_CHARS} characters")
    article = parse_article(text, source)
    if article.id != article_id:
        raise ArticleError(source, f"the id must stay {article_id!r} (it names the file)")
    if article.published:
        raise ArticleError(source, "keep status: draft here; publish it with Publish")
    return with_front_matter(text, {"updated": today.isoformat()})


def file_version(text: str) -> str:
    """The first ARTICLE_VERSION_CHARS hex digits of the SHA-256 of a file's whole text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ARTICLE_VERSION_CHARS]


def with_front_matter(text: str, values: dict[str, str]) -> str:
    """The text with each top-level front-matter line `name: ...` of `values` set to its value
    (a line it lacks is added at the end of the front matter)."""
    text = text.replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    if not match:
        raise ArticleError("article", "missing YAML front matter between '---' lines")
    lines = match.group(1).split("\n")
    for name, value in values.items():
        pattern = re.compile(rf"^{re.escape(name)}\s*:")
        found = [number for number, line in enumerate(lines) if pattern.match(line)]
        if found:
            lines[found[0]] = f"{name}: {value}"
        else:
            lines.append(f"{name}: {value}")
    return "---\n" + "\n".join(lines) + "\n---\n" + match.group(2)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a hidden temporary file in the same folder (the library reads only
    `*.md`) and rename it over `path`: a reader sees the old file or the new one, never half."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def create_exclusively(path: Path, text: str) -> bool:
    """Write a new file at `path` whole (temporary file, then a hard link, which fails when the
    name is taken); False when a file of that name exists already."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        Path(temporary).unlink(missing_ok=True)
    return True


@dataclass(frozen=True)
class ReplayQuestion:
    text: str
    source: str  # one of QUESTION_SOURCES


@dataclass(frozen=True)
class Answer:
    """What the assistant does with one question: the best article and section, its score and
    the level (knowledge_base.confidence: answer, tentative or miss)."""

    article_id: str | None
    section: str | None
    score: float
    level: str

    def to_json(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "section": self.section,
            "score": round(self.score, 4),
            "level": self.level,
        }


def replay_questions(
    labelled: Sequence[Labelled], unanswered: Sequence[str], extra: Sequence[str]
) -> list[ReplayQuestion]:
    """Every question once (by its normalised text), the labelled ones first."""
    seen: set[str] = set()
    questions = []
    for source, texts in (
        ("kb_questions", [question.text for question in labelled]),
        ("unanswered", unanswered),
        ("extra", extra),
    ):
        for text in texts:
            key = normalise_question(text)
            if key and key not in seen:
                seen.add(key)
                questions.append(ReplayQuestion(text, source))
    return questions


def answer_of(result: SearchResult, thresholds: Thresholds) -> Answer:
    best = result.best
    if best is None:
        return Answer(None, None, 0.0, "miss")
    return Answer(best.article.id, best.section.heading, best.score, thresholds.level(best.score))


def compare_replay(
    draft_id: str,
    questions: Sequence[ReplayQuestion],
    labelled: Sequence[Labelled],
    searches: tuple[Search, Search],
    thresholds: Thresholds,
) -> dict[str, Any]:
    """Each question searched without the draft and with it (`searches`: before, after): the
    ones the draft would now answer, the answers that change, and the figures on `labelled`."""
    before_search, after_search = searches
    texts = dict.fromkeys([question.text for question in questions] + [q.text for q in labelled])
    results = {text: (before_search(text), after_search(text)) for text in texts}
    now_answered, changed = [], []
    for question in questions:
        before, after = (answer_of(result, thresholds) for result in results[question.text])
        entry = {"question": question.text, "source": question.source}
        if before.level != "answer" and after.level == "answer" and after.article_id == draft_id:
            shown = after.to_json()
            now_answered.append(entry | {"section": shown["section"], "score": shown["score"]})
        elif before.level == "answer" and (after.article_id, after.section, after.level) != (
            before.article_id,
            before.section,
            "answer",
        ):
            changed.append(entry | {"before": before.to_json(), "after": after.to_json()})
    accuracy = {
        moment: _figures(labelled, [results[q.text][position] for q in labelled], thresholds)
        for position, moment in enumerate(("before", "after"))
    }
    regression = any(
        (accuracy["after"][name] or 0) < (accuracy["before"][name] or 0)
        for name in REGRESSION_FIGURES
    )
    return {
        "questions_replayed": len(questions),
        "now_answered": now_answered,
        "changed": changed,
        "accuracy": accuracy,
        "regression": regression,
    }


def _figures(
    labelled: Sequence[Labelled], results: Sequence[SearchResult], thresholds: Thresholds
) -> dict[str, Any]:
    retrieved = [
        Retrieved(
            tuple(match.article.id for match in result.matches),
            result.best.score if result.best else 0.0,
        )
        for result in results
    ]
    every = figures(list(zip(labelled, retrieved, strict=True)), thresholds)
    return {name: every[name] for name in ACCURACY_FIGURES}
