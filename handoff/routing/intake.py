"""From a built ticket to what routing, incident detection and the customer need. Pure.

- `escalation_label`: which escalation of a conversation a request is (idempotency key part);
- `routing_request`: the ticket as handoff/routing/rules.py reads it;
- `customer_message`: one honest sentence on what happens next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from handoff.routing.rules import Amount, ArticleTried, PendingApproval, RoutingRequest
from handoff.ticket.model import Ticket
from handoff.ticket.summary import first_request
from handoff.vocabulary import NEEDS_APPROVAL, ORDER_ACTIONS_SLOT

NO_DECISION = "request"


def escalation_label(decision: Mapping[str, Any] | None) -> str:
    """'turn-4' for a decision at customer turn 4; 'request' when there is no decision record
    (a retry of the same request then finds the same ticket)."""
    turn = decision.get("turn") if isinstance(decision, Mapping) else None
    if isinstance(turn, int) and not isinstance(turn, bool) and turn >= 0:
        return f"turn-{turn}"
    return NO_DECISION


def customer_text(ticket: Ticket) -> str:
    """Everything the customer typed (pressed buttons left out), one turn per line."""
    return "\n".join(
        turn.text
        for turn in ticket.customer_turns
        if turn.text.strip() and not turn.text.startswith("/")
    )


def routing_request(ticket: Ticket, articles: Mapping[str, ArticleTried]) -> RoutingRequest:
    """`articles` holds the knowledge base's front matter by article id (category, tags)."""
    request = first_request(ticket.customer_turns)
    decision = ticket.escalation_decision or {}
    reason = decision.get("reason")
    return RoutingRequest(
        customer_text=customer_text(ticket),
        intent=request.intent if request else None,
        articles=tuple(
            articles.get(shown.article_id, ArticleTried(shown.article_id))
            for shown in ticket.articles_shown
            if shown.article_id
        ),
        amounts=tuple(_amounts(ticket)),
        customer_tier=ticket.customer.tier if ticket.customer.verified else None,
        escalation_reason=reason if isinstance(reason, str) else None,
        approvals=tuple(pending_approvals(ticket.slots.get(ORDER_ACTIONS_SLOT))),
    )


def pending_approvals(records: Any) -> list[PendingApproval]:
    """The actions on orders in the conversation that wait for someone with authority
    (`order_actions` slot records with result `needs_approval`); malformed records are skipped."""
    found = []
    for record in records if isinstance(records, list) else ():
        if not isinstance(record, Mapping) or record.get("result") != NEEDS_APPROVAL:
            continue
        cents, limit = record.get("amount_cents"), record.get("limit_cents")
        currency = str(record.get("currency") or "USD")
        if not isinstance(cents, int) or isinstance(cents, bool):
            continue
        found.append(
            PendingApproval(
                action=str(record.get("action") or "action"),
                order_number=str(record.get("order_number") or "?"),
                amount=Amount(Decimal(cents) / 100, currency),
                limit=Amount(Decimal(limit) / 100, currency) if isinstance(limit, int) else None,
            )
        )
    return found


def _amounts(ticket: Ticket) -> list[Amount]:
    found = []
    for item in ticket.context:
        if item.kind != "amount" or not item.currency:
            continue
        try:
            found.append(Amount(Decimal(item.value), item.currency))
        except InvalidOperation:
            continue
    return found


Outlook = Literal["assigned", "queued", "offline", "closed"]


@dataclass(frozen=True)
class NextStep:
    """What the customer is told; every field comes from the stored ticket and the queue."""

    outlook: Outlook
    team_name: str
    agent_name: str | None = None
    position: int | None = None
    wait_text: str | None = None
    team_open: bool = True
    hours: str = ""
    promise: str | None = None
    contact: str | None = None
    """An address to propose for the follow-up email (the claim's, or one typed earlier)."""
    follow_up_email: str | None = None
    """The address the customer gave, with consent, for the reply by email."""
    ask_for_email: bool = True
    """False once the customer said no to a follow-up email."""
    status: str = "waiting"


def customer_message(step: NextStep) -> str:
    """One sentence, honest about who, when and how."""
    if step.outlook == "assigned":
        return (
            f"{step.agent_name} from {step.team_name} is joining this chat now and can see "
            "everything we talked about, so you won't have to repeat anything."
        )
    if step.outlook == "queued":
        return (
            f"You're number {step.position} in the queue for {step.team_name}; the expected "
            f"wait is {step.wait_text}, and whoever picks this up will see our whole "
            "conversation."
        )
    if step.outlook == "offline":
        why = (
            "has nobody online right now"
            if step.team_open
            else f"is closed right now (hours: {step.hours})"
        )
        if step.follow_up_email:
            return (
                f"{step.team_name} {why}, so nobody can join this chat now; someone will reply "
                f"to {step.follow_up_email} by {step.promise}, with our whole conversation in "
                "front of them."
            )
        reply = (
            f"{step.team_name} {why}, so nobody can join this chat now; someone will reply here "
            f"by {step.promise}, with our whole conversation in front of them."
        )
        if not step.ask_for_email:
            return reply
        if step.contact:
            return (
                f"{reply} Shall we also email the reply to {step.contact}? Say yes, or type "
                "another address."
            )
        return (
            f"{reply} If you'd like the reply by email too, type your email address here "
            "(we use it only for this request)."
        )
    if step.status == "resolved":
        return "A person on our team has already resolved this request."
    return "This request is closed; ask for a person again whenever you need one."
