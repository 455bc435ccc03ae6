"""The agent's side of the desk: who holds a token, presence, queues, tickets, and what an agent
does with a ticket (claim, reply, note, transfer, escalate, resolve, hand back).

Every change is a transition of handoff/lifecycle.py on a ticket the agent may see (their teams'
or their own), run atomically by the store with what the customer is told (an outbox entry of
handoff.vocabulary.OUTBOX_EVENTS) and recorded in the ticket's status history with who and when.
A transferred or escalated ticket is placed again; a resolved or handed-back one records its
handling time and is told to Rasa (rasa_hand_back.py). An agent who comes online, or frees a
slot (resolve, hand back, transfer or escalate away), takes the next waiting ticket of their
teams (assignment.py). Replies and notes are masked like the customer's messages; nothing an
agent types is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handoff import lifecycle
from handoff.routing.agents_config import AgentProfile
from handoff.routing.assignment import Presence
from handoff.store import OutboxEvent
from handoff.store.agents import AgentState
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import (
    AGENT_JOINED,
    AGENT_MESSAGE,
    ESCALATED,
    HANDED_BACK,
    RESOLVED,
    TICKET_ROLES,
    TICKET_STATUSES,
    TRANSFERRED,
)
from service.desk.assignment import Assignment
from service.desk.base import Step
from service.desk.errors import InvalidRequest, NotFound
from service.desk.rasa_hand_back import tell_rasa

log = logging.getLogger(__name__)
QUEUE_PREVIEW = 20
LIST_LIMIT = 200


@dataclass(frozen=True)
class TeamQueue:
    team: str
    name: str
    waiting: int
    next: list[TicketRecord]


class AgentActions(Assignment):
    agent_finished: Callable[[TicketRecord, str], Awaitable[None]] | None = None
    """Told of every resolve and hand-back with the agent's id: their answers become the
    content team's suggestions (service/desk/content.py; the app sets it)."""

    async def agent_for_token(self, token: str) -> AgentProfile | None:
        """The agent of the agents file whose token this is; None for a wrong or revoked one."""
        agent_id = await self.store.agents.agent_for_token(token)
        return self.agents.agents.get(agent_id or "")

    async def set_presence(self, agent: AgentProfile, presence: Presence) -> None:
        await self.store.agents.set_presence(agent.id, presence, self.now())
        log.info("agent %s is %s", agent.id, presence)
        if presence == "online":
            await self.offer_after(agent, f"{agent.id} came online")

    async def agent_state(self, agent: AgentProfile) -> AgentState:
        """The agent's presence and open tickets."""
        return (await self.store.agents.states([agent.id]))[agent.id]

    async def queues(self, agent: AgentProfile) -> list[TeamQueue]:
        """Each of the agent's teams: how many wait, and the first few in queue order."""
        listing = []
        for team in sorted(agent.teams):
            size, ticket_ids = await self.store.tickets.queue(team, QUEUE_PREVIEW)
            records = await self.store.tickets.many(ticket_ids)
            listing.append(TeamQueue(team, self.routing.teams[team].name, size, records))
        return listing

    async def team_tickets(
        self, agent: AgentProfile, team: str | None, status: str | None
    ) -> list[TicketRecord]:
        """The latest tickets of one of the agent's teams (or all of them), of one status or
        any."""
        if team is not None and team not in agent.teams:
            raise lifecycle.NotAllowed(f"you are not in team {team!r}")
        if status is not None and status not in TICKET_STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(TICKET_STATUSES)}")
        records: list[TicketRecord] = []
        for each_team in [team] if team else sorted(agent.teams):
            ticket_ids = await self.store.tickets.team_ticket_ids(each_team, LIST_LIMIT)
            records += await self.store.tickets.many(ticket_ids)
        return [record for record in records if status is None or record.status == status]

    async def ticket(self, agent: AgentProfile, ticket_id: str) -> TicketRecord:
        record = await self.store.tickets.get(ticket_id)
        if record is None:
            raise NotFound(f"no ticket {ticket_id}")
        _require_sight(agent, record)
        return record

    async def claim(self, agent: AgentProfile, ticket_id: str) -> TicketRecord:
        def claimed(record: TicketRecord) -> TicketRecord:
            if record.team not in agent.teams:
                raise lifecycle.NotAllowed(
                    f"ticket {record.ticket_id} belongs to team {record.team}"
                )
            return lifecycle.assign(record, agent.id, now=self.now(), by=agent.id)

        record = await self._act("claim", agent, ticket_id, claimed, AGENT_JOINED, capacity=True)
        await self.store.agents.mark_assigned(agent.id, self.now())
        return record

    async def reply(self, agent: AgentProfile, ticket_id: str, text: str) -> TicketRecord:
        def replied(record: TicketRecord) -> TicketRecord:
            return lifecycle.reply(record, agent.id, text, now=self.now())

        return await self._act("reply", agent, ticket_id, replied, AGENT_MESSAGE, with_text=True)

    async def note(self, agent: AgentProfile, ticket_id: str, text: str) -> TicketRecord:
        def noted(record: TicketRecord) -> TicketRecord:
            return lifecycle.add_note(record, agent.id, text, now=self.now())

        return await self._act("note", agent, ticket_id, noted)

    async def transfer(self, agent: AgentProfile, ticket_id: str, team: str) -> TicketRecord:
        """Functional escalation: to the team with the skill, placed there again."""
        teams = sorted(self.routing.teams)
        if team not in teams:
            raise InvalidRequest(f"team must be one of {', '.join(teams)}")

        def transferred(record: TicketRecord) -> TicketRecord:
            return lifecycle.transfer(record, agent.id, team, now=self.now(), config=self.routing)

        record = await self._act("transfer", agent, ticket_id, transferred, TRANSFERRED)
        placed = await self.place(record, self.now(), may_go_offline=False)
        await self.offer_after(agent, f"{agent.id} transferred {ticket_id}")
        return placed

    async def escalate(self, agent: AgentProfile, ticket_id: str, reason: str) -> TicketRecord:
        """Hierarchical escalation: to the supervisors, placed there again."""

        def escalated(record: TicketRecord) -> TicketRecord:
            return lifecycle.escalate(
                record, agent.id, now=self.now(), config=self.routing, reason=reason
            )

        record = await self._act("escalate", agent, ticket_id, escalated, ESCALATED)
        placed = await self.place(record, self.now(), may_go_offline=False)
        await self.offer_after(agent, f"{agent.id} escalated {ticket_id}")
        return placed

    async def resolve(
        self, agent: AgentProfile, ticket_id: str, code: str, *, escalation_needed: bool = True
    ) -> TicketRecord:
        """The agent closes the chat with a resolution code (and, `escalation_needed=False`,
        says a person was not needed); Rasa takes the conversation back."""
        if code not in self.agents.resolution_codes:
            codes = ", ".join(self.agents.resolution_codes)
            raise InvalidRequest(f"resolution_code must be one of {codes}")

        def resolved(record: TicketRecord) -> TicketRecord:
            return lifecycle.resolve(
                record, agent.id, code, now=self.now(), escalation_needed=escalation_needed
            )

        record = await self._act("resolve", agent, ticket_id, resolved, RESOLVED)
        await self._record_handling_time(record)
        if self.agent_finished is not None:
            await self.agent_finished(record, agent.id)
        await self.offer_after(agent, f"{agent.id} resolved {ticket_id}")
        return await tell_rasa(self.store.tickets, self.rasa, record, self.clock)

    async def hand_back(self, agent: AgentProfile, ticket_id: str) -> TicketRecord:
        """The conversation goes back to the assistant, which is told what happened."""

        def handed_back(record: TicketRecord) -> TicketRecord:
            return lifecycle.hand_back(record, agent.id, now=self.now())

        record = await self._act("hand_back", agent, ticket_id, handed_back, HANDED_BACK)
        await self._record_handling_time(record)
        if self.agent_finished is not None:
            await self.agent_finished(record, agent.id)
        await self.offer_after(agent, f"{agent.id} handed back {ticket_id}")
        return await tell_rasa(self.store.tickets, self.rasa, record, self.clock)

    async def _act(
        self,
        action: str,
        agent: AgentProfile,
        ticket_id: str,
        step: Step,
        event: str | None = None,
        *,
        capacity: bool = False,
        with_text: bool = False,
    ) -> TicketRecord:
        """Run one transition on a ticket the agent may see, atomically, with the outbox entry
        `event` (the transcript's last text too, `with_text`) for the customer."""

        def seen(record: TicketRecord) -> TicketRecord:
            _require_sight(agent, record)
            return step(record)

        record = await self.change_ticket(
            ticket_id,
            seen,
            capacity=(agent.id, agent.max_concurrent) if capacity else None,
            outbox=self._outbox(agent, event, with_text) if event else None,
        )
        log.info("agent %s: %s on ticket %s", agent.id, action, ticket_id)
        return record

    def _outbox(self, agent: AgentProfile, event: str, with_text: bool) -> OutboxEvent:
        def entry(record: TicketRecord) -> dict[str, str]:
            extra = {"team": record.team}
            if with_text:
                extra["text"] = record.ticket.transcript[-1].text
            return self.agent_event(event, record, agent.id, **extra)

        return entry

    async def _record_handling_time(self, record: TicketRecord) -> None:
        started = record.assigned_at
        if started is not None:
            seconds = (self.now() - started).total_seconds()
            await self.store.tickets.record_handling_time(record.team, max(seconds, 0))


def can_see(agent: AgentProfile, record: TicketRecord) -> bool:
    """An agent sees the tickets of their teams, and a ticket they own; the content team none
    (service/agent_auth.py keeps their tokens out of the ticket routes altogether)."""
    if agent.role not in TICKET_ROLES:
        return False
    return record.team in agent.teams or record.agent_id == agent.id


def _require_sight(agent: AgentProfile, record: TicketRecord) -> None:
    if not can_see(agent, record):
        raise lifecycle.NotAllowed(f"ticket {record.ticket_id} belongs to team {record.team}")
