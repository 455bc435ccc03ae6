"""A drill customer for `make chaos`: a socket.io client in Rasa's protocol through the public
gateway that asks for the gateway's ack, and reconnects and resumes its session as our widget
does (gateway/static/widget-socket.js: back-off from 1 s, doubling, with jitter). Unlike the
widget it never resends a message: one that was in flight when the socket dropped is left as
it is, as the widget leaves it to the customer.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import aiohttp
import socketio
import yaml

from benchmarks.chaos_counts import CustomerRecord, SentMessage
from handoff.vocabulary import WITH_PEOPLE
from stack.config import ROOT

NOTICE_EVENTS = frozenset({"trouble", "not_delivered", "rate_limited"})
UNAVAILABLE_RESPONSES = ("utter_kb_unavailable",)
"""The assistant's own "I can't reach our help articles right now": a clear notice too."""


def unavailable_texts() -> frozenset[str]:
    domain = yaml.safe_load((ROOT / "bot" / "domain" / "questions.yml").read_text())
    responses = domain["responses"]
    return frozenset(row["text"] for name in UNAVAILABLE_RESPONSES for row in responses[name])


UNAVAILABLE_TEXTS = unavailable_texts()
RECONNECT_MIN_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 30.0


class DrillCustomer:
    """One customer: `say_next` sends a message (with its tag) and waits for the ack, a
    notice or a dropped socket (at most `wait_seconds`); the caller thinks in between."""

    def __init__(self, gateway_url: str, address: str, wait_seconds: float = 60.0) -> None:
        self.gateway_url = gateway_url
        self.address = address  # its own loopback address, as customers elsewhere have
        self.wait_seconds = wait_seconds
        self.record = CustomerRecord()
        self.reply_seconds: list[float] = []  # message to ack, for the acknowledged ones
        self.session_id = ""
        self.conversation_seen = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._client: socketio.AsyncClient | None = None
        self._current: SentMessage | None = None
        self._settled = asyncio.Event()  # the current message got an ack, notice or drop
        self._confirmed = asyncio.Event()

    async def say_next(self, tag: str, text: str) -> None:
        """(Re)connect if need be, send one message and wait for what comes of it."""
        await self._connected()
        await self._say(tag, text)

    async def _say(self, tag: str, text: str) -> None:
        message = SentMessage(tag, sent_at=time.monotonic())
        self.record.messages.append(message)
        self._current = message
        self._settled.clear()
        client = self._client
        assert client is not None

        def acknowledged(answer: object = None, *_: object) -> None:
            message.acknowledged = isinstance(answer, dict) and answer.get("kept") is True
            self._settled.set()

        started = time.monotonic()
        try:
            payload = {"message": text, "session_id": self.session_id}
            await client.emit("user_uttered", payload, callback=acknowledged)
        except socketio.exceptions.SocketIOError:
            self._dropped()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), self.wait_seconds)
        self._current = None
        if message.acknowledged:
            self.reply_seconds.append(time.monotonic() - started)

    async def _connected(self) -> None:
        """Connected with a confirmed session: (re)connect with the widget's back-off."""
        attempts = 0
        while self._client is None or not self._client.connected or not self.session_id:
            if await self._open():
                return
            ceiling = min(RECONNECT_MAX_SECONDS, RECONNECT_MIN_SECONDS * 2**attempts)
            attempts += 1
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)

    async def _open(self) -> bool:
        await self._close_socket()
        if self._http is None:
            connector = aiohttp.TCPConnector(local_addr=(self.address, 0))
            self._http = aiohttp.ClientSession(connector=connector)
        client = socketio.AsyncClient(reconnection=False, http_session=self._http)
        client.on("bot_uttered", self._bot_uttered)
        client.on("gateway_error", self._gateway_error)
        client.on("handoff_status", self._handoff_status)
        client.on("session_confirm", self._session_confirm)
        client.on("disconnect", self._dropped)
        self._client = client
        self._confirmed.clear()
        try:
            await client.connect(
                self.gateway_url,
                headers={"Origin": self.gateway_url},
                transports=["websocket"],
                wait_timeout=10,
            )
            await client.emit("session_request", {"session_id": self.session_id or None})
            await asyncio.wait_for(self._confirmed.wait(), 10)
        except (socketio.exceptions.SocketIOError, TimeoutError, aiohttp.ClientError, OSError):
            return False
        return client.connected

    def _session_confirm(self, session_id: str) -> None:
        self.session_id = session_id
        self._confirmed.set()
        self.conversation_seen.set()

    def _bot_uttered(self, message: dict[str, Any]) -> None:
        about = message.get("metadata") or {}  # the gateway's sender and event (gateway/notices.py)
        if about.get("event") in NOTICE_EVENTS or message.get("text") in UNAVAILABLE_TEXTS:
            self.record.saw_trouble = True
            if self._current is not None:
                self._current.notice = True
                self._settled.set()
        elif self._current is not None and about.get("sender", "bot") == "bot":
            self._current.replied = True

    def _gateway_error(self, error: dict[str, Any]) -> None:
        self.record.saw_trouble = True
        if self._current is not None:
            self._current.notice = True
            self._settled.set()

    def _handoff_status(self, status: dict[str, Any]) -> None:
        if status.get("state") in WITH_PEOPLE:
            self.record.told_ticket = True

    def _dropped(self, *_: object) -> None:
        """The socket closed: the widget shows "reconnecting" - the customer is told."""
        self.record.saw_trouble = True
        if self._current is not None:
            self._current.dropped = True
            self._settled.set()

    async def _close_socket(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.handlers["/"].pop("disconnect", None)  # our own close is no drop
            with contextlib.suppress(Exception):
                await client.disconnect()

    async def close(self) -> None:
        await self._close_socket()
        if self._http is not None:
            await self._http.close()
            self._http = None


async def probe_answers(gateway_url: str, address: str, text: str, timeout: float) -> bool:
    """A fresh conversation: True when its first message gets a normal answer in time (not a
    notice, not the assistant's "I can't reach our help articles")."""
    customer = DrillCustomer(gateway_url, address, wait_seconds=timeout)
    try:
        if not await asyncio.wait_for(customer._open(), timeout):
            return False
        await customer._say("probe", text)
        message = customer.record.messages[-1]
        return message.replied and message.acknowledged and not message.notice
    except (TimeoutError, socketio.exceptions.SocketIOError, aiohttp.ClientError, OSError):
        return False
    finally:
        await customer.close()
