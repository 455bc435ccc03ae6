"""From a built ticket to the escalation incident detection compares: the customer's problem.

Pure. The description is what the customer wrote about the problem, not how they asked for
help: their typed turns in order (pressed buttons and "/" payloads left out), gathered until
there are `incidents.min_problem_words` problem words (`incidents.problem_words`). A turn the
NLU read as small talk, feedback or a request for a person (`summary.SMALL_TALK_INTENTS`)
counts only when it names one of the shop's products ("a person please, my hub is dead").
The products named go to `products`, not into the description; contact details and people's
names are left out. A customer who only asked for a person has no description, and such an
escalation is in no incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handoff.routing.config import IncidentSettings
from handoff.routing.incidents import Escalation, problem_words
from handoff.ticket.model import ContextItem, CustomerTurn, Ticket
from handoff.ticket.summary import SMALL_TALK_INTENTS

PERSONAL_KINDS = frozenset({"email", "phone", "person"})
"""Context kinds whose words say who the customer is, not what is wrong."""


def escalation_for_incidents(
    ticket: Ticket, customer_key: str, at: datetime, topic: str, settings: IncidentSettings
) -> Escalation:
    """`topic` is the team routing chose from the evidence, before any incident (skill team).
    The failing article is the first one the customer said did not help."""
    failing = next(
        (shown.article_id for shown in ticket.articles_shown if shown.feedback == "not_helpful"),
        None,
    )
    return Escalation(
        ticket_id=ticket.ticket_id,
        customer_id=customer_key,
        at=at,
        failing_article_id=failing,
        description=problem_description(ticket.customer_turns, ticket.context, settings),
        topic=topic,
        products=products_named(ticket.context),
    )


def problem_description(
    turns: Sequence[CustomerTurn], context: Sequence[ContextItem], settings: IncidentSettings
) -> str:
    """The customer's problem words, space-separated; empty when they said nothing of one."""
    named = {item.turn for item in context if _is_product(item)}
    words: dict[str, None] = {}
    for turn in turns:
        if not turn.text.strip() or turn.text.startswith("/") or turn.button is not None:
            continue
        if turn.intent in SMALL_TALK_INTENTS and turn.turn not in named:
            continue
        text = turn.text
        for item in context:
            if item.turn == turn.turn and item.text and _set_aside(item):
                text = text.replace(item.text, " ")
        words.update(dict.fromkeys(problem_words(text, settings.ignore_words)))
        if len(words) >= settings.min_problem_words:
            break
    return " ".join(words)


def products_named(context: Sequence[ContextItem]) -> frozenset[str]:
    """The catalogue's names of the products the customer mentioned."""
    return frozenset(item.value for item in context if _is_product(item))


def _set_aside(item: ContextItem) -> bool:
    """Products are compared on their own; contact details and names are not the problem."""
    return item.kind in PERSONAL_KINDS or _is_product(item)


def _is_product(item: ContextItem) -> bool:
    return item.kind == "product" and item.source == "catalogue"
