"""The handoff desk: builds, routes, stores and places a ticket, and says what happens next.

The views parse HTTP; this module composes the pure handoff core (build_ticket, route,
detect_incident, plan_handoff, estimate_wait) with the Redis store. spaCy and the ticket build
run in a worker thread, never on the event loop. The clock is injected (`HandoffDesk.clock`),
so tests can move time.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from handoff import lifecycle
from handoff.privacy.identity import CustomerContext
from handoff.routing.agents_config import AgentsConfig
from handoff.routing.assignment import Agent, plan_handoff
from handoff.routing.config import RoutingConfig
from handoff.routing.incident_problem import escalation_for_incidents
from handoff.routing.incidents import detect_incident, has_problem
from handoff.routing.intake import escalation_label, routing_request
from handoff.routing.rules import ArticleTried, route
from handoff.store import AtCapacity, HandoffStore
from handoff.ticket.builder import build_ticket
from handoff.ticket.extract import Nlp
from handoff.ticket.model import Routing, Ticket, validate_ticket_dict
from handoff.ticket_record import TicketRecord

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
ASSIGN_ATTEMPTS = 3


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def serialised(nlp: Nlp) -> Nlp:
    """The pipeline behind a lock: tickets are built in worker threads, and one spaCy pipeline
    is not meant to be called from several threads at once."""
    lock = threading.Lock()

    def call(text: str) -> Any:
        with lock:
            return nlp(text)

    return call


class HandoffPending(RuntimeError):
    """Another request is still creating this ticket; the caller may retry."""


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    tracker: Mapping[str, Any]
    decision: Mapping[str, Any] | None
    customer: CustomerContext | None
    channel: str


@dataclass
class HandoffDesk:
    store: HandoffStore
    routing: RoutingConfig
    agents: AgentsConfig
    nlp: Nlp | None
    clock: Clock = utc_now
    retention: timedelta = timedelta(days=90)
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

    def agent_event(
        self, kind: str, record: TicketRecord, agent_id: str, **extra: str
    ) -> dict[str, str]:
        """An outbox entry for the customer's side (the gateway delivers it)."""
        profile = self.agents.agents.get(agent_id)
        return {
            "type": kind,
            "ticket_id": record.ticket_id,
            "agent_id": agent_id,
            "agent_name": profile.name if profile else agent_id,
            "at": record.ticket.updated_at,
            **extra,
        }


async def open_ticket(
    desk: HandoffDesk, request: HandoffRequest, articles: Mapping[str, ArticleTried]
) -> tuple[TicketRecord, bool]:
    """The conversation's ticket for this escalation, and whether this call created it.
    Raises TrackerFormatError or TicketFormatError for a conversation that cannot be read."""
    now = desk.now()
    ticket = await asyncio.to_thread(_build, desk, request, now)
    label = escalation_label(ticket.escalation_decision)
    tickets = desk.store.tickets
    for _ in range(2):
        reservation = await tickets.reserve(request.conversation_id, label, ticket.ticket_id, now)
        if reservation.created:
            break
        existing = await tickets.wait_for(reservation.ticket_id, desk.pending_wait)
        if existing is not None:
            return existing, False
        # Reserved, never stored: its request died between the two steps. Free it, try again.
        await tickets.release(request.conversation_id, label, reservation.ticket_id)
    else:
        raise HandoffPending(f"ticket {reservation.ticket_id} is still being created")
    try:
        record = await _route_and_store(desk, ticket, label, articles, now)
    except BaseException:
        await asyncio.shield(tickets.release(request.conversation_id, label, ticket.ticket_id))
        raise
    log.info(
        "handoff ticket %s: team %s, priority %s, %s",
        record.ticket_id,
        record.team,
        record.priority,
        record.routing.escalation_type,
    )
    return await place(desk, record, now), True


def _build(desk: HandoffDesk, request: HandoffRequest, now: datetime) -> Ticket:
    """The masked, unrouted ticket, checked against the published schema (worker thread)."""
    ticket = build_ticket(
        request.tracker,
        request.decision,
        ticket_id=f"tk-{secrets.token_hex(6)}",
        conversation_id=request.conversation_id,
        channel=request.channel,
        customer=request.customer,
        now=now,
        nlp=desk.nlp,
    )
    validate_ticket_dict(ticket.to_dict())
    return ticket


