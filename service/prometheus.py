"""The service's Prometheus metrics and its `/metrics` page (behind METRICS_TOKEN, which Prometheus
sends as a bearer token and which opens nothing else, or the service token). One registry per
app, so tests can build several apps in one process. Every name starts with `support_`; times are
in seconds; label values come from the project's vocabulary and config (outcomes, reasons,
escalation types, teams), never from customer input or ids:

    support_conversations_total{outcome}          sessions ended, by outcome (outcomes.record)
    support_escalations_total{reason, escalation_type, team}
                                                  new tickets: the decision's reason, the type and
                                                  team routing chose
    support_handoffs_total{placement}             new tickets by where they went first: assigned
                                                  (with an agent), queued, offline
    support_sla_breaches_total{kind, team}        breaches the SLA watchdog applied
    support_surveys_total{audience, answer}       survey answers (bot | agent; answered | skipped)
    support_helpdesk_deliveries_total{target, result}
                                                  help-desk sync attempts: delivered, retry,
                                                  dead_lettered (targets: the routing file's)
    support_handoff_duration_seconds              opening a ticket: build, route, store, place
    support_request_duration_seconds{method, route, status}
                                                  every request, by route pattern (never the path)
    support_queue_depth{team}                     tickets waiting in the team's queue (Redis,
                                                  read at scrape time)
    support_agents_online{team}                   agents online with the team's skill (likewise)

The two gauges are read through the handoff's stores when Prometheus scrapes, with a short
timeout: a failed read leaves them without a sample for that scrape, never a failed page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from handoff.routing.config import ESCALATION_REASONS
from handoff.ticket.model import ESCALATION_TYPES
from handoff.ticket_record import TicketRecord
from helpdesk.delivery import DELIVERY_RESULTS
from outcomes.record import OUTCOMES
from service.desk import HandoffDesk
from service.keys import HANDOFF

log = logging.getLogger(__name__)
OTHER = "other"
"""The label value for anything outside the known values (a newer caller, a bug): the label set
stays bounded whatever arrives."""
NO_DECISION = "none"
"""The reason label of a ticket opened without a decision record (a direct request)."""
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PLACEMENTS = ("assigned", "queued", "offline")
SLA_KINDS = ("first_response", "resolution")
AUDIENCES = ("bot", "agent")
LIVE_READ_TIMEOUT = 1.0
"""Seconds the scrape waits for the queue depth and agents online before leaving them out."""
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HANDOFF_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


def bounded(value: object, known: Iterable[str]) -> str:
    """`value` when it is one of `known`, else "other"."""
    return value if isinstance(value, str) and value in known else OTHER


@dataclass(frozen=True)
class LiveReading:
    """What Redis said at one scrape: team -> tickets waiting, team -> agents online."""

    queue_depth: Mapping[str, int]
    agents_online: Mapping[str, int]


class LiveGauges(Collector):
    """Queue depth and agents online per team, as last read by `refresh` (None: the read failed,
    so the families go out without samples)."""

    def __init__(self) -> None:
        self.latest: LiveReading | None = None

    async def refresh(self, desk: HandoffDesk | None, timeout: float = LIVE_READ_TIMEOUT) -> None:
        self.latest = None
        if desk is None:
            return
        try:
            self.latest = await asyncio.wait_for(read_live(desk), timeout)
        except Exception as error:  # a scrape must never fail over a gauge: log, leave it out
            log.warning("metrics: queue depth and agents online not read: %r", error)

    def collect(self) -> Iterable[Metric]:
        queue = GaugeMetricFamily(
            "support_queue_depth", "Tickets waiting in the team's queue.", labels=["team"]
        )
        online = GaugeMetricFamily(
            "support_agents_online", "Agents online with the team's skill.", labels=["team"]
        )
        if self.latest is not None:
            for team, depth in sorted(self.latest.queue_depth.items()):
                queue.add_metric([team], depth)
            for team, count in sorted(self.latest.agents_online.items()):
                online.add_metric([team], count)
        return [queue, online]


async def read_live(desk: HandoffDesk) -> LiveReading:
    """Each team of the routing config: its queue's length and its agents online."""
    teams = sorted(desk.routing.teams)
    depth = {team: (await desk.store.tickets.queue(team, 1))[0] for team in teams}
    pool = await desk.agent_pool()
    online = {
        team: sum(1 for agent in pool if agent.presence == "online" and team in agent.teams)
        for team in teams
    }
    return LiveReading(depth, online)


