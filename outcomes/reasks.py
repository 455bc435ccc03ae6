"""Agent re-asks: an agent's message asks the customer for something the ticket already had.

The ticket arrives with what the customer said (the extracted context: order number, email,
amount) and what was tried (the help-centre articles shown). An agent who asks for one of them
again makes the customer repeat themselves, which the handoff exists to avoid; the re-ask rate
counts such tickets. Deliberately simple and explainable: a sentence of an agent's message is
a re-ask of a kind when it is a request (a question, or "please send / can you tell me ..."),
names that kind ("your order number", "your email address", "how much were you charged",
"have you tried ...") and does not itself carry the value the ticket has (then the agent is
confirming, not asking). Only kinds the ticket had count. Pure; reads masked text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from handoff.ticket.model import AgentTurn, Ticket

REASK_KINDS = ("order_number", "email", "amount", "what_was_tried")
CONTEXT_KINDS = frozenset({"order_number", "email", "amount"})
ASKS_FOR = {
    "order_number": re.compile(
        r"\b(?:your|the)\s+order\s*(?:number|no\b\.?|#|id\b)|\bwhich\s+order\b", re.IGNORECASE
    ),
    "email": re.compile(
        r"\byour\s+e-?mail\s+address\b"
        r"|\b(?:what|which)(?:'s|\s+is|\s+was)\s+(?:your|the)\s+e-?mail\b"
        r"|\b(?:send|give|share|tell|provide)\s+(?:me|us)?\s*(?:with\s+)?your\s+e-?mail\b",
        re.IGNORECASE,
    ),
    "amount": re.compile(
        r"\bhow\s+much\s+(?:were|was|did|have|had)\b"
        r"|\b(?:what|which)(?:'s|\s+is|\s+was)\s+the\s+amount\b"
        r"|\bthe\s+amount\s+(?:you\s+were\s+|that\s+was\s+)?charged\b",
        re.IGNORECASE,
    ),
    "what_was_tried": re.compile(
        r"\bwhat\s+(?:have|did)\s+you\s+(?:already\s+)?tr(?:y|ied)\b"
        r"|\b(?:have|did)\s+you\s+(?:already\s+)?"
        r"(?:tr(?:y|ied)|restart(?:ed)?|reset|reboot(?:ed)?|unplug(?:ged)?)\b",
        re.IGNORECASE,
    ),
}
REQUEST = re.compile(
    r"\?\s*$|^\s*(?:please|kindly|can\s+you|could\s+you|would\s+you)\b|\blet\s+me\s+know\b",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
DIGITS = re.compile(r"\d+")


def agent_reasks(ticket: Ticket) -> tuple[str, ...]:
    """The kinds (of REASK_KINDS, in that order) an agent asked for although the ticket had
    them; empty when no agent wrote or nobody re-asked."""
    known = known_values(ticket)
    if not known:
        return ()
    texts = [turn.text for turn in ticket.transcript if isinstance(turn, AgentTurn)]
    asked = {kind for text in texts for kind in asks_in(text, known)}
    return tuple(kind for kind in REASK_KINDS if kind in asked)


def known_values(ticket: Ticket) -> dict[str, tuple[str, ...]]:
    """What the ticket had when it reached the team: kind -> the values it holds ("tried"
    has no value to compare with)."""
    known: dict[str, list[str]] = {}
    for item in ticket.context:
        if item.kind in CONTEXT_KINDS:
            known.setdefault(item.kind, []).append(item.value)
    if ticket.customer.email:
        known.setdefault("email", []).append(ticket.customer.email)
    if isinstance(ticket.slots.get("order_number"), str):
        known.setdefault("order_number", []).append(ticket.slots["order_number"])
    if any(article.answered and article.article_id for article in ticket.articles_shown):
        known["what_was_tried"] = []
    return {kind: tuple(values) for kind, values in known.items()}


def asks_in(text: str, known: dict[str, tuple[str, ...]]) -> set[str]:
    """The known kinds one agent message asks for."""
    asked: set[str] = set()
    for sentence in SENTENCE_END.split(text):
        if not REQUEST.search(sentence):
            continue
        for kind, values in known.items():
            if ASKS_FOR[kind].search(sentence) and not _carries(sentence, kind, values):
                asked.add(kind)
    return asked


def _carries(sentence: str, kind: str, values: Iterable[str]) -> bool:
    """The sentence holds one of the ticket's values (the agent confirms, not asks)."""
    lowered = sentence.lower()
    for value in values:
        if kind == "order_number":
            digits = "".join(DIGITS.findall(value))
            if digits and digits in "".join(DIGITS.findall(sentence)):
                return True
        elif value.lower() in lowered:
            return True
    return False
