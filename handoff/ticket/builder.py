"""Package a conversation into a handoff ticket: mask, read, extract, summarise.

Order matters for privacy: the tracker and the decision record are masked first
(handoff.privacy.redact), so the transcript, the extracted context, the slots and the summary are
all built from masked text. The ticket comes out unrouted (status "new", routing None); routing
(handoff/routing/) then calls `Ticket.with_routing`. Pure: the clock (`now`) and the spaCy
pipeline (`nlp`) are passed in; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from handoff.privacy.redact import redact_value
from handoff.privacy.typed_secrets import typed_secrets, without_secrets
from handoff.ticket.extract import HEARTHLY, Catalogue, Nlp, extract_context
from handoff.ticket.model import ContextItem, Customer, StatusChange, Ticket
from handoff.ticket.summary import summarise, why_it_escalated
from handoff.ticket.transcript import DECISION_SLOT, read_tracker
from handoff.vocabulary import ORDER_ACTIONS_SLOT
from infra.clock import iso_utc

CREATED_BY = "assistant"


class VerifiedCustomer(Protocol):
    """Who the customer is, as the company's backend vouched for it (e.g. CustomerContext)."""

    @property
    def id(self) -> str: ...

    @property
    def tier(self) -> str | None: ...


def build_ticket(
    tracker_json: Mapping[str, Any],
    decision_record: Mapping[str, Any] | None,
    *,
    ticket_id: str,
    conversation_id: str,
    channel: str,
    customer: VerifiedCustomer | None,
    now: datetime,
    nlp: Nlp | None,
    catalogue: Catalogue = HEARTHLY,
) -> Ticket:
    """The unrouted ticket for a conversation handed to a person.

    tracker_json: Rasa's `GET /conversations/{id}/tracker` answer (with its events).
    decision_record: the escalation decision's record (`Decision.to_dict()`,
    handoff/detection/decision_record.py); None reads the `escalation_decision`
    slot, and a conversation without one still gets a ticket (the summary says so).
    customer: only from a verified source; None for an anonymous customer.
    nlp: a spaCy pipeline (extract.english_nlp()), or None for pattern-only extraction.
    """
    for name, value in (("ticket_id", ticket_id), ("conversation_id", conversation_id)):
        if not value:
            raise ValueError(f"{name} must be a non-empty string")
    tracker, record = _masked(tracker_json, decision_record)
    conversation = read_tracker(tracker)
    if record is None:
        record = _decision_from_slots(tracker)
    turns = conversation.customer_turns
    context = extract_context(turns, nlp, catalogue)
    created = iso_utc(now)
    why = why_it_escalated(turns, record)
    actions = conversation.slots.get(ORDER_ACTIONS_SLOT)
    summary = summarise(turns, conversation.articles_shown, context, record, actions)
    return Ticket(
        ticket_id=ticket_id,
        conversation_id=conversation_id,
        created_at=created,
        updated_at=created,
        channel=channel or "unknown",
        customer=_customer(customer, conversation.slots, context),
        transcript=conversation.transcript,
        articles_shown=conversation.articles_shown,
        context=context,
        slots=conversation.slots,
        escalation_decision=record,
        summary=summary,
        routing=None,
        status="new",
        status_history=(
            StatusChange(
                at=created,
                status="new",
                by=CREATED_BY,
                note=f"handed off: {why.head}" if record and record.get("reason") else "handed off",
            ),
        ),
    )


def _masked(
    tracker_json: Mapping[str, Any], decision_record: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The tracker and the decision record with typed secrets masked, and every entity or slot
    Rasa took from inside one (a password read as an order number) masked like it."""
    secrets = typed_secrets(tracker_json.get("events"))
    tracker = without_secrets(redact_value(dict(tracker_json)), secrets)
    if decision_record is None:
        return tracker, None
    return tracker, without_secrets(redact_value(dict(decision_record)), secrets)


def _decision_from_slots(tracker: Mapping[str, Any]) -> dict[str, Any] | None:
    slots = tracker.get("slots")
    record = slots.get(DECISION_SLOT) if isinstance(slots, Mapping) else None
    return dict(record) if isinstance(record, Mapping) else None


def _customer(
    verified: VerifiedCustomer | None, slots: Mapping[str, Any], context: Sequence[ContextItem]
) -> Customer:
    """Verified id and tier; the email and phone the customer gave (latest mention wins)."""
    email = slots.get("email") if isinstance(slots.get("email"), str) else None
    return Customer(
        id=verified.id if verified else None,
        tier=verified.tier if verified else None,
        verified=verified is not None,
        email=email or _latest(context, "email"),
        phone=_latest(context, "phone"),
    )


def _latest(context: Sequence[ContextItem], kind: str) -> str | None:
    values = [item.value for item in context if item.kind == kind]
    return values[-1] if values else None
