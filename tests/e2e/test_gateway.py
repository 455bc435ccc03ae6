"""A widget talking to the real stack through the public gateway (socket.io, Rasa's protocol)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import redis.asyncio as redis
import socketio

from stack.supervisor import Stack
from tests.e2e.test_conversation import _listening_addresses

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]


class Widget:
    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.bot: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.session_id = ""
        self.client.on("bot_uttered", self.bot.append)
        self.client.on("gateway_error", self.errors.append)
        self.client.on("session_confirm", self._confirmed)

    def _confirmed(self, session_id: str) -> None:
        self.session_id = session_id

    async def say(self, text: str, replies: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
        start = len(self.bot)
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.bot) < start + replies and not self.errors:
            assert asyncio.get_running_loop().time() < deadline, f"no reply to {text!r}"
            await asyncio.sleep(0.05)
        assert not self.errors, self.errors
        return self.bot[start:]


@pytest_asyncio.fixture(loop_scope="package")
async def widget(stack: Stack) -> AsyncIterator[Widget]:
    opened = Widget()
    url = stack.config.gateway_url
    await opened.client.connect(url, headers={"Origin": url}, transports=["websocket"])
    await opened.client.emit("session_request", {"session_id": None})
    for _ in range(200):
        if opened.session_id:
            break
        await asyncio.sleep(0.05)
    assert opened.session_id
    yield opened
    await opened.client.disconnect()


async def test_a_widget_gets_the_assistants_answers_through_the_gateway(widget: Widget) -> None:
    replies = await widget.say("how long do I have to return something?")
    assert any("return" in str(reply.get("text", "")).lower() for reply in replies)


async def test_restart_typed_in_the_widget_reaches_rasa_as_plain_text(
    stack: Stack, widget: Widget
) -> None:
    await widget.say("hello")
    await widget.say("/restart", replies=0)  # the bot may or may not answer it
    client = redis.Redis.from_url(stack.config.redis.url)
    try:
        for _ in range(600):
            events = json.loads(await client.get(f"tracker:{widget.session_id}") or "{}").get(
                "events", []
            )
            users = [event for event in events if event["event"] == "user"]
            if len(users) == 2:
                break
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()
    assert len(users) == 2, "the second message never reached Rasa"
    assert not any(event["event"] == "restart" for event in events)
    last_user = users[-1]
    assert last_user["text"].endswith("/restart")
    assert last_user["parse_data"]["intent"]["name"] != "restart"


async def test_the_gateway_listens_on_loopback_only(stack: Stack) -> None:
    addresses = {a for a, port in _listening_addresses() if port == stack.config.gateway_port}
    assert addresses == {"127.0.0.1"}
