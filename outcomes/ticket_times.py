"""A ticket's life as the outcome record keeps it: when it was created, first answered, closed
and how; whether each SLA was met; how long the customer waited in the queue; what the agent
asked again; whether the agent said a person was not needed. Pure: from the stored ticket
record (handoff/ticket_record.py) and the time the outcome is decided.
"""

from __future__ import annotations

from datetime import datetime

from handoff.routing.sla import SLA_KINDS, SlaKind
from handoff.takeover import resolution_code
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import CLOSED_TICKET_STATUSES
from infra.clock import parse_time
from outcomes.reasks import agent_reasks
from outcomes.record import TicketTimes

ENDS_RESOLUTION = frozenset({"resolved", "handed_back", "closed"})
"""Closing statuses that end the resolution clock with a person's answer (a cancelled request
had none: its SLA does not apply)."""


def ticket_times(record: TicketRecord, now: datetime) -> TicketTimes:
    status = record.status
    return TicketTimes(
        ticket_id=record.ticket_id,
        created_at=record.ticket.created_at,
        first_agent_message_at=record.first_response_at,
        closed_at=record.closed_at,
        closed_as=status if status in CLOSED_TICKET_STATUSES else None,
        resolution_code=resolution_code(record) if status == "resolved" else None,
        agent_id=record.agent_id,
        first_response_sla_met=sla_met(record, "first_response", now),
        resolution_sla_met=sla_met(record, "resolution", now),
        queue_wait_seconds=queue_wait_seconds(record),
        agent_reasks=agent_reasks(record.ticket),
        escalation_not_needed=not record.escalation_needed,
    )


def sla_met(record: TicketRecord, kind: SlaKind, now: datetime) -> bool | None:
    """False once a breach of this kind fired (the SLA watchdog re-escalated) or the due time
    passed with nothing done; True when done by the due time; None when it does not apply
    (no due time, the customer withdrew, or still within time)."""
    assert kind in SLA_KINDS
    if any(f"|{kind}|" in breach for breach in record.fired_breaches):
        return False
    routing = record.ticket.routing
    due_text = getattr(routing, f"{kind}_due") if routing is not None else None
    if due_text is None:
        return None
    due = parse_time(due_text)
    if kind == "first_response":
        done = record.first_response_at
    else:
        done = record.closed_at if record.status in ENDS_RESOLUTION else None
    if done is not None:
        return parse_time(done) <= due
    if record.status == "cancelled":
        return None
    return False if now > due else None


def queue_wait_seconds(record: TicketRecord) -> float | None:
    """From the ticket's first wait in a queue to the first agent taking it; None when no
    agent took it."""
    history = record.ticket.status_history
    waited = next((change.at for change in history if change.status == "waiting"), None)
    taken = next((change.at for change in history if change.status == "assigned"), None)
    if waited is None or taken is None:
        return None
    return round(max((parse_time(taken) - parse_time(waited)).total_seconds(), 0.0), 3)
