"""The service's health: /health/live answers whatever Redis does; /health/ready names Redis and
the knowledge base, each with its status and latency, and is 503 while Redis cannot serve - a
Redis that hangs included, within about a second; /health stays what it was. No token on any,
and no token in any answer. A real Redis (paused with CLIENT PAUSE, as a hung one would be)."""

from __future__ import annotations

import dataclasses
import time

import redis.asyncio as redis

from service.app import create_app
from tests.conftest import TOKEN
from tests.support.redis_server import redis_server

NO_TOKEN = {"Authorization": ""}


async def test_live_and_ready_answer_without_a_token_and_name_each_dependency(client) -> None:  # type: ignore[no-untyped-def]
    live = await client.get("/health/live", headers=NO_TOKEN)
    assert (live.status, await live.json()) == (200, {"status": "ok"})
    response = await client.get("/health/ready", headers=NO_TOKEN)
    body = await response.json()
    assert response.status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"redis", "knowledge_base"}
    assert body["checks"]["redis"]["status"] == "ok"
    assert 0 <= body["checks"]["redis"]["latency_ms"] < 1000
    knowledge_base = body["checks"]["knowledge_base"]
    assert knowledge_base["status"] == "ok" and knowledge_base["published_articles"] >= 30
    assert TOKEN not in await response.text()


async def test_a_hung_redis_makes_it_unready_within_a_second_but_still_alive(  # type: ignore[no-untyped-def]
    aiohttp_client, settings, embedder, tmp_path
) -> None:
    with redis_server(tmp_path) as own_redis:
        app = create_app(
            dataclasses.replace(settings, redis_url=own_redis), embedder_factory=lambda: embedder
        )
        client = await aiohttp_client(app)
        pauser = redis.Redis.from_url(own_redis)
        await pauser.execute_command("CLIENT", "PAUSE", "2500", "ALL")  # every command waits
        try:
            started = time.monotonic()
            response = await client.get("/health/ready")
            took = time.monotonic() - started
            body = await response.json()
            assert response.status == 503
            assert body["status"] == "unavailable"
            assert body["checks"]["redis"]["status"] == "unavailable"
            assert body["checks"]["redis"]["error"] == "no answer within 1 s"
            assert body["checks"]["knowledge_base"]["status"] == "ok"
            assert took < 1.5
            assert (await client.get("/health/live")).status == 200
        finally:
            await pauser.execute_command("CLIENT", "UNPAUSE")
            await pauser.aclose()
        assert (await client.get("/health/ready")).status == 200  # back when Redis answers
    # the server has stopped now: refused, not hung
    body = await (await client.get("/health/ready")).json()
    assert body["checks"]["redis"] == body["checks"]["redis"] | {
        "status": "unavailable",
        "error": "Redis does not answer",
    }
    assert (await client.get("/health")).status == 503  # as before
