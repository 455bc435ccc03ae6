"""The markdown of a new draft article: from an agent's answer (content/suggestions.py) or from a
gap topic's questions, with front matter the help centre accepts (knowledge_base/articles.py).

Pure. The article id comes from the question (`unique_slug`: its first content words), the
title is the question as a sentence, the questions go in `questions:` (each pointing at the one
section, "Answer"), the section holds the answer. A topic's draft has no answer yet: its section
says `PLACEHOLDER`, and publishing refuses a draft that still says it (content/drafts.py), so a
customer never reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence

from handoff.detection.frustration import STOPWORDS
from knowledge_base.articles import ARTICLE_ID, MAX_QUESTIONS, parse_article

SLUG_WORDS = 6
SLUG_CHARS = 60
TAG_WORDS = 4
TITLE_CHARS = 120
FALLBACK_SLUG = "suggested-article"
ANSWER_HEADING = "Answer"
PLACEHOLDER = "Write the answer customers should get here, then publish."


def slug(question: str) -> str:
    """An article id from the question: its first content words, lowercase, joined by '-'."""
    words = [w for w in re.findall(r"[a-z0-9]+", question.lower()) if w not in STOPWORDS]
    candidate = "-".join(words[:SLUG_WORDS])[:SLUG_CHARS].rstrip("-")
    return candidate if ARTICLE_ID.match(candidate) else FALLBACK_SLUG


def unique_slug(question: str, taken: set[str]) -> str:
    """`slug(question)`, with -2, -3... when the id is taken."""
    base = slug(question)
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def title_of(question: str) -> str:
    text = " ".join(question.split()).rstrip(" .!")
    text = text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 3].rstrip() + "..."
    return text[:1].upper() + text[1:]


def draft_markdown(
    article_id: str,
    questions: Sequence[str],
    answer: str,
    *,
    category: str,
    team: str,
    today: dt.date,
) -> str:
    """A draft titled by the first question, with the questions (at most the article limit) in
    `questions:` and `answer` as the text of its one section; it parses as an article (checked:
    an ArticleError here is a bug of this module)."""
    first = questions[0]
    words = [w for w in re.findall(r"[a-z]+", first.lower()) if w not in STOPWORDS]
    tags = list(dict.fromkeys(word for word in words if len(word) > 2))[:TAG_WORDS] or ["general"]
    front = [
        f"id: {article_id}",
        f"title: {json.dumps(title_of(first))}",
        f"category: {json.dumps(category or 'general')}",
        f"team: {json.dumps(team or 'general')}",
        f"tags: {json.dumps(tags)}",
        "status: draft",
        f"updated: {today.isoformat()}",
        "questions:",
        *(
            f"  - {{question: {json.dumps(question)}, section: {ANSWER_HEADING}}}"
            for question in list(dict.fromkeys(questions))[:MAX_QUESTIONS]
        ),
    ]
    body = f"## {ANSWER_HEADING}\n{answer.strip()}\n"
    text = "---\n" + "\n".join(front) + "\n---\n" + body
    parse_article(text, f"{article_id}.md")
    return text