async def _route_and_store(
    desk: HandoffDesk,
    ticket: Ticket,
    label: str,
    articles: Mapping[str, ArticleTried],
    now: datetime,
) -> TicketRecord:
    settings = desk.routing.incidents
    draft = TicketRecord(ticket=ticket, idempotency_key=label)
    request = routing_request(ticket, articles)
    topic = route(request, desk.routing, now).skill_team  # from the evidence, before incidents
    escalation = escalation_for_incidents(ticket, draft.customer_key, now, topic, settings)
    comparable = has_problem(escalation, settings)  # only asked for a person: no incident
    async with desk.incident_lock:  # one replica: incidents are read and written in turn
        match = None
        if comparable:
            recent = await desk.store.incidents.recent(now, settings.window)
            open_incidents = await desk.store.incidents.open_incidents(now, settings.window)
            match = detect_incident(escalation, recent, settings, open_incidents=open_incidents)
        decision = route(request, desk.routing, now, match)
        note = f"routed to team {decision.team} ({decision.escalation_type}, {decision.priority})"
        routed = ticket.with_routing(
            Routing.from_dict(decision.to_dict()), at=now, by="router", note=note
        )
        record = TicketRecord(ticket=routed, idempotency_key=label)
        await desk.store.tickets.add(record)
        if comparable:
            await desk.store.incidents.remember(escalation, settings.window)
        if match is not None:
            await desk.store.incidents.save(match.incident, desk.retention)
            if match.created:
                await _raise_linked_tickets(desk, match.incident.ticket_ids, record, match, now)
    return record


async def _raise_linked_tickets(
    desk: HandoffDesk, ticket_ids: tuple[str, ...], new: TicketRecord, match: Any, now: datetime
) -> None:
    """A new incident makes every open ticket it links urgent."""

    def join(record: TicketRecord) -> TicketRecord:
        if not record.is_open:
            raise lifecycle.Conflict(f"ticket {record.ticket_id} is {record.status}")
        return lifecycle.join_incident(
            record, match.incident_id, match.detail, now=now, config=desk.routing
        )

    for ticket_id in ticket_ids:
        if ticket_id == new.ticket_id:
            continue
        try:
            await desk.store.tickets.update(ticket_id, join)
        except (LookupError, lifecycle.Conflict):
            continue


async def place(
    desk: HandoffDesk, record: TicketRecord, now: datetime, *, may_go_offline: bool = True
) -> TicketRecord:
    """Offer a waiting ticket to the least-loaded online agent with the skill; else it waits
    in its team queue; else (team closed, nobody online) it goes offline with a promise -
    unless `may_go_offline` is False (a ticket moved later keeps what the customer was told)."""
    for _ in range(ASSIGN_ATTEMPTS):
        if record.status != "waiting":
            return record
        pool = await desk.agent_pool()
        plan = plan_handoff(record.team, record.priority, pool, desk.routing, now)
        if plan.outcome == "queue":
            return record
        if plan.outcome == "offline" and (record.offline or not may_go_offline):
            return record
        if plan.outcome == "offline":
            assert plan.follow_up_by is not None
            why = "nobody with the skill is online" if plan.team_open else "the team is closed"
            return await _go_offline(desk, record.ticket_id, plan.follow_up_by, why, now)
        assert plan.agent is not None
        assigned = await _assign(desk, record.ticket_id, plan.agent, now)
        if assigned is not None:
            return assigned
    return record


async def _go_offline(
    desk: HandoffDesk, ticket_id: str, follow_up_by: datetime, why: str, now: datetime
) -> TicketRecord:
    def offline(record: TicketRecord) -> TicketRecord:
        return lifecycle.go_offline(record, follow_up_by, why, now=now)

    return await desk.store.tickets.update(ticket_id, offline)


async def _assign(
    desk: HandoffDesk, ticket_id: str, agent: Agent, now: datetime
) -> TicketRecord | None:
    """The ticket assigned to `agent`; None when the agent filled up meanwhile (try again);
    the ticket as it is when someone else took it first."""

    def assign(record: TicketRecord) -> TicketRecord:
        return lifecycle.assign(record, agent.id, now=now, by="assistant")

    def joined(record: TicketRecord) -> dict[str, str]:
        return desk.agent_event("agent_joined", record, agent.id)

    try:
        record = await desk.store.tickets.update(
            ticket_id, assign, capacity=(agent.id, agent.max_concurrent), outbox=joined
        )
    except AtCapacity:
        return None
    except lifecycle.Conflict:
        return await desk.store.tickets.get(ticket_id)
    await desk.store.agents.mark_assigned(agent.id, now)
    return record
