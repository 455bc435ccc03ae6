"""Help-centre articles: markdown files with YAML front matter, split into sections.

Pure parsing, no I/O except `load_articles`, which reads a folder and reports every bad file
instead of stopping at the first one (a typo in one article must not take the others down).

Besides the required fields, the front matter may carry what the content team knows about how
customers ask: `questions:` (customer-phrased questions the article answers, each a string for
the article as a whole or `{question: ..., section: <heading>}`) and `synonyms:` (the words
customers use for the article's things, e.g. "cam" for Sentinel Cam). Retrieval searches both.

An article's version (`article_version`) is a short hash of what a customer can be shown: its
title and its sections. It is recorded with every answer, with the front matter's `updated`, so
the conversation, the ticket and the QA review say exactly which text the customer read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from infra.yaml_config import parse_yaml_mapping

STATUSES = ("draft", "published")
REQUIRED_FIELDS = ("id", "title", "category", "team", "tags", "status", "updated")
ARTICLE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)
HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)
MAX_QUESTIONS = 20
MAX_QUESTION_LENGTH = 200
MAX_SYNONYMS = 30
MAX_SYNONYM_LENGTH = 40
ARTICLE_VERSION_CHARS = 12  # hex digits of SHA-256 kept: plenty to tell one article's edits apart


class ArticleError(ValueError):
    """An article file that cannot be used, with the file it came from."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


