"""The supervisor's analytics API (`GET /agent/analytics/*`, role supervisor; 403 otherwise):
the metrics of a window, one metric over time, the conversations behind a figure, per-agent
figures, the live queues, and CSV of any view. Each view checks the role, parses the query
(metrics/windows.py; a malformed window, filter, metric or parameter is a 400 with a JSON
error), calls one method of the analytics desk (service/desk/analytics.py) and renders.

Query parameters (every route refuses ones it does not know, and a parameter given twice):
    window=today|7d|30d|custom, from, to, tz     the window (default 7d, UTC)
    team, intent, channel                        filters
    metric, step=hour|day                        /series
    metric, part=numerator|denominator, limit, offset   /conversations
    within (minutes, default 15)                 /live
    view=metrics|conversations|agents            /export.csv (with that view's parameters)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta, timezone
from typing import Any

from aiohttp import web

from infra.clock import iso_utc
from metrics.compute import PARTS, MetricId, Part, parse_metric
from metrics.sessions import Session
from metrics.windows import (
    FILTERS,
    WINDOW_PARAMETERS,
    QueryError,
    check_parameters,
    parse_filters,
    parse_step,
    parse_window,
)
from service import analytics_export as export
from service.agent_auth import require_role
from service.desk.analytics import AgentRow, Analytics, Scope
from service.errors import bad_request
from service.keys import ANALYTICS

SCOPE = (*WINDOW_PARAMETERS, *FILTERS)
SERIES = (*SCOPE, "metric", "step")
CONVERSATIONS = (*SCOPE, "metric", "part", "limit", "offset")
LIVE = ("within",)
EXPORT_VIEWS = ("metrics", "conversations", "agents")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
DEFAULT_WITHIN, MAX_WITHIN = 15, 24 * 60
# datetime's range, less a day and a time zone's offset at each end (a series' days fit)
FIRST_DAY, LAST_DAY = "0001-01-03", "9999-12-29"
SPARE = timedelta(days=1)


async def metrics(request: web.Request) -> web.Response:
    analytics, query = _start(request, SCOPE)
    with _bad_query():
        scope = _scope(analytics, query)
    return web.json_response((await analytics.metrics(scope)).to_json())


async def series(request: web.Request) -> web.Response:
    analytics, query = _start(request, SERIES)
    with _bad_query():
        scope = _scope(analytics, query)
        metric = parse_metric(query.get("metric"))
        step = parse_step(query.get("step"), scope.window)
    points = await analytics.series(scope, metric, step)
    return web.json_response(
        {
            "metric": str(metric),
            "step": step,
            **_scope_json(scope),
            "points": [
                {"from": iso_utc(bucket.start), "to": iso_utc(bucket.end), **figure.to_json()}
                for bucket, figure in points
            ],
        }
    )


async def conversations(request: web.Request) -> web.Response:
    analytics, query = _start(request, CONVERSATIONS)
    with _bad_query():
        scope = _scope(analytics, query)
        metric, part = _drill_down(query)
        limit = _number(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _number(query, "offset", 0, 0, 10**9)
    rows = await analytics.conversations(scope, metric, part)
    return web.json_response(
        {
            "metric": None if metric is None else str(metric),
            "part": part,
            **_scope_json(scope),
            "total": len(rows),
            "offset": offset,
            "limit": limit,
            "conversations": [session_json(s, value) for s, value in rows[offset : offset + limit]],
        }
    )


async def agents(request: web.Request) -> web.Response:
    analytics, query = _start(request, SCOPE)
    with _bad_query():
        scope = _scope(analytics, query)
    rows = await analytics.agents(scope)
    return web.json_response({**_scope_json(scope), "agents": [agent_json(row) for row in rows]})


async def live(request: web.Request) -> web.Response:
    analytics, query = _start(request, LIVE)
    with _bad_query():
        within = _number(query, "within", DEFAULT_WITHIN, 1, MAX_WITHIN)
    view = await analytics.live(timedelta(minutes=within))
    return web.json_response(view.to_json())


async def export_csv(request: web.Request) -> web.Response:
    view = request.query.get("view")
    if view not in EXPORT_VIEWS:
        require_role(request, "supervisor")
        raise bad_request(f"view must be one of {', '.join(EXPORT_VIEWS)}")
    allowed = {"metrics": SCOPE, "conversations": CONVERSATIONS, "agents": SCOPE}[view]
    analytics, query = _start(request, (*allowed, "view"))
    with _bad_query():
        scope = _scope(analytics, query)
        drill = _drill_down(query) if view == "conversations" else (None, "numerator")
    if view == "metrics":
        text = export.csv_text(
            export.METRICS_HEADER, export.metrics_rows(await analytics.metrics(scope))
        )
    elif view == "agents":
        text = export.csv_text(
            export.AGENTS_HEADER, export.agent_rows(await analytics.agents(scope))
        )
    else:
        rows = await analytics.conversations(scope, *drill)
        text = export.csv_text(export.CONVERSATIONS_HEADER, export.conversation_rows(rows))
    name = f"{view}-{scope.window.name}-{scope.window.start.date().isoformat()}.csv"
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def session_json(session: Session, value: float | None) -> dict[str, Any]:
    return {"key": session.key, **asdict(session.record), "value": value}


def agent_json(row: AgentRow) -> dict[str, Any]:
    profile = row.profile
    return {
        **row.figures.to_json(),
        "name": profile.name if profile else None,
        "teams": sorted(profile.teams) if profile else [],
    }


def _start(request: web.Request, allowed: tuple[str, ...]) -> tuple[Analytics, dict[str, str]]:
    """The analytics desk and the query, for a supervisor (403 otherwise) who sent only
    `allowed` parameters, each once (400 otherwise)."""
    require_role(request, "supervisor")
    query: dict[str, str] = {}
    for name, value in request.query.items():
        if name in query:
            raise bad_request(f"{name[:40]} is given more than once")
        query[name] = value
    with _bad_query():
        check_parameters(query, allowed)
    return request.app[ANALYTICS], query


def _scope(analytics: Analytics, query: dict[str, str]) -> Scope:
    try:
        window = parse_window(query, analytics.now())
        # room for a series' days in any time zone
        _ = (
            window.start.astimezone(timezone.utc) - SPARE,
            window.end.astimezone(timezone.utc) + SPARE,
        )
    except OverflowError:
        raise QueryError(f"from and to must be dates from {FIRST_DAY} to {LAST_DAY}") from None
    return Scope(window, parse_filters(query, analytics.teams))


def _scope_json(scope: Scope) -> dict[str, Any]:
    return {"window": scope.window.to_json(), "filters": scope.filters.to_json()}


def _drill_down(query: dict[str, str]) -> tuple[MetricId | None, Part]:
    """The metric (none: every session of the window) and which part of it."""
    metric = parse_metric(query["metric"]) if "metric" in query else None
    part = query.get("part", "numerator")
    if part not in PARTS:
        raise QueryError(f"part must be one of {', '.join(PARTS)}")
    return metric, "numerator" if part == "numerator" else "denominator"


def _number(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not low <= int(text) <= high:
        raise QueryError(f"{name} must be a whole number from {low} to {high}")
    return int(text)


@contextmanager
def _bad_query() -> Iterator[None]:
    """A query the metrics refuse is the caller's mistake: 400 with its message."""
    try:
        yield
    except QueryError as error:
        raise bad_request(str(error)) from None
