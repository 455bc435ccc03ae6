"""Email follow-up, the service's side: every promise of a reply by email is kept.

- `agent_replied`: an agent's reply to a ticket with a follow-up email (handoff/follow_up_email.py)
  is queued as a mail (mail/outbox.py) with fresh resume and requests links and a reply
  address; the mail worker sends it, retrying while the mail server is down.
- `deliveries`: each emailed reply's delivery state, for the agent console (queued, sent,
  retrying with the reason, failed).
- `reply_received`: a customer's email reply (mail/receiver.py) becomes their message in the
  ticket, `via` email, as if typed into the chat; the console shows it live. Refused, with the
  reason in the bounce, when the ticket is gone or closed or the reply comes from another
  address than the one the team wrote to.
- `send_transcript`: the conversation's transcript mailed to the follow-up email or to an
  address the customer gives for it.

Mail ids are stable (`{ticket}:reply:{transcript index}`, `{ticket}:transcript:{count}`), so a
repeated call queues nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handoff.customer_messages import add_customer_message
from handoff.lifecycle import Conflict
from handoff.store.tickets import TicketStore
from handoff.ticket.model import AgentTurn, BotTurn, CustomerTurn, TranscriptTurn
from handoff.ticket_record import TicketRecord
from infra.clock import Clock, parse_time
from infra.signed_links import LinkClaims
from mail.compose import (
    AddressError,
    TranscriptLine,
    agent_reply_mail,
    checked_address,
    links_for,
    transcript_mail,
)
from mail.outbox import MailOutbox, OutgoingMail
from mail.receiver import ReplyRefused
from mail.settings import MailSettings
from service.desk.errors import InvalidRequest, NotFound

MAX_TRANSCRIPT_MAILS = 3
"""Per ticket: a customer asking again and again does not make us a mail cannon."""


@dataclass
class FollowUpMail:
    settings: MailSettings
    outbox: MailOutbox
    tickets: TicketStore
    agent_name: Callable[[str], str]
    """An agent id -> the name the customer knows them by."""
    clock: Clock

    async def agent_replied(self, record: TicketRecord) -> str | None:
        """Queue the ticket's latest agent reply as a mail when the customer gave a follow-up
        email; its mail id, or None when nothing is emailed."""
        if record.follow_up_email is None:
            return None
        index, turn = _last_agent_turn(record.ticket.transcript)
        if turn is None:
            return None
        mail_id = f"{record.ticket_id}:reply:{index}"
        links = links_for(self.settings, record.conversation_id, record.ticket_id, self.clock())
        message = agent_reply_mail(
            self.settings,
            to=record.follow_up_email.address,
            reference=record.ticket_id,
            agent_name=self.agent_name(turn.agent_id),
            reply_text=turn.text,
            links=links,
        )
        await self.outbox.enqueue(self._outgoing(message, mail_id, record, "agent_reply"))
        return mail_id

    async def deliveries(self, ticket_id: str) -> dict[str, Any]:
        states = await self.outbox.states(ticket_id)
        return {mail_id: state.to_json() for mail_id, state in states.items()}

    async def reply_received(self, claims: LinkClaims, sender: str, text: str) -> None:
        """The customer's email reply into the ticket the reply address names."""
        record = await self.tickets.get(claims.ticket_id)
        if record is None:
            raise ReplyRefused("this request no longer exists - please start a new chat")
        expected = record.follow_up_email.address if record.follow_up_email else None
        if expected is None or sender.strip().lower() != expected:
            raise ReplyRefused("please reply from the address we wrote to")
        if not record.is_open:
            raise ReplyRefused("this request is closed - please start a new chat on our website")

        def replied(current: TicketRecord) -> TicketRecord:
            return add_customer_message(current, text, now=self.clock(), via="email")

        try:
            await self.tickets.update(claims.ticket_id, replied)
        except Conflict as error:
            raise ReplyRefused("this request is closed - please start a new chat") from error
        except LookupError as error:
            raise ReplyRefused("this request no longer exists - please start a new chat") from error

    async def send_transcript(self, conversation_id: str, address: str | None) -> str:
        """Queue the transcript of the conversation's latest ticket to `address` (None: the
        follow-up email); the address it goes to. InvalidRequest when there is no address or
        a bad one, or too many were asked for; NotFound when the conversation has no ticket."""
        state = await self.tickets.conversation(conversation_id)
        record = await self.tickets.get(state.get("ticket_id", "")) if state else None
        if record is None:
            raise NotFound(f"conversation {conversation_id} has no request to send")
        to = address or (record.follow_up_email.address if record.follow_up_email else None)
        if not to:
            raise InvalidRequest("give the email address to send the transcript to")
        try:
            to = checked_address(to).lower()
        except AddressError as error:
            raise InvalidRequest(str(error)) from error
        states = await self.outbox.states(record.ticket_id)
        sent = sum(1 for state in states.values() if state.kind == "transcript")
        if sent >= MAX_TRANSCRIPT_MAILS:
            raise InvalidRequest(f"the transcript was already sent {sent} times")
        links = links_for(self.settings, conversation_id, record.ticket_id, self.clock())
        message = transcript_mail(
            self.settings,
            to=to,
            reference=record.ticket_id,
            lines=[line for turn in record.ticket.transcript if (line := self._line(turn))],
            links=links,
        )
        mail_id = f"{record.ticket_id}:transcript:{sent + 1}"
        await self.outbox.enqueue(self._outgoing(message, mail_id, record, "transcript"))
        return to

    def _line(self, turn: TranscriptTurn) -> TranscriptLine | None:
        at = parse_time(turn.at) if turn.at else None
        if isinstance(turn, CustomerTurn):
            if turn.text.startswith("/"):  # a pressed button or the widget's opening payload
                return None
            return TranscriptLine("You", turn.text, at)
        if isinstance(turn, BotTurn):
            return TranscriptLine("Assistant", turn.text, at)
        return TranscriptLine(f"{self.agent_name(turn.agent_id)} (support team)", turn.text, at)

    @staticmethod
    def _outgoing(message: Any, mail_id: str, record: TicketRecord, kind: str) -> OutgoingMail:
        return OutgoingMail.from_message(
            message,
            mail_id=mail_id,
            ticket_id=record.ticket_id,
            conversation_id=record.conversation_id,
            kind=kind,  # type: ignore[arg-type]
        )


def _last_agent_turn(transcript: tuple[TranscriptTurn, ...]) -> tuple[int, AgentTurn | None]:
    for index in range(len(transcript) - 1, -1, -1):
        turn = transcript[index]
        if isinstance(turn, AgentTurn):
            return index, turn
    return -1, None
