"""The customer's side of the desk: a new ticket (built, routed, stored and placed), what the
customer is told about it, withdrawing it, the takeover for the assistant, the survey (CSAT and
customer effort; the rules in service/desk/surveys.py), and erasing a customer's handoff data.

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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from handoff import lifecycle
from handoff.customer_transcript import customer_transcript
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
from outcomes.session import read_session
from outcomes.surveys import SecondSurvey
from service.desk import surveys
from service.desk.base import DeskBase
from service.desk.errors import HandoffPending, NotFound
from service.desk.outlook import conversation_json, describe

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


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    tracker: Mapping[str, Any]
    decision: Mapping[str, Any] | None
    customer: CustomerContext | None
    channel: str


class DeskCounters(Protocol):
    """What the desk and its SLA watchdog count (service/prometheus.py's ServiceMetrics)."""

    def record_new_ticket(self, record: TicketRecord, seconds: float) -> None: ...

    def record_survey(self, audience: str, *, skipped: bool = False) -> None: ...

    def record_breach(self, kind: str, team: str) -> None: ...


class TicketDesk(DeskBase):
    metrics: DeskCounters | None = None
    """Where new tickets and surveys are counted (service/prometheus.py; the app sets it)."""
    outcomes: surveys.SurveyStore | None = None
    """Where surveys are kept (outcomes/store.py's OutcomeStore; the app sets it)."""
    handed_off: Callable[[TicketRecord], Awaitable[object]] | None = None
    """Told of every new ticket (the gap topics, service/desk/gap_topics.py; the app sets it)."""

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
            if created and self.handed_off is not None:
                await self.handed_off(record)
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

    async def transcript(self, conversation_id: str) -> dict[str, Any]:
        """The conversation as the customer saw it (its latest ticket), for the widget that
        reopens it from a resume link (handoff/customer_transcript.py)."""
        record = await self._latest_ticket(await self.store.tickets.conversation(conversation_id))
        if record is None:
            raise NotFound(f"conversation {conversation_id} has no handoff")
        names = {agent.id: agent.name for agent in self.agents.agents.values()}
        return {
            "conversation_id": conversation_id,
            "ticket_id": record.ticket_id,
            "messages": customer_transcript(record, names),
        }

    async def survey_status(self, conversation_id: str) -> surveys.SurveyStatus:
        """Whether the conversation's latest session may be surveyed now, about whom, and
        whether it was (NotFound: no conversation with a customer message)."""
        tracker = await self._outcomes().tracker(conversation_id)
        session = read_session(tracker) if tracker is not None else None
        if session is None:
            raise NotFound(f"no conversation {conversation_id} with a customer message")
        saved = await self._outcomes().saved_survey(conversation_id, session.key)
        current = (await self.store.tickets.conversation(conversation_id)).get("ticket_id")
        ticket_ids = list(dict.fromkeys([*session.ticket_ids, *([current] if current else [])]))
        try:
            audience = surveys.survey_audience(session, await self.store.tickets.many(ticket_ids))
        except surveys.NoSurvey as error:
            return surveys.SurveyStatus(conversation_id, session.key, None, bool(saved), str(error))
        return surveys.SurveyStatus(conversation_id, session.key, audience, saved is not None)

    async def save_survey(
        self,
        conversation_id: str,
        body: Mapping[str, Any],
        review: surveys.SurveyListener | None = None,
    ) -> dict[str, Any]:
        """Keep the customer's answers (or that they skipped) for the latest session, once:
        NoSurvey or SurveyAlreadyAnswered (409), InvalidRequest (400), NotFound (404). An agent
        chat's CSAT goes on its ticket too; `review` hears of a survey answered after the
        session's outcome record was written."""
        status = await self.survey_status(conversation_id)
        if status.answered:
            raise surveys.SurveyAlreadyAnswered("this conversation's survey is already recorded")
        if status.audience is None:
            raise surveys.NoSurvey(status.reason or "no survey is open")
        survey, comment = surveys.parse_answers(body, status.audience)
        now = self.now()
        try:
            late = await self._outcomes().save_survey(
                conversation_id, status.session, survey, now=now
            )
        except SecondSurvey:
            raise surveys.SurveyAlreadyAnswered(
                "this conversation's survey is already recorded"
            ) from None
        if status.audience == "agent" and survey.csat is not None:
            await self._rate_ticket(conversation_id, survey.csat, comment)
        if self.metrics is not None:
            self.metrics.record_survey(status.audience, skipped=survey.skipped)
        if late and review is not None:
            await review.survey_answered(conversation_id, status.session, survey)
        return surveys.survey_json(conversation_id, status.session, survey)

    async def _rate_ticket(self, conversation_id: str, rating: int, comment: str | None) -> None:
        """The agent chat's CSAT on its ticket, for the console (a ticket rated before keeps
        its rating)."""
        now = self.now()
        ticket_id = (await self.store.tickets.conversation(conversation_id)).get("ticket_id")
        if not ticket_id:
            return
        try:
            await self.store.tickets.update(
                ticket_id, lambda record: lifecycle.record_csat(record, rating, comment, now=now)
            )
        except (LookupError, lifecycle.Conflict) as error:
            log.warning("the survey's CSAT was not put on ticket %s: %s", ticket_id, error)

    def _outcomes(self) -> surveys.SurveyStore:
        if self.outcomes is None:
            raise RedisUnavailable("surveys are not available: the outcome store is not open")
        return self.outcomes

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
        # incidents are read and written in turn: in this process, then across replicas
        async with self.incident_lock, self.store.incidents.in_turn():
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
