"""What the gateway tests share: a small stand-in for Rasa's REST webhook that records what
reached it and answers what the test tells it to, and a socket.io client shaped like a widget."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as redis
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.sessions import GatewayStore
from gateway.settings import GatewaySettings

SECRET = "customer-signing-secret-" + "s" * 24
ORIGIN = "https://shop.example"


@contextlib.asynccontextmanager
async def stand_in_rasa(
    webhook: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """Rasa's REST webhook answered by `webhook` on a free loopback port; yields its base URL."""
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@dataclass
class FakeRasa:
    """Rasa's REST webhook: every request body is kept; replies come from `replies`."""

    received: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=lambda: [{"text": "Hello!"}])
    url: str = ""

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        return web.json_response(
            [{"recipient_id": body["sender"], **reply} for reply in self.replies]
        )

    def texts(self) -> list[str]:
        return [body["message"] for body in self.received]


@dataclass
class Widget:
    """A socket.io client as a Rasa widget uses it; collects what the gateway emits."""

    client: socketio.AsyncClient
    bot: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)

    @property
    def session_id(self) -> str:
        return self.confirmed[-1]

    async def start_session(self, session_id: str | None = None) -> str:
        count = len(self.confirmed)
        await self.client.emit("session_request", {"session_id": session_id})
        await wait_for(lambda: len(self.confirmed) > count)
        return self.session_id

    async def say(self, text: str, **extra: Any) -> None:
        await self.client.emit(
            "user_uttered", {"message": text, "session_id": self.session_id, **extra}
        )


async def conversation_of(client: redis.Redis, session_id: str) -> str:
    """The conversation id the gateway gave a session (what Rasa and the service see)."""
    found = await GatewayStore(client, 60).conversation_id(session_id)
    assert found, "the gateway has no such session"
    return found


async def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


def gateway_settings(redis_url: str, rasa_url: str, **extra: str) -> GatewaySettings:
    return GatewaySettings.from_env(
        {
            "REDIS_URL": redis_url,
            "RASA_URL": rasa_url,
            "CUSTOMER_SIGNING_SECRET": SECRET,
            "SERVICE_TOKEN": "service-token",
            "GATEWAY_ALLOWED_ORIGINS": ORIGIN,
            **extra,
        }
    )
