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

While an after-hours ticket waits for the customer's answer about a follow-up email, the
message is also read as that answer (handoff/follow_up_email.py): `take_customer_message`
returns it with what to tell the customer at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from handoff.follow_up_email import Answer, confirmation, read_answer
from handoff.lifecycle import Conflict
from handoff.privacy.redact import redact_text
from handoff.ticket.model import CustomerTurn
from handoff.ticket_record import TicketRecord
from infra.clock import iso_utc


class MessageNotDelivered(RuntimeError):
    """The conversation is with people, but its ticket could not take the message."""


def add_customer_message(
    record: TicketRecord, text: str, *, now: datetime, via: str = "chat"
) -> TicketRecord:
    """The customer's message appended to an open ticket's transcript (`via` email: a reply to
    a follow-up mail)."""
    if not record.is_open:
        raise Conflict(f"ticket {record.ticket_id} is {record.status}")
    turn = CustomerTurn(
        turn=len(record.ticket.customer_turns) + 1,
        text=redact_text(text),
        at=iso_utc(now),
        via=via,
    )
    return replace(
        record, ticket=replace(record.ticket, transcript=(*record.ticket.transcript, turn))
    )


@dataclass(frozen=True)
class AppendedMessage:
    """A customer's message in the open ticket, and what they are told at once (None: nothing
    but the team's reply)."""

    record: TicketRecord
    answer: Answer | None = None

    @property
    def reply(self) -> str | None:
        return confirmation(self.answer, self.record) if self.answer else None


def take_customer_message(record: TicketRecord, text: str, *, now: datetime) -> AppendedMessage:
    """The message appended, and read as the answer about a follow-up email when the ticket
    waits for one."""
    appended = add_customer_message(record, text, now=now)
    answered = read_answer(appended, text, now=now)
    return AppendedMessage(answered.record, answered.answer)
