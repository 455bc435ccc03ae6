"""The customer's own requests (their tickets, in their words): which ones they may see, each as
they see it, a message added to an open one, and a waiting one withdrawn.

Who asks is an `Access`: a conversation, vouched for by the caller (the gateway, from the
widget's session), or read from a requests link (infra/signed_links.py, purpose "requests",
checked in service/customer_request_views.py), which also names one ticket.

Which requests: the conversation's tickets (the one its state points at, every one its Rasa
tracker names, and the link's own when it is the conversation's) and, when one of them is a
verified customer's (`TicketRecord.customer_id`), every ticket of that customer's conversations
as erasure finds them (service/desk/privacy.py: the privacy index and the customer's tickets).
Any other ticket id is `NotFound`, worded like one that does not exist: nothing tells a
stranger whether it does.

What a customer sees of a request (`CustomerRequests.request_json`): status, team, when, the
promised reply time while it waits offline, and the transcript as customer, bot and agent
turns as the widget shows them (handoff/customer_transcript.py, what a resume link reopens too),
masked as stored. Never the private notes, the status history or the routing; an agent is their
display name from the agents file.

A message goes in as the customer's messages from the widget do (handoff/customer_messages.py's
transition, run by the store like every ticket change), so the agent console shows it; a
closed request refuses it (`Conflict`, 409). Withdrawing is the lifecycle's `cancel` (the
desk's, as the widget's "cancel" button uses it): only while the request waits for a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from handoff.customer_messages import add_customer_message
from handoff.customer_transcript import customer_transcript
from handoff.lifecycle import Conflict
from handoff.ticket.transcript import TrackerFormatError
from handoff.ticket_record import TicketRecord
from outcomes.session import read_sessions
from service.desk.errors import NotFound
from service.desk.outlook import describe
from service.desk.tickets import TicketDesk

MAX_REQUESTS = 50
"""The newest requests shown; older ones are left out."""
MAX_CONVERSATIONS = 50
"""A verified customer's conversations looked at (the privacy index may hold more)."""
TEAM = "our team"
"""An agent no longer in the agents file, as the customer reads it."""
STATUS_TEXT = {
    "new": "Received",
    "waiting": "Waiting for a person",
    "assigned": "With {agent}",
    "resolved": "Resolved",
    "handed_back": "Back with the assistant",
    "closed": "Closed",
    "cancelled": "Withdrawn",
}
"""Each ticket status (handoff/vocabulary.py TICKET_STATUSES) in the customer's words."""


@dataclass(frozen=True)
class Access:
    """Whose requests: a conversation, and the ticket its requests link names (if any)."""

    conversation_id: str
    ticket_id: str | None = None


class CustomerConversations(Protocol):
    """What this needs of service/desk/privacy.py's PrivacyDesk."""

    async def conversations(self, customer_id: str) -> list[str]: ...


