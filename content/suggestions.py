"""Learning from agents: what an agent answered in a takeover, as a suggested article.

Pure: a ticket in, a `Suggestion` out; a suggestion in, a draft article's markdown out. When an
agent resolves a chat or hands it back (service/desk/agent_actions.py), the customer's question
(the summary's "Wants": their first substantive message, handoff/ticket/summary.py) and the
agent's replies, both masked, become a suggestion (content/store.py keeps them). One action
turns it into a draft file: front matter the help centre accepts (knowledge_base/articles.py),
the question in `questions:`, the agent's answer as the section's text.

A suggestion keeps its ticket and conversation ids so a customer's erasure removes it
(service/desk/privacy.py); the content team's API shows neither.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from handoff.detection.frustration import STOPWORDS
from handoff.privacy.redact import redact_text
from handoff.ticket.model import AgentTurn, Ticket
from handoff.ticket.summary import customer_need
from knowledge_base.articles import ARTICLE_ID, MAX_QUESTION_LENGTH, parse_article

SUGGESTION_ID = re.compile(r"^sg-[0-9a-f]{12}$")
SLUG_WORDS = 6
SLUG_CHARS = 60
TAG_WORDS = 4
TITLE_CHARS = 120
FALLBACK_SLUG = "suggested-article"
ANSWER_HEADING = "Answer"


@dataclass(frozen=True)
class Suggestion:
    """A customer's question and an agent's answer from one ticket (both masked)."""

    id: str
    question: str
    answer: str
    team: str
    agent_id: str
    at: str
    ticket_id: str
    conversation_id: str
    category: str = "general"
    article_team: str = ""
    """The owning team a draft gets: the team of the article the customer was shown, else the
    ticket's team."""
    draft_article_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Suggestion:
        return cls(**json.loads(text))

    def public(self) -> dict[str, Any]:
        """What the content team sees: no ticket or conversation id."""
        shown = asdict(self)
        del shown["ticket_id"], shown["conversation_id"]
        return shown


def suggestion_id(ticket_id: str) -> str:
    """A suggestion's id: from its ticket's, one per ticket, without naming the ticket."""
    return "sg-" + hashlib.sha256(ticket_id.encode("utf-8")).hexdigest()[:12]


def suggestion_from_ticket(
    ticket: Ticket,
    team: str,
    agent_id: str,
    at: str,
    shown: dict[str, tuple[str, str]] | None = None,
) -> Suggestion | None:
    """The ticket's suggestion: the customer's need and the agent's replies; None when the
    customer never said what they wanted or no agent replied. `shown`: article id -> (category,
    team) of the help centre's articles, to file the draft next to what the customer was shown."""
    need = customer_need(ticket.customer_turns)
    replies = [turn.text.strip() for turn in ticket.transcript if isinstance(turn, AgentTurn)]
    replies = [reply for reply in replies if reply]
    if need is None or not replies:
        return None
    category, article_team = "general", team or "general"
    for article in reversed(ticket.articles_shown):
        if article.article_id and shown and article.article_id in shown:
            category, article_team = shown[article.article_id]
            break
    return Suggestion(
        id=suggestion_id(ticket.ticket_id),
        question=redact_text(" ".join(need.text.split()))[:MAX_QUESTION_LENGTH],
        answer="\n\n".join(redact_text(reply) for reply in replies),
        team=team,
        agent_id=agent_id,
        at=at,
        ticket_id=ticket.ticket_id,
        conversation_id=ticket.conversation_id,
        category=category,
        article_team=article_team,
    )


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


def draft_article(suggestion: Suggestion, article_id: str, today: dt.date) -> str:
    """The markdown of a draft article from the suggestion; it parses as an article (checked)."""
    words = [w for w in re.findall(r"[a-z]+", suggestion.question.lower()) if w not in STOPWORDS]
    tags = list(dict.fromkeys(word for word in words if len(word) > 2))[:TAG_WORDS] or ["general"]
    front = [
        f"id: {article_id}",
        f"title: {json.dumps(title_of(suggestion.question))}",
        f"category: {json.dumps(suggestion.category or 'general')}",
        f"team: {json.dumps(suggestion.article_team or suggestion.team or 'general')}",
        f"tags: {json.dumps(tags)}",
        "status: draft",
        f"updated: {today.isoformat()}",
        "questions:",
        f"  - {{question: {json.dumps(suggestion.question)}, section: {ANSWER_HEADING}}}",
    ]
    body = f"## {ANSWER_HEADING}\n{suggestion.answer.strip()}\n"
    text = "---\n" + "\n".join(front) + "\n---\n" + body
    parse_article(text, f"{article_id}.md")  # ArticleError here is a bug of this module
    return text