class ServiceMetrics:
    """The service's metrics in their own registry; the desk, the watchdogs and the request
    middleware record through the methods below."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.conversations = Counter(
            "support_conversations",
            "Conversation sessions ended, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.escalations = Counter(
            "support_escalations",
            "Escalations to people (new tickets), by reason, escalation type and team.",
            ["reason", "escalation_type", "team"],
            registry=registry,
        )
        self.handoffs = Counter(
            "support_handoffs",
            "New tickets by where they went first: assigned, queued or offline.",
            ["placement"],
            registry=registry,
        )
        self.sla_breaches = Counter(
            "support_sla_breaches",
            "SLA breaches applied by the watchdog, by kind and the ticket's team.",
            ["kind", "team"],
            registry=registry,
        )
        self.surveys = Counter(
            "support_surveys",
            "Survey answers, by audience (bot or agent) and answered or skipped.",
            ["audience", "answer"],
            registry=registry,
        )
        self.helpdesk_deliveries = Counter(
            "support_helpdesk_deliveries",
            "Help-desk sync attempts, by target and result: delivered, retry, dead_lettered.",
            ["target", "result"],
            registry=registry,
        )
        self.handoff_seconds = Histogram(
            "support_handoff_duration_seconds",
            "Seconds to open a ticket: build, route, store and place it.",
            buckets=HANDOFF_BUCKETS,
            registry=registry,
        )
        self.request_seconds = Histogram(
            "support_request_duration_seconds",
            "Seconds to answer a request, by method, route pattern and status.",
            ["method", "route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.live = LiveGauges()
        registry.register(self.live)
        ProcessCollector(registry=registry)

    def record_outcome(self, outcome: str) -> None:
        """One session ended (outcomes.record.OUTCOMES)."""
        self.conversations.labels(bounded(outcome, OUTCOMES)).inc()

    def record_new_ticket(self, record: TicketRecord, seconds: float) -> None:
        """A ticket the desk opened and placed: the escalation, where it went, how long it took."""
        decision = record.ticket.escalation_decision or {}
        reason = decision.get("reason") or NO_DECISION
        self.escalations.labels(
            reason if reason == NO_DECISION else bounded(reason, ESCALATION_REASONS),
            bounded(record.routing.escalation_type, ESCALATION_TYPES),
            record.team,  # a team of the routing config: the router names no other
        ).inc()
        if record.status == "assigned":
            self.handoffs.labels("assigned").inc()
        else:
            self.handoffs.labels("offline" if record.offline else "queued").inc()
        self.handoff_seconds.observe(seconds)

    def record_breach(self, kind: str, team: str) -> None:
        """The SLA watchdog applied a breach (`team`: the ticket's team when it breached)."""
        self.sla_breaches.labels(bounded(kind, SLA_KINDS), team).inc()

    def record_survey(self, audience: str, *, skipped: bool = False) -> None:
        """The customer answered (or skipped) a survey about the assistant (`bot`) or an agent's
        chat (`agent`)."""
        answer = "skipped" if skipped else "answered"
        self.surveys.labels(bounded(audience, AUDIENCES), answer).inc()

    def record_helpdesk(self, target: str, result: str) -> None:
        """One help-desk delivery attempt (`target`: a target of the routing file)."""
        self.helpdesk_deliveries.labels(target, bounded(result, DELIVERY_RESULTS)).inc()

    def record_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_seconds.labels(bounded(method, METHODS), route, str(status)).observe(seconds)

    def page(self) -> bytes:
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", ServiceMetrics)


async def metrics_page(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus' text format; the live gauges are read first."""
    metrics = request.app[METRICS]
    await metrics.live.refresh(request.app.get(HANDOFF))
    return web.Response(
        body=metrics.page(),
        headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "Cache-Control": "no-store"},
    )
