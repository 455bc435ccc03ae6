"""What the customer writes while a person has the conversation (waiting or with an agent).

The gateway does not send these messages to Rasa; they are appended to the open ticket's
transcript (masked like every transcript turn), where the agent API and the console read them.
A pure transition plus one store call, kept apart from the agent-side transitions in
`handoff/lifecycle.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from handoff.lifecycle import Conflict
from handoff.redact import redact_text
from handoff.ticket import CustomerTurn, iso_utc
from handoff.ticket_record import TicketRecord
from handoff.ticket_store import RedisTicketStore


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
    tickets: RedisTicketStore, conversation_id: str, text: str, *, now: datetime
) -> TicketRecord | None:
    """Append to the conversation's open ticket; None when it has none (state moved on)."""
    state = await tickets.conversation(conversation_id)
    ticket_id = state.get("ticket_id")
    if not ticket_id or state.get("state") not in ("waiting", "agent"):
        return None
    try:
        return await tickets.update(ticket_id, lambda r: add_customer_message(r, text, now=now))
    except (LookupError, Conflict):
        return None
