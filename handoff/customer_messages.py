"""What the customer writes while a person has the conversation (waiting or with an agent).

The gateway does not send these messages to Rasa; they are appended to the open ticket's
transcript (masked like every transcript turn), where the agent API and the console read them.
The gateway calls this through its port (handoff/store/conversations.py).
A pure transition plus one store call, kept apart from the agent-side transitions in
`handoff/lifecycle.py`.

A message is never dropped quietly: it is appended, or the caller learns that the conversation
is no longer with people (None: let the assistant answer it), or `MessageNotDelivered` says the
open ticket could not take it (it is missing, e.g. still being created after its reservation,
or lost in a Redis failure), so the customer can be told.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from handoff.lifecycle import Conflict
from handoff.privacy.redact import redact_text
from handoff.store.tickets import TicketStore
from handoff.ticket.model import CustomerTurn
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import WITH_PEOPLE
from infra.clock import iso_utc

PENDING_TICKET_WAIT = 3.0  # seconds to wait for a ticket that is being created


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


async def append_customer_message(
    tickets: TicketStore, conversation_id: str, text: str, *, now: datetime
) -> TicketRecord | None:
    """Append to the conversation's open ticket; None when it has none (the state moved on, or
    the ticket was closed meanwhile). Raises MessageNotDelivered when the ticket the state
    names does not appear within `PENDING_TICKET_WAIT` seconds."""
    state = await tickets.conversation(conversation_id)
    ticket_id = state.get("ticket_id")
    if not ticket_id or state.get("state") not in WITH_PEOPLE:
        return None

    def append(record: TicketRecord) -> TicketRecord:
        return add_customer_message(record, text, now=now)

    try:
        return await tickets.update(ticket_id, append)
    except Conflict:
        return None
    except LookupError:
        pass  # reserved and not stored yet, or lost: wait for it a moment
    if await tickets.wait_for(ticket_id, PENDING_TICKET_WAIT) is None:
        raise MessageNotDelivered(f"conversation {conversation_id} has no ticket {ticket_id}")
    try:
        return await tickets.update(ticket_id, append)
    except Conflict:
        return None
    except LookupError as error:
        raise MessageNotDelivered(f"ticket {ticket_id} disappeared") from error