class CustomerRequests:
    """The customer's side of their tickets, on the handoff desk and the privacy index."""

    def __init__(self, desk: TicketDesk, privacy: CustomerConversations) -> None:
        self.desk = desk
        self.privacy = privacy

    async def listing(self, access: Access) -> list[dict[str, Any]]:
        """Every request the access may see, as the customer sees it: open ones first, then
        the newest first."""
        records = await self.records(access)
        return [await self.request_json(record) for record in records]

    async def records(self, access: Access) -> list[TicketRecord]:
        """The tickets the access may see (see the module's docstring)."""
        extra = [access.ticket_id] if access.ticket_id else []
        found = await self._tickets_of([access.conversation_id], extra)
        customers = sorted({record.customer_id for record in found if record.customer_id})
        for customer_id in customers:
            conversations = await self.privacy.conversations(customer_id)
            found += await self._tickets_of(conversations[:MAX_CONVERSATIONS])
        unique = {record.ticket_id: record for record in found}
        newest = sorted(unique.values(), key=lambda record: record.ticket.created_at, reverse=True)
        return sorted(newest[:MAX_REQUESTS], key=lambda record: not record.is_open)

    async def one(self, access: Access, ticket_id: str) -> TicketRecord:
        """The access's ticket `ticket_id`; NotFound when it may not see it (or it is not)."""
        for record in await self.records(access):
            if record.ticket_id == ticket_id:
                return record
        raise NotFound(f"no request {ticket_id}")

    async def add_message(self, access: Access, ticket_id: str, text: str) -> dict[str, Any]:
        """The customer's message on their open request, where the agent reads it; Conflict
        once the request is closed."""
        record = await self.one(access, ticket_id)
        if not record.is_open:
            raise Conflict(_closed_reason(record))
        now = self.desk.now()
        try:
            changed = await self.desk.change_ticket(
                ticket_id, lambda current: add_customer_message(current, text, now=now)
            )
        except Conflict:  # closed meanwhile: say so as the customer reads it
            raise Conflict(_closed_reason(await self.one(access, ticket_id))) from None
        return await self.request_json(changed)

    async def close(self, access: Access, ticket_id: str) -> dict[str, Any]:
        """The customer withdraws their request: only while it waits for a person (Conflict
        with the reason otherwise)."""
        record = await self.one(access, ticket_id)
        if record.status != "waiting":
            raise Conflict(_not_withdrawable(record))
        try:
            changed = await self.desk.cancel(ticket_id)
        except Conflict:  # an agent took it meanwhile
            raise Conflict(_not_withdrawable(await self.one(access, ticket_id))) from None
        return await self.request_json(changed)

    async def request_json(self, record: TicketRecord) -> dict[str, Any]:
        """One request as its customer sees it (no notes, history, routing or agent ids)."""
        names = {agent.id: agent.name for agent in self.desk.agents.agents.values()}
        team = self.desk.routing.teams.get(record.team)
        agent_name = names.get(record.agent_id, TEAM) if record.agent_id else None
        answer: dict[str, Any] = {
            "ticket_id": record.ticket_id,
            "status": record.status,
            "status_text": STATUS_TEXT[record.status].format(agent=agent_name or TEAM),
            "open": record.is_open,
            "team_name": team.name if team else TEAM,
            "created_at": record.ticket.created_at,
            "updated_at": record.ticket.updated_at,
            "closed_at": record.closed_at,
            "agent_name": agent_name if record.status == "assigned" else None,
            "promised_reply_by": None,
            "promised_reply_at": None,
            "outlook": None,
            "can_add_message": record.is_open,
            "can_close": record.status == "waiting",
            "transcript": customer_transcript(record, names),
        }
        if record.is_open:
            outlook = await describe(self.desk, record, created=False, now=self.desk.now())
            answer["outlook"] = outlook["message"]
            if record.offline and record.status == "waiting":
                answer["promised_reply_by"] = outlook["follow_up_by"]
                answer["promised_reply_at"] = record.follow_up_by
        return answer

    async def _tickets_of(
        self, conversation_ids: Sequence[str], extra: Iterable[str] = ()
    ) -> list[TicketRecord]:
        """The tickets of these conversations: their state's, their trackers', and `extra`
        ones that belong to one of them."""
        ticket_ids = list(extra)
        for conversation_id in conversation_ids:
            ticket_ids += await self._ticket_ids(conversation_id)
        records = await self.desk.store.tickets.many(list(dict.fromkeys(ticket_ids)))
        wanted = set(conversation_ids)
        return [record for record in records if record.conversation_id in wanted]

    async def _ticket_ids(self, conversation_id: str) -> list[str]:
        state = await self.desk.store.tickets.conversation(conversation_id)
        found = [state["ticket_id"]] if state.get("ticket_id") else []
        outcomes = self.desk.outcomes
        tracker = await outcomes.tracker(conversation_id) if outcomes is not None else None
        if tracker is None:
            return found
        try:
            sessions = read_sessions(tracker)
        except TrackerFormatError:
            return found
        return found + [ticket_id for session in sessions for ticket_id in session.ticket_ids]


def _closed_reason(record: TicketRecord) -> str:
    return (
        f"this request is {STATUS_TEXT[record.status].lower()}, so it takes no more messages"
        " - start a new chat if you still need help"
    )


def _not_withdrawable(record: TicketRecord) -> str:
    if record.status == "assigned":
        return (
            "a person is already working on this request, so it can't be withdrawn - "
            "add a message instead"
        )
    return f"this request is {STATUS_TEXT[record.status].lower()} already"
