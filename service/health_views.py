"""The service's health: GET /health/live (the process answers), GET /health/ready (it can do
its job: Redis and the knowledge base, each reported with its status and latency) and GET /health
(as before: the index's counts and Redis, 503 when Redis is down). No token on any of them; none
shows a secret (infra/health.py reports a failure by its kind, never its message)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from infra.health import LIVE_BODY, DependencyDown, readiness
from infra.redis_client import RedisUnavailable
from service.keys import INSIGHTS, KNOWLEDGE_BASE


async def live(request: web.Request) -> web.Response:
    """200 while the event loop runs; asks nothing else (a restart would not fix Redis)."""
    return web.json_response(LIVE_BODY)


async def ready(request: web.Request) -> web.Response:
    """200 when Redis answers and the knowledge base is loaded, else 503; always every check."""
    app = request.app

    async def redis() -> None:
        try:
            await app[INSIGHTS].ping()
        except RedisUnavailable:
            raise DependencyDown("Redis does not answer") from None

    async def knowledge_base() -> Mapping[str, Any]:
        try:
            return index_counts(app)
        except (KeyError, RuntimeError):
            raise DependencyDown("the knowledge base is not loaded") from None

    body, status = await readiness({"redis": redis, "knowledge_base": knowledge_base})
    return web.json_response(body, status=status)


async def health(request: web.Request) -> web.Response:
    """The index's version and counts, and Redis: 503 when Redis is down (the stack's start-up
    check and existing monitors read this one)."""
    redis_ok = True
    try:
        await request.app[INSIGHTS].ping()
    except RedisUnavailable:
        redis_ok = False
    body = {
        "status": "ok" if redis_ok else "degraded",
        "redis": "ok" if redis_ok else "unavailable",
        "knowledge_base": index_counts(request.app),
    }
    return web.json_response(body, status=200 if redis_ok else 503)


def index_counts(app: web.Application) -> dict[str, int]:
    state = app[KNOWLEDGE_BASE].state
    return {
        "version": state.version,
        "published_articles": state.index.published_count,
        "passages": len(state.index.passages),
        "skipped_files": len(state.errors),
        "files_still_embedding": state.embedding,  # a cold start serves the rest meanwhile
    }
