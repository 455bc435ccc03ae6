"""A customer talking to the running assistant: through Rasa's REST webhook (`Customer`) or
through the public gateway as a web widget does (`Widget`, socket.io in Rasa's protocol)."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import aiohttp
import redis.asyncio as redis
import socketio

from gateway.sessions import GatewayStore
from stack.supervisor import Stack


class Customer:
    """One customer talking to the assistant through Rasa's REST webhook."""

    def __init__(self, stack: Stack, metadata: dict[str, Any] | None = None) -> None:
        self.sender = f"e2e-{secrets.token_hex(6)}"
        self.stack = stack
        self.url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
        self.metadata = metadata  # sent with every message, as a widget would

    async def say(self, text: str, expect_reply: bool = True) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if self.metadata is not None:
            body["metadata"] = self.metadata
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.post(self.url, json=body) as response:
                assert response.status == 200
                replies = await response.json()
        assert replies or not expect_reply, (
            f"no reply to {text!r} (Rasa answers [] when processing failed)"
        )
        return replies

    async def tracker(self) -> dict[str, Any]:
        """The conversation as Rasa keeps it in Redis: its events, and the slots they set."""
        client = redis.Redis.from_url(self.stack.config.redis.url)
        try:
            stored = await client.get(f"tracker:{self.sender}")
        finally:
            await client.aclose()
        assert stored is not None, f"no tracker for {self.sender} in Redis"
        events: list[dict[str, Any]] = json.loads(stored)["events"]
        slots: dict[str, Any] = {}
        for event in events:
            if event.get("event") == "restart":
                slots.clear()
            elif event.get("event") == "slot":
                slots[event["name"]] = event.get("value")
        return {"events": events, "slots": slots}


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


class Widget:
    """A web widget: socket.io in Rasa's protocol through the public gateway."""

    def __init__(self, from_address: str | None = None) -> None:
        """`from_address`: connect from this loopback address (127.0.0.2...), as a customer
        elsewhere would; a replicated gateway spreads customers by address."""
        session = None
        if from_address is not None:
            connector = aiohttp.TCPConnector(local_addr=(from_address, 0))
            session = aiohttp.ClientSession(connector=connector)
        self._http = session
        self.metadata: dict[str, Any] | None = None  # sent with every message when set
        self.client = socketio.AsyncClient(reconnection=False, http_session=session)
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
        message: dict[str, Any] = {"message": text, "session_id": self.session_id}
        if self.metadata is not None:
            message["metadata"] = self.metadata
        await self.client.emit("user_uttered", message)
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.bot) < start + replies and not self.errors:
            assert asyncio.get_running_loop().time() < deadline, f"no reply to {text!r}"
            await asyncio.sleep(0.05)
        assert not self.errors, self.errors
        return self.bot[start:]

    async def conversation_id(self, stack: Stack) -> str:
        """The conversation id the gateway gave this widget's session (Rasa's sender id, the
        service's conversation id); the widget itself only ever holds the session id."""
        client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
        try:
            found = await GatewayStore(client, 60).conversation_id(self.session_id)
        finally:
            await client.aclose()
        assert found, "the gateway has no such session"
        return found

    async def open(
        self, gateway_url: str, origin: str | None = None, resume: str | None = None
    ) -> None:
        """Connect from the gateway's own origin (or `origin`) and wait for the session it
        issues (or resumes: `resume`, a session id)."""
        await self.client.connect(
            gateway_url, headers={"Origin": origin or gateway_url}, transports=["websocket"]
        )
        await self.client.emit("session_request", {"session_id": resume})
        for _ in range(200):
            if self.session_id:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the gateway confirmed no session")

    async def close(self) -> None:
        await self.client.disconnect()
        if self._http is not None:
            await self._http.close()
