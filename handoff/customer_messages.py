"""What the customer writes while a person has the conversation (waiting or with an agent).

The gateway does not send these messages to Rasa; they are appended to the open ticket's
transcript (masked like every transcript turn), where the agent API and the console read them.
This is the pure transition, kept apart from the agent-side transitions in
`handoff/lifecycle.py`; the store runs it (`append_customer_message` in
handoff/store/conversations.py, the gateway's port).

A message is never dropped quietly: it is appended, or the caller learns that the conversation
is no longer with people (let the assistant answer it), or `MessageNotDelivered` says the open
ticket could not take it (it is missing, e.g. still being created after its reservation, or
lost in a Redis failure), so the customer can be told.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from handoff.lifecycle import Conflict
from handoff.privacy.redact import redact_text
from handoff.ticket.model import CustomerTurn
from handoff.ticket_record import TicketRecord
from infra.clock import iso_utc


class MessageNotDelivered(RuntimeError):
    """The conversation is with people, but its ticket could not take the message."""


def add_customer_message(record: TicketRecord, text: str, *, now: datetime) -> TicketRecord:
    """The customer's message appended to an open ticket's transcript."""
    if not record.is_open:
        raise Conflict(f"ticket {record.ticket_id} is {record.status}")
    turn = CustomerTurn(
        turn=len(record.ticket.customer_turns) + 1, text=redact_text(text), at=iso_utc(now)
    )
    return replace(
        record, ticket=replace(record.ticket, transcript=(*record.ticket.transcript, turn))
    )
