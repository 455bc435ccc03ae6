"""The customer's side of the desk: a new ticket (built, routed, stored and placed), what the
customer is told about it, withdrawing it, the takeover for the assistant, the CSAT rating, and
erasing a customer's handoff data.

A new ticket, top to bottom (`open_ticket`): the tracker is packaged as a masked ticket and
checked against the published schema (in a worker thread: spaCy and the build never run on the
event loop); one escalation of one conversation gets one ticket (a reservation in Redis, so two
requests for the same escalation share it); the router picks team and priority from the
evidence, incident detection may link it to others (a new incident makes every linked open
ticket urgent); the ticket is stored, placed with an agent, in the queue or offline, and the
customer's outlook is the answer.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from handoff import lifecycle
from handoff.privacy.identity import CustomerContext
from handoff.routing.incident_problem import escalation_for_incidents
from handoff.routing.incidents import IncidentMatch, detect_incident, has_problem
from handoff.routing.intake import escalation_label, routing_request
from handoff.routing.rules import ArticleTried, route
from handoff.takeover import takeover_json
from handoff.ticket.builder import build_ticket
from handoff.ticket.model import Routing, Ticket, validate_ticket_dict
from handoff.ticket_record import TicketRecord
from infra.redis_client import RedisUnavailable
from service.desk.base import DeskBase
from service.desk.errors import HandoffPending, NotFound
from service.desk.outlook import conversation_json, describe

if TYPE_CHECKING:
    from service.prometheus import ServiceMetrics

log = logging.getLogger(__name__)
OUTLOOK_KEYS = (
    "queue_position",
    "expected_wait_seconds",
    "expected_wait_text",
    "team_name",
    "agent",
    "message",
)
"""What the conversation's answer adds from the outlook while its ticket is open: what the
widget tells a waiting customer."""
NOTHING_TO_RATE = "the conversation has no resolved chat to rate"


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    tracker: Mapping[str, Any]
    decision: Mapping[str, Any] | None
    customer: CustomerContext | None
    channel: str


class TicketDesk(DeskBase):
    metrics: ServiceMetrics | None = None
    """Where new tickets and surveys are counted (service/prometheus.py; the app sets it)."""

    async def open_ticket(
        self, request: HandoffRequest, articles: Mapping[str, ArticleTried]
    ) -> tuple[dict[str, Any], bool]:
        """The customer's outlook on the conversation's ticket for this escalation, and whether
        this call created the ticket. Raises TrackerFormatError or TicketFormatError for a
        conversation that cannot be read, HandoffPending while another request creates it,
        RedisUnavailable saying that the handoff was not saved."""
        started = time.perf_counter()
        try:
            record, created = await self._ticket_for(request, articles)
            if created and self.metrics is not None:
                self.metrics.record_new_ticket(record, time.perf_counter() - started)
            return await describe(self, record, created=created, now=self.now()), created
        except RedisUnavailable as error:
            raise RedisUnavailable(f"the handoff could not be saved: {error}") from error

    async def cancel(self, ticket_id: str) -> TicketRecord:
        """The customer withdraws a waiting request."""
        now = self.now()
        return await self.change_ticket(ticket_id, lambda record: lifecycle.cancel(record, now=now))

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        """Who has the conversation, its latest ticket and, while that is open, the outlook."""
        state = await self.store.tickets.conversation(conversation_id)
        record = await self._latest_ticket(state)
        answer = {"conversation_id": conversation_id, **conversation_json(state, record)}
        if record is not None and record.is_open:
            outlook = await describe(self, record, created=False, now=self.now())
            answer.update({key: outlook[key] for key in OUTLOOK_KEYS})
        return answer

    async def takeover(self, conversation_id: str) -> dict[str, Any]:
        """What happened while a person had the conversation (its latest ticket), for the
        assistant's resume action."""
        record = await self._latest_ticket(await self.store.tickets.conversation(conversation_id))
        if record is None:
            raise NotFound(f"conversation {conversation_id} has no handoff")
        names = {agent.id: agent.name for agent in self.agents.agents.values()}
        return takeover_json(record, names)

    async def save_csat(
        self, conversation_id: str, rating: int, comment: str | None
    ) -> TicketRecord:
        """The customer's rating of the conversation's latest ticket, once it is resolved."""
        now = self.now()
        state = await self.store.tickets.conversation(conversation_id)
        if not state:
            raise NotFound(f"no conversation {conversation_id}")
        ticket_id = state.get("ticket_id")
        if not ticket_id:
            raise lifecycle.Conflict(NOTHING_TO_RATE)
        try:
            rated = await self.store.tickets.update(
                ticket_id, lambda record: lifecycle.record_csat(record, rating, comment, now=now)
            )
        except LookupError:
            raise lifecycle.Conflict(NOTHING_TO_RATE) from None
        if self.metrics is not None:
            self.metrics.record_survey("agent")
        return rated

    async def erase_customer(self, customer_id: str) -> int:
        """Erasure on request: every handoff key of this (verified) customer goes; returns how
        many tickets."""
        return await self.store.erase_customer(customer_id)

    async def _latest_ticket(self, state: Mapping[str, str]) -> TicketRecord | None:
        ticket_id = state.get("ticket_id")
        return await self.store.tickets.get(ticket_id) if ticket_id else None

    async def _ticket_for(
        self, request: HandoffRequest, articles: Mapping[str, ArticleTried]
    ) -> tuple[TicketRecord, bool]:
        """The escalation's ticket: an existing one, or a new one routed, stored and placed."""
        now = self.now()
        ticket = await asyncio.to_thread(self._build, request, now)
        label = escalation_label(ticket.escalation_decision)
        tickets = self.store.tickets
        for _ in range(2):
            reservation = await tickets.reserve(
                request.conversation_id, label, ticket.ticket_id, now
            )
            if reservation.created:
                break
            existing = await tickets.wait_for(reservation.ticket_id, self.pending_wait)
            if existing is not None:
                return existing, False
            # Reserved, never stored: its request died between the two steps. Free it, try again.
            await tickets.release(request.conversation_id, label, reservation.ticket_id)
        else:
            raise HandoffPending(f"ticket {reservation.ticket_id} is still being created")
        try:
            record = await self._route_and_store(ticket, label, articles, now)
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
        return await self.place(record, now), True

    def _build(self, request: HandoffRequest, now: datetime) -> Ticket:
        """The masked, unrouted ticket, checked against the published schema (worker thread)."""
        ticket = build_ticket(
            request.tracker,
            request.decision,
            ticket_id=f"tk-{secrets.token_hex(6)}",
            conversation_id=request.conversation_id,
            channel=request.channel,
            customer=request.customer,
            now=now,
            nlp=self.nlp,
        )
        validate_ticket_dict(ticket.to_dict())
        return ticket

    async def _route_and_store(
        self, ticket: Ticket, label: str, articles: Mapping[str, ArticleTried], now: datetime
    ) -> TicketRecord:
        settings = self.routing.incidents
        draft = TicketRecord(ticket=ticket, idempotency_key=label)
        request = routing_request(ticket, articles)
        topic = route(request, self.routing, now).skill_team  # from the evidence, before incidents
        escalation = escalation_for_incidents(ticket, draft.customer_key, now, topic, settings)
        comparable = has_problem(escalation, settings)  # only asked for a person: no incident
        async with self.incident_lock:  # one replica: incidents are read and written in turn
            match = None
            if comparable:
                recent = await self.store.incidents.recent(now, settings.window)
                open_incidents = await self.store.incidents.open_incidents(now, settings.window)
                match = detect_incident(escalation, recent, settings, open_incidents=open_incidents)
            decision = route(request, self.routing, now, match)
            note = (
                f"routed to team {decision.team} ({decision.escalation_type}, {decision.priority})"
            )
            routed = ticket.with_routing(
                Routing.from_dict(decision.to_dict()), at=now, by="router", note=note
            )
            record = TicketRecord(ticket=routed, idempotency_key=label)
            await self.store.tickets.add(record)
            if comparable:
                await self.store.incidents.remember(escalation, settings.window)
            if match is not None:
                await self.store.incidents.save(match.incident, self.retention)
                if match.created:
                    await self._raise_linked_tickets(match, record, now)
        return record

    async def _raise_linked_tickets(
        self, match: IncidentMatch, new: TicketRecord, now: datetime
    ) -> None:
        """A new incident makes every open ticket it links urgent."""

        def join(record: TicketRecord) -> TicketRecord:
            if not record.is_open:
                raise lifecycle.Conflict(f"ticket {record.ticket_id} is {record.status}")
            return lifecycle.join_incident(
                record, match.incident_id, match.detail, now=now, config=self.routing
            )

        for ticket_id in match.incident.ticket_ids:
            if ticket_id == new.ticket_id:
                continue
            try:
                await self.store.tickets.update(ticket_id, join)
            except (LookupError, lifecycle.Conflict):
                continue
