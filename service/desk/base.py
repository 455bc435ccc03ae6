"""What every part of the handoff desk shares: its parts (the store, the routing and agents
files, spaCy, the clock, Rasa's address), the agent pool, the outbox entry that tells the
customer what an agent did, one change of a ticket by id, and placing a waiting ticket.

Placing (`place`): a waiting ticket is offered to the least-loaded online agent with the skill;
else it waits in its team queue; else (team closed, nobody online) it goes offline with a
follow-up promise. A new ticket, a transferred or escalated one, a breached one and a requeued
one are placed. The other way round, an agent who comes online or frees a slot takes the next
waiting ticket (service/desk/assignment.py); both assign with `assign_to`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handoff import lifecycle
from handoff.routing.agents_config import AgentsConfig
from handoff.routing.assignment import Agent, plan_handoff
from handoff.routing.config import RoutingConfig
from handoff.store import AtCapacity, HandoffStore, OutboxEvent
from handoff.ticket.extract import Nlp
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import AGENT_JOINED
from infra.clock import Clock, utc_now
from service.desk.errors import NotFound
from service.desk.rasa_hand_back import RasaEndpoint

ASSIGN_ATTEMPTS = 3
Step = Callable[[TicketRecord], TicketRecord]
"""One pure transition of handoff/lifecycle.py, with its arguments bound."""


@dataclass
class DeskBase:
    store: HandoffStore
    routing: RoutingConfig
    agents: AgentsConfig
    nlp: Nlp | None
    """spaCy for the ticket's context (None: patterns only), called from worker threads."""
    rasa: RasaEndpoint
    clock: Clock = utc_now
    """What the desk takes as now (tests move it)."""
    retention: timedelta = timedelta(days=90)
    emails_follow_ups: bool = False
    """Mail is set up (SMTP_HOST): an after-hours customer is offered the reply by email."""
    pending_wait: float = 10.0
    """Seconds to wait for a ticket another request is creating before taking over."""
    incident_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def now(self) -> datetime:
        return self.clock()

    async def agent_pool(self) -> list[Agent]:
        """Every agent of the agents file with their presence and load from Redis."""
        profiles = list(self.agents.agents.values())
        states = await self.store.agents.states([profile.id for profile in profiles])
        return [
            Agent(
                id=profile.id,
                teams=profile.teams,
                presence=states[profile.id].presence,
                max_concurrent=profile.max_concurrent,
                active_chats=states[profile.id].load,
                last_assigned_at=states[profile.id].last_assigned_at,
            )
            for profile in profiles
        ]

    def agent_name(self, agent_id: str) -> str:
        """The name the customer knows an agent by (their id when the roster lost them)."""
        profile = self.agents.agents.get(agent_id)
        return profile.name if profile else agent_id

    def agent_event(
        self, kind: str, record: TicketRecord, agent_id: str, **extra: str
    ) -> dict[str, str]:
        """An outbox entry for the customer's side (the gateway delivers it); `kind` is one of
        handoff.vocabulary.OUTBOX_EVENTS."""
        return {
            "type": kind,
            "ticket_id": record.ticket_id,
            "agent_id": agent_id,
            "agent_name": self.agent_name(agent_id),
            "at": record.ticket.updated_at,
            **extra,
        }

    async def change_ticket(
        self,
        ticket_id: str,
        step: Step,
        *,
        capacity: tuple[str, int] | None = None,
        outbox: OutboxEvent | None = None,
    ) -> TicketRecord:
        """Run one transition on a stored ticket, atomically; NotFound when there is none."""
        try:
            return await self.store.tickets.update(
                ticket_id, step, capacity=capacity, outbox=outbox
            )
        except LookupError:
            raise NotFound(f"no ticket {ticket_id}") from None

    async def place(
        self, record: TicketRecord, now: datetime, *, may_go_offline: bool = True
    ) -> TicketRecord:
        """The waiting ticket with an agent, in its queue, or offline - unless `may_go_offline`
        is False (a ticket moved later keeps what the customer was told). What it returns is
        the ticket as stored: the assignment watchdog or an agent's free slot may take it while
        this plans (then the plan sees that agent full and says "queue")."""
        for attempt in range(ASSIGN_ATTEMPTS):
            if attempt:
                record = await self._as_stored(record)
            if record.status != "waiting":
                return record
            pool = await self.agent_pool()
            plan = plan_handoff(record.team, record.priority, pool, self.routing, now)
            if plan.outcome == "queue":
                return await self._as_stored(record)
            if plan.outcome == "offline" and (record.offline or not may_go_offline):
                return record
            if plan.outcome == "offline":
                assert plan.follow_up_by is not None
                why = "nobody with the skill is online" if plan.team_open else "the team is closed"
                return await self._go_offline(record.ticket_id, plan.follow_up_by, why, now)
            assert plan.agent is not None
            assigned = await self._assign(record.ticket_id, plan.agent, now)
            if assigned is not None:
                return assigned
        return record

    async def _as_stored(self, record: TicketRecord) -> TicketRecord:
        return await self.store.tickets.get(record.ticket_id) or record

    async def _go_offline(
        self, ticket_id: str, follow_up_by: datetime, why: str, now: datetime
    ) -> TicketRecord:
        def offline(record: TicketRecord) -> TicketRecord:
            return lifecycle.go_offline(
                record, follow_up_by, why, now=now, offer_email=self.emails_follow_ups
            )

        try:
            return await self.store.tickets.update(ticket_id, offline)
        except lifecycle.Conflict:  # taken meanwhile (a claim, or an agent's free slot)
            current = await self.store.tickets.get(ticket_id)
            if current is None:
                raise
            return current

    async def _assign(self, ticket_id: str, agent: Agent, now: datetime) -> TicketRecord | None:
        """The ticket assigned to `agent`; None when the agent filled up meanwhile (try again);
        the ticket as it is when someone else took it first."""
        try:
            return await self.assign_to(ticket_id, agent.id, agent.max_concurrent, now)
        except AtCapacity:
            return None
        except lifecycle.Conflict:
            return await self.store.tickets.get(ticket_id)

    async def assign_to(
        self,
        ticket_id: str,
        agent_id: str,
        max_concurrent: int,
        now: datetime,
        *,
        why: str = "",
        teams: frozenset[str] | None = None,
    ) -> TicketRecord:
        """The assistant assigns a waiting ticket (of one of `teams`, when given) to the agent,
        in one transaction with their capacity and the customer's "X joined the chat". Raises
        AtCapacity, Conflict (taken, or moved to another team, meanwhile) or LookupError."""

        def assign(record: TicketRecord) -> TicketRecord:
            if teams is not None and record.team not in teams:
                raise lifecycle.Conflict(f"ticket {record.ticket_id} is now team {record.team}'s")
            return lifecycle.assign(record, agent_id, now=now, by=lifecycle.ASSISTANT, why=why)

        def joined(record: TicketRecord) -> dict[str, str]:
            return self.agent_event(AGENT_JOINED, record, agent_id)

        record = await self.store.tickets.update(
            ticket_id, assign, capacity=(agent_id, max_concurrent), outbox=joined
        )
        await self.store.agents.mark_assigned(agent_id, now)
        return record