@dataclass(frozen=True)
class Section:
    """One `## ` section of an article; the unit that is searched and shown."""

    article_id: str
    heading: str  # "" for the introduction before the first heading
    text: str

    @property
    def anchor(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")
        return slug


@dataclass(frozen=True)
class ArticleQuestion:
    """A question the content team says the article answers, in a customer's words."""

    text: str
    section: str = ""  # the heading of the section that answers it; "" for the whole article


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    category: str
    team: str
    tags: tuple[str, ...]
    status: str
    updated: dt.date
    sections: tuple[Section, ...] = field(default=())
    source: str = ""
    questions: tuple[ArticleQuestion, ...] = field(default=())
    synonyms: tuple[str, ...] = field(default=())

    @property
    def published(self) -> bool:
        return self.status == "published"


def article_version(article: Article) -> str:
    """The article's content hash: the first ARTICLE_VERSION_CHARS hex digits of the SHA-256 of
    its title and sections as served. Any edit of what a customer can read changes it; front
    matter the customer never sees (tags, questions, synonyms, `updated`) does not."""
    served = [article.title, [[section.heading, section.text] for section in article.sections]]
    text = json.dumps(served, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ARTICLE_VERSION_CHARS]


def parse_article(text: str, source: str) -> Article:
    """Parse one markdown article; raise ArticleError naming the problem."""
    match = FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        raise ArticleError(source, "missing YAML front matter between '---' lines")
    try:
        meta = parse_yaml_mapping(match.group(1))
    except ValueError as problem:
        raise ArticleError(source, f"front matter {problem}") from problem
    missing = [name for name in REQUIRED_FIELDS if meta.get(name) in (None, "")]
    if missing:
        raise ArticleError(source, f"front matter is missing {', '.join(missing)}")
    article_id = str(meta["id"])
    if not ARTICLE_ID.match(article_id):
        raise ArticleError(source, f"id {article_id!r} must be lowercase words joined by '-'")
    status = str(meta["status"])
    if status not in STATUSES:
        raise ArticleError(source, f"status {status!r} must be one of {', '.join(STATUSES)}")
    tags = meta["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ArticleError(source, "tags must be a list of words, e.g. [returns, refund]")
    updated = meta["updated"]
    if not isinstance(updated, dt.date):
        try:
            updated = dt.date.fromisoformat(str(updated))
        except ValueError as exc:
            raise ArticleError(source, f"updated {updated!r} must be a date YYYY-MM-DD") from exc
    sections = split_sections(article_id, match.group(2))
    if not sections:
        raise ArticleError(source, "the article has no text")
    headings = [section.heading for section in sections if section.heading]
    return Article(
        id=article_id,
        title=str(meta["title"]).strip(),
        category=str(meta["category"]).strip(),
        team=str(meta["team"]).strip(),
        tags=tuple(tag.strip() for tag in tags),
        status=status,
        updated=updated,
        sections=tuple(sections),
        source=source,
        questions=parse_questions(meta.get("questions"), headings, source),
        synonyms=parse_synonyms(meta.get("synonyms"), source),
    )


def parse_questions(value: object, headings: list[str], source: str) -> tuple[ArticleQuestion, ...]:
    """The optional `questions:` list: plain strings, or `{question: ..., section: <heading>}`
    where the heading is one of the article's `## ` headings, spelled as in the article."""
    if value is None:
        return ()
    example = "e.g. ['my hub blinks orange', {question: ..., section: <a ## heading>}]"
    if not isinstance(value, list):
        raise ArticleError(source, f"questions must be a list, {example}")
    if len(value) > MAX_QUESTIONS:
        raise ArticleError(source, f"questions has {len(value)} entries, at most {MAX_QUESTIONS}")
    questions = []
    for number, entry in enumerate(value, start=1):
        where = f"question {number}"
        section = ""
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - {"question", "section"})
            if unknown:
                raise ArticleError(source, f"{where} has unknown keys {unknown}, {example}")
            section = _text(
                entry.get("section", ""), f"{where}'s section", source, allow_empty=True
            )
            entry = entry.get("question")
        text = _text(entry, where, source)
        if len(text) > MAX_QUESTION_LENGTH:
            raise ArticleError(
                source, f"{where} is {len(text)} characters long, at most {MAX_QUESTION_LENGTH}"
            )
        if section and section not in headings:
            raise ArticleError(
                source,
                f"{where}'s section {section!r} is not a heading of this article"
                f" (headings: {'; '.join(headings) or 'none'})",
            )
        questions.append(ArticleQuestion(text, section))
    return tuple(questions)


def parse_synonyms(value: object, source: str) -> tuple[str, ...]:
    """The optional `synonyms:` list: short words or phrases, e.g. [cam, security camera]."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ArticleError(source, "synonyms must be a list of words, e.g. [cam, plus]")
    if len(value) > MAX_SYNONYMS:
        raise ArticleError(source, f"synonyms has {len(value)} entries, at most {MAX_SYNONYMS}")
    synonyms = []
    for number, entry in enumerate(value, start=1):
        synonym = _text(entry, f"synonym {number}", source)
        if len(synonym) > MAX_SYNONYM_LENGTH:
            raise ArticleError(
                source,
                f"synonym {synonym!r} is {len(synonym)} characters long,"
                f" at most {MAX_SYNONYM_LENGTH}",
            )
        synonyms.append(synonym)
    return tuple(synonyms)


def _text(value: object, what: str, source: str, allow_empty: bool = False) -> str:
    """A front-matter string, stripped; numbers are read as text (a synonym may be "4")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ArticleError(source, f"{what} must be text, not {type(value).__name__}")
    text = value.strip()
    if not text and not allow_empty:
        raise ArticleError(source, f"{what} is empty")
    return text


def split_sections(article_id: str, body: str) -> list[Section]:
    """Split a markdown body at `## ` headings; the text before the first one is the intro."""
    sections: list[Section] = []
    headings = list(HEADING.finditer(body))
    intro = body[: headings[0].start()] if headings else body
    intro = _strip_title_line(intro).strip()
    if intro:
        sections.append(Section(article_id, "", intro))
    for number, heading in enumerate(headings):
        end = headings[number + 1].start() if number + 1 < len(headings) else len(body)
        text = body[heading.end() : end].strip()
        if text:
            sections.append(Section(article_id, heading.group(1).strip(), text))
    return sections


def _strip_title_line(text: str) -> str:
    """Drop a leading `# Title` line: the title lives in the front matter."""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines)


def read_article(path: Path) -> Article:
    """Read and parse one article file; raise ArticleError naming the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(path.name, f"cannot be read ({exc})") from exc
    return parse_article(text, path.name)


def load_articles(folder: Path) -> tuple[list[Article], list[ArticleError]]:
    """Read every `*.md` in folder. Returns the good articles and one error per bad file."""
    articles: list[Article] = []
    errors: list[ArticleError] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            article = read_article(path)
        except ArticleError as error:
            errors.append(error)
            continue
        if article.id in seen:
            errors.append(duplicate_id(article, seen[article.id]))
            continue
        seen[article.id] = path.name
        articles.append(article)
    return articles, errors


def duplicate_id(article: Article, first_file: str) -> ArticleError:
    """The error of a file whose id an earlier file (in name order) already uses."""
    return ArticleError(article.source, f"id {article.id!r} is already used by {first_file}")
