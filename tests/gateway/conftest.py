"""The gateway tests' shared fixtures: a stand-in Rasa, the gateway on a real Redis (with the
settings a test asks for), widgets connected to it, the real service on the same Redis (a test
module with other needs defines its own `service_url`) and the handoff store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
import socketio
from aiohttp.test_utils import TestServer

from gateway.app import create_app
from handoff import store as handoff_store
from handoff.store import HandoffStore
from service.app import create_app as create_service
from tests.gateway.support import ORIGIN, FakeRasa, Widget, gateway_settings, stand_in_rasa
from tests.support.handoff import MovableClock, handoff_settings


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    async with stand_in_rasa(fake.webhook) as url:
        fake.url = url
        yield fake


@pytest.fixture
async def service_url(redis_url: str, articles_dir: Path, embedder: Any) -> AsyncIterator[str]:
    """The real service (sample help centre, a movable clock) on the tests' Redis."""
    settings = handoff_settings(redis_url, articles_dir)
    app = create_service(settings, embedder_factory=lambda: embedder, clock=MovableClock())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def store(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[HandoffStore]:
    """The handoff store on the tests' Redis (emptied by `redis_client`)."""
    opened = await handoff_store.create(redis_url)
    yield opened
    await opened.close()


@pytest.fixture
def settings_extra() -> dict[str, str]:
    """Overridden by tests that need other limits."""
    return {}


@pytest.fixture
async def gateway_url(
    redis_url: str, redis_client: redis.Redis, rasa: FakeRasa, settings_extra: dict[str, str]
) -> AsyncIterator[str]:
    settings = gateway_settings(redis_url, rasa.url, **settings_extra)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def connect(gateway_url: str) -> AsyncIterator[Any]:
    """connect(origin=ORIGIN, forwarded_for=None) -> a connected Widget (with that
    X-Forwarded-For header, as a reverse proxy would send it); all are disconnected afterwards."""
    clients: list[socketio.AsyncClient] = []

    async def open_widget(origin: str = ORIGIN, forwarded_for: str | None = None) -> Widget:
        client = socketio.AsyncClient(reconnection=False)
        widget = Widget(client)
        client.on("bot_uttered", widget.bot.append)
        client.on("gateway_error", widget.errors.append)
        client.on("session_confirm", widget.confirmed.append)
        clients.append(client)
        headers = {"Origin": origin}
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for
        await client.connect(gateway_url, headers=headers, transports=["websocket"])
        return widget

    yield open_widget
    for client in clients:
        if client.connected:
            await client.disconnect()
        http = getattr(client.eio, "http", None)  # left open by a refused connection
        if http is not None and not http.closed:
            await http.close()
