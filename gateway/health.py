"""The gateway's health: GET /health/live (the process answers), GET /health/ready (it can serve
a customer: Redis, Rasa and the service answer, each reported with its status and latency, 503
when one does not) and GET /health (as before: Redis only, what the stack's start-up check and
existing monitors read). No token on any; none shows a secret (infra/health.py).

The action server is not here: the gateway never talks to it (Rasa does). The launcher's status
(`make status`, stack/status.py) says whether it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import aiohttp
import redis.asyncio as redis
from aiohttp import web

from gateway.settings import GatewaySettings
from infra import redis_client
from infra.health import LIVE_BODY, DependencyDown, http_answers, readiness
from infra.redis_client import RedisUnavailable

RASA_GREETING = "Hello from Rasa"
"""What Rasa's server answers on GET / (and nothing else on that port would)."""


class Dependencies(Protocol):
    """What of the running gateway the checks use (gateway/server.py's Gateway)."""

    settings: GatewaySettings
    redis: redis.Redis
    http: aiohttp.ClientSession


def setup_health(
    app: web.Application, dependencies: Callable[[web.Application], Dependencies]
) -> None:
    """Add the three routes; `dependencies(app)` gives the running gateway once it has started."""

    async def live(request: web.Request) -> web.Response:
        return web.json_response(LIVE_BODY)

    async def ready(request: web.Request) -> web.Response:
        gateway = dependencies(request.app)

        async def redis_check() -> None:
            await _redis_answers(gateway.redis)

        async def rasa() -> None:
            await http_answers(gateway.http, f"{gateway.settings.rasa_url}/", RASA_GREETING)

        async def service() -> None:
            await http_answers(gateway.http, f"{gateway.settings.service_url}/health/live")

        body, status = await readiness({"redis": redis_check, "rasa": rasa, "service": service})
        return web.json_response(body, status=status)

    async def health(request: web.Request) -> web.Response:
        try:
            await redis_client.ping(dependencies(request.app).redis)
        except RedisUnavailable:
            return web.json_response({"error": "Redis is not reachable"}, status=503)
        return web.json_response({"status": "ok"})

    app.router.add_get("/health", health)
    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", ready)


async def _redis_answers(client: redis.Redis) -> None:
    try:
        await redis_client.ping(client)
    except RedisUnavailable:
        raise DependencyDown("Redis does not answer") from None
