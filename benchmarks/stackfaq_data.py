"""Reading the StackFAQ file (Karan & Šnajder 2018) into FAQ items and queries.

The file is `{"root": {"qapair": [{"rephr": [...], "question": "...", "answer": [...]}, ...]}}`:
125 StackExchange threads, each with its question, its top answers and about ten user
rephrasings of the same need. Each rephrasing is a query whose one relevant item is the thread
it was written for. A rephrasing "*" is an empty placeholder in the data and is skipped, as is
a missing (null) one; both are counted so the report can say how many queries were dropped.

Each thread belongs to a fixed part, `tuning` or `test` (`thread_part`, fixed on 2026-12-06
before any retrieval change was measured on it): a change to the index is chosen on the tuning
threads' queries and reported on the test threads' queries (every query still ranks all 125
threads).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLACEHOLDER = "*"


class StackFaqError(ValueError):
    """A file that is not StackFAQ-shaped, naming the file and what is wrong."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")


@dataclass(frozen=True)
class FaqItem:
    number: int  # position in the file, from 0
    question: str
    answers: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"faq-{self.number:03d}"


@dataclass(frozen=True)
class Query:
    text: str
    relevant: str  # the id of the FAQ item it rephrases


PARTS = ("tuning", "test")


def thread_part(item_id: str) -> str:
    """The fixed part of a thread: `tuning` when the first byte of SHA-256 of its id is even."""
    return PARTS[hashlib.sha256(item_id.encode("utf-8")).digest()[0] % 2]


@dataclass(frozen=True)
class StackFaq:
    items: tuple[FaqItem, ...]
    queries: tuple[Query, ...]
    skipped_placeholders: int  # rephrasings that were "*"
    skipped_missing: int  # rephrasings that were null or blank


def load_stackfaq(path: Path) -> StackFaq:
    """Read and check the file; raise StackFaqError saying what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFaqError(str(path), f"cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise StackFaqError(str(path), f"is not JSON ({exc})") from exc
    return parse_stackfaq(data, str(path))


def parse_stackfaq(data: Any, source: str) -> StackFaq:
    pairs = data.get("root", {}).get("qapair") if isinstance(data, dict) else None
    if not isinstance(pairs, list) or not pairs:
        raise StackFaqError(source, 'expected {"root": {"qapair": [...]}} with at least one item')
    items: list[FaqItem] = []
    queries: list[Query] = []
    placeholders = missing = 0
    for number, pair in enumerate(pairs):
        item = _item(pair, number, source)
        items.append(item)
        for text in pair["rephr"]:
            if text is None or (isinstance(text, str) and not text.strip()):
                missing += 1
            elif not isinstance(text, str):
                raise StackFaqError(source, f"item {number}: a rephrasing is not text: {text!r}")
            elif text.strip() == PLACEHOLDER:
                placeholders += 1
            else:
                queries.append(Query(text.strip(), item.id))
    if not queries:
        raise StackFaqError(source, "no rephrasings to use as queries")
    return StackFaq(tuple(items), tuple(queries), placeholders, missing)


def _item(pair: Any, number: int, source: str) -> FaqItem:
    if not isinstance(pair, dict):
        raise StackFaqError(source, f"item {number} is not an object")
    question = pair.get("question")
    if not isinstance(question, str) or not question.strip():
        raise StackFaqError(source, f"item {number} has no question")
    if not isinstance(pair.get("rephr"), list):
        raise StackFaqError(source, f"item {number} has no list of rephrasings ('rephr')")
    answers = pair.get("answer")
    if isinstance(answers, str):  # one item in the published file has a single answer as text
        answers = [answers]
    if not isinstance(answers, list) or not all(isinstance(answer, str) for answer in answers):
        raise StackFaqError(source, f"item {number}: 'answer' must be a list of texts")
    kept = tuple(answer.strip() for answer in answers if answer.strip())
    if not kept:
        raise StackFaqError(source, f"item {number} has no answer text")
    return FaqItem(number, question.strip(), kept)
