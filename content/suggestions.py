"""Learning from agents: what an agent answered in a takeover, as a suggested article.

Pure: a ticket in, a `Suggestion` out; a suggestion in, a draft article's markdown out. When an
agent resolves a chat or hands it back (service/desk/agent_actions.py), the customer's question
(the summary's "Wants": their first substantive message, handoff/ticket/summary.py) and the
agent's replies, both masked, become a suggestion (content/store.py keeps them). One action
turns it into a draft file (content/new_drafts.py): front matter the help centre accepts, the
question in `questions:`, the agent's answer as the section's text.

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

from content.new_drafts import draft_markdown
from handoff.privacy.redact import redact_text
from handoff.ticket.model import AgentTurn, Ticket
from handoff.ticket.summary import customer_need
from knowledge_base.articles import MAX_QUESTION_LENGTH

SUGGESTION_ID = re.compile(r"^sg-[0-9a-f]{12}$")


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


def draft_article(suggestion: Suggestion, article_id: str, today: dt.date) -> str:
    """The markdown of a draft article from the suggestion: the question as title and in
    `questions:`, the agent's answer as the section's text (content/new_drafts.py)."""
    return draft_markdown(
        article_id,
        [suggestion.question],
        suggestion.answer,
        category=suggestion.category,
        team=suggestion.article_team or suggestion.team,
        today=today,
    )
