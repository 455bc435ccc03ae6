"""The gateway's health: /health/live answers whatever its dependencies do; /health/ready names
Redis, Rasa and the service, each with its status and latency, and is 503 while one cannot serve
- a refused port, a port that never answers (within about a second, not the client's 30 s),
something that is not Rasa on Rasa's port; /health stays what it was (Redis only). Real Redis;
small stand-ins answer as Rasa's GET / ("Hello from Rasa: 3.6.21") and the service's
/health/live do."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from stack.supervisor import free_port
from tests.gateway.support import gateway_settings


@contextlib.asynccontextmanager
async def answering(path: str, text: str, status: int = 200) -> AsyncIterator[str]:
    """An HTTP server answering GET `path` with `text`; yields its base URL."""

    async def view(request: web.Request) -> web.Response:
        return web.Response(text=text, status=status)

    app = web.Application()
    app.router.add_get(path, view)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def silent() -> AsyncIterator[str]:
    """A port that accepts connections and never answers (a hung process)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(3600)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


@contextlib.asynccontextmanager
async def gateway(
    aiohttp_client, redis_url: str, rasa_url: str, service_url: str
) -> AsyncIterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = gateway_settings(redis_url, rasa_url, SERVICE_URL=service_url)
    yield await aiohttp_client(create_app(settings))


@pytest.fixture
async def rasa_url() -> AsyncIterator[str]:
    async with answering("/", "Hello from Rasa: 3.6.21") as url:
        yield url


@pytest.fixture
async def service_url() -> AsyncIterator[str]:
    async with answering("/health/live", '{"status": "ok"}') as url:
        yield url


async def test_ready_names_each_dependency_with_its_latency(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, rasa_url, service_url
) -> None:
    async with gateway(aiohttp_client, redis_url, rasa_url, service_url) as client:
        response = await client.get("/health/ready")
        body = await response.json()
        assert response.status == 200, body
        assert body["status"] == "ok"
        assert set(body["checks"]) == {"redis", "rasa", "service"}
        for check in body["checks"].values():
            assert check["status"] == "ok"
            assert 0 <= check["latency_ms"] < 1000
        live = await client.get("/health/live")
        assert (live.status, await live.json()) == (200, {"status": "ok"})
        assert (await client.get("/health")).status == 200


async def test_a_dependency_down_makes_it_unready_but_still_alive(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, rasa_url
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: the service is down
    async with gateway(aiohttp_client, redis_url, rasa_url, closed) as client:
        response = await client.get("/health/ready")
        body = await response.json()
        assert response.status == 503
        assert body["status"] == "unavailable"
        assert body["checks"]["service"]["status"] == "unavailable"
        assert body["checks"]["service"]["error"] == "not reachable (ClientConnectorError)"
        assert body["checks"]["rasa"]["status"] == body["checks"]["redis"]["status"] == "ok"
        assert (await client.get("/health/live")).status == 200
        assert (await client.get("/health")).status == 200  # as before: Redis only


async def test_a_hung_rasa_is_unready_within_about_a_second(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, service_url
) -> None:
    async with silent() as hung, gateway(aiohttp_client, redis_url, hung, service_url) as client:
        started = time.monotonic()
        response = await client.get("/health/ready")
        took = time.monotonic() - started
        body = await response.json()
        assert response.status == 503
        assert body["checks"]["rasa"] == {
            "status": "unavailable",
            "latency_ms": pytest.approx(1000, abs=150),
            "error": "no answer within 1 s",
        }
        assert body["checks"]["service"]["status"] == "ok"
        assert took < 1.5, "the checks run at once, each at most 1 s"


async def test_something_else_on_rasas_port_is_not_rasa(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, service_url
) -> None:
    async with (
        answering("/", "<html>a web server</html>") as other,
        gateway(aiohttp_client, redis_url, other, service_url) as client,
    ):
        body = await (await client.get("/health/ready")).json()
        assert body["checks"]["rasa"]["error"] == "answered, but not with 'Hello from Rasa'"
    async with (
        answering("/", "oops", status=500) as broken,
        gateway(aiohttp_client, redis_url, broken, service_url) as client,
    ):
        body = await (await client.get("/health/ready")).json()
        assert body["checks"]["rasa"]["error"] == "answered HTTP 500"
