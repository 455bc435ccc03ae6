"""Learning from agents (content/suggestions.py): a ticket's question and the agent's answer
become a suggestion, and a suggestion a draft article the help centre accepts."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from content.new_drafts import slug, unique_slug
from content.suggestions import (
    Suggestion,
    draft_article,
    suggestion_from_ticket,
    suggestion_id,
)
from handoff.ticket.model import AgentTurn, Ticket
from knowledge_base.articles import parse_article
from tests.support.handoff import CARD, HUB, record

REPLY = "Unplug the hub for ten seconds, then hold its button until it blinks white."


def answered(ticket: Ticket, *replies: str) -> Ticket:
    turns = [AgentTurn(9, text, "2026-03-10T14:05:00Z", "priya") for text in replies]
    return replace(ticket, transcript=(*ticket.transcript, *turns))


def test_a_ticket_with_an_agent_reply_becomes_a_suggestion_filed_by_what_was_shown() -> None:
    ticket = answered(record(HUB, "conv-1").ticket, REPLY, f"card {CARD} noted")
    shown = {"hub-offline": ("devices", "technical")}
    found = suggestion_from_ticket(ticket, "technical", "priya", "2026-03-10T14:06:00Z", shown)
    assert found is not None
    assert found.question == HUB.text  # the customer's need, not their "hi"
    assert found.answer.startswith(REPLY) and "4242 4242" not in found.answer  # masked
    assert (found.category, found.article_team, found.team) == ("devices", "technical", "technical")
    assert (found.ticket_id, found.conversation_id) == (ticket.ticket_id, "conv-1")
    assert found.id == suggestion_id(ticket.ticket_id)
    assert "ticket_id" not in found.public() and "conversation_id" not in found.public()
    assert Suggestion.from_json(found.to_json()) == found


def test_no_suggestion_without_an_agent_reply() -> None:
    ticket = record(HUB, "conv-1").ticket
    assert suggestion_from_ticket(ticket, "technical", "priya", "t") is None


def test_a_suggestion_becomes_a_draft_article_with_correct_front_matter() -> None:
    ticket = answered(record(HUB, "conv-1").ticket, REPLY)
    found = suggestion_from_ticket(ticket, "technical", "priya", "t")
    assert found is not None
    article_id = unique_slug(found.question, {slug(found.question)})
    assert article_id == slug(found.question) + "-2"
    text = draft_article(found, article_id, dt.date(2026, 3, 10))
    article = parse_article(text, f"{article_id}.md")
    assert (article.id, article.status, article.updated) == (
        article_id,
        "draft",
        dt.date(2026, 3, 10),
    )
    assert article.title.lower().startswith("my hub is blinking amber")
    assert [q.text for q in article.questions] == [HUB.text]
    assert article.sections[0].text == REPLY
    assert article.team == "technical" and article.category == "general"
    assert slug("??") == "suggested-article"
    assert len(slug("x" * 300 + " refund")) <= 60
