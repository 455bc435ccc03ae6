"""The supervisor's analytics: the metrics of a window, one metric over time, the conversations
behind a figure, per-agent figures and the live queues (service/analytics_views.py renders
them; `GET /agent/analytics/*`); and, from the same records, the content team's article
performance (content/article_performance.py; service/content_performance_views.py).

Everything but the live view is computed by metrics/ (pure) from the outcome cache
(outcome_cache.py), in a worker thread so the service's event loop keeps serving chats while
100,000 records are counted. QA verdicts and agents' QA scores come from the review through
`ReviewFigures`; until the review provides them (`Analytics.review`), there are none: the
over/under-escalation rates have no data and every QA score is null.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from content.article_performance import ArticlePerformance, Sort, article_performance
from handoff.routing.agents_config import AgentProfile
from handoff.vocabulary import TICKET_ROLES
from metrics.agents import AgentFigures, per_agent
from metrics.compute import (
    Figure,
    MetricId,
    Metrics,
    Part,
    behind,
    build_context,
    compute,
    selected,
    series,
)
from metrics.definitions import Context
from metrics.sessions import Session
from metrics.verdicts import Verdict
from metrics.windows import Filters, Step, Window
from service.desk import HandoffDesk
from service.desk.live import LiveView, live_view
from service.desk.outcome_cache import OutcomeCache, Snapshot


class ReviewFigures(Protocol):
    """What the QA review (review/) gives the analytics: its verdicts, in the metrics' shape
    (metrics/verdicts.py), and each agent's mean scorecard score in a window."""

    async def verdicts(self) -> Sequence[Verdict]: ...

    async def qa_scores(self, start: datetime, end: datetime) -> Mapping[str, float]: ...


class NoReview:
    """No review yet: no verdicts, no QA scores."""

    async def verdicts(self) -> Sequence[Verdict]:
        return ()

    async def qa_scores(self, start: datetime, end: datetime) -> Mapping[str, float]:
        return {}


@dataclass(frozen=True)
class Scope:
    """Which sessions: the window they started in and the filters."""

    window: Window
    filters: Filters


@dataclass(frozen=True)
class AgentRow:
    figures: AgentFigures
    profile: AgentProfile | None
    """None: an agent no longer in the agents file."""


@dataclass
class Analytics:
    cache: OutcomeCache
    desk: HandoffDesk
    review: ReviewFigures = field(default_factory=NoReview)
    """The review's verdicts and QA scores; review/ sets it when the app starts."""

    def now(self) -> datetime:
        return self.desk.now()

    @property
    def teams(self) -> frozenset[str]:
        return frozenset(self.desk.routing.teams)

    async def metrics(self, scope: Scope) -> Metrics:
        sessions, context = await self._read()
        return await asyncio.to_thread(compute, sessions, scope.window, scope.filters, context)

    async def series(
        self, scope: Scope, metric: MetricId, step: Step
    ) -> list[tuple[Window, Figure]]:
        sessions, context = await self._read()
        return await asyncio.to_thread(
            series, sessions, metric, scope.window, step, scope.filters, context
        )

    async def conversations(
        self, scope: Scope, metric: MetricId | None, part: Part
    ) -> list[tuple[Session, float | None]]:
        """The sessions behind a figure's numerator or denominator (newest first); without a
        metric, every session of the window."""
        sessions, context = await self._read()
        if metric is None:
            return await asyncio.to_thread(_every_session, sessions, scope)
        return await asyncio.to_thread(
            behind, sessions, metric, part, scope.window, scope.filters, context
        )

    async def agents(self, scope: Scope) -> list[AgentRow]:
        """Every agent of the agents file who takes chats (not content editors) and everyone
        else with a ticket in the window."""
        sessions, context = await self._read()
        scores = await self.review.qa_scores(scope.window.start, scope.window.end)
        profiles = {
            agent_id: profile
            for agent_id, profile in self.desk.agents.agents.items()
            if profile.role in TICKET_ROLES
        }
        figures = await asyncio.to_thread(
            per_agent, sessions, scope.window, scope.filters, context, scores, profiles
        )
        return [AgentRow(row, profiles.get(row.agent_id)) for row in figures]

    async def article_performance(
        self, start: datetime, end: datetime, sort: Sort
    ) -> list[ArticlePerformance]:
        """Each article's figures over the sessions that started in [start, end)."""
        snapshot = await self.cache.snapshot()
        return await asyncio.to_thread(
            article_performance, snapshot.sessions, start.timestamp(), end.timestamp(), sort
        )

    async def live(self, within: timedelta) -> LiveView:
        return await live_view(self.desk, self.now(), within)

    async def _read(self) -> tuple[list[Session], Context]:
        snapshot: Snapshot = await self.cache.snapshot()
        verdicts = await self.review.verdicts()
        context = build_context(snapshot.sessions, verdicts, snapshot.contacts)
        return snapshot.sessions, context


def _every_session(sessions: list[Session], scope: Scope) -> list[tuple[Session, float | None]]:
    rows: list[tuple[Session, float | None]] = [
        (session, None) for session in selected(sessions, scope.window, scope.filters)
    ]
    rows.sort(key=lambda row: (row[0].start, row[0].key), reverse=True)
    return rows
