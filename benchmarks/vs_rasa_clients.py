"""The customers of `make bench-vs-rasa`: one conversation through REST or socket.io, timed.

A `Target` is one system under test (our stack, or the plain `rasa init` bot). A REST turn is
timed to the webhook's full answer. A socket.io turn is timed from `user_uttered` to the last
`bot_uttered` of the reply: socket.io has no end-of-reply marker (Rasa's own channel sends each
bot message as its action finishes; our gateway relays a whole reply at once), so a reply is
over when nothing more arrives for `SETTLE_S`; that wait is not part of the latency, and
`settle_s` tells the load runs how long each turn spent on it.

Our stack must answer every message; a plain bot may stay silent (a `rasa init` model trained
on another machine predicts no response for some questions after some turns). Through REST its
silent turn is a finished turn, timed like any other; through socket.io silence has no end, so
a plain bot's turn with nothing back within `SILENCE_S` is counted as silent, not timed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import aiohttp
import socketio

REPLY_TIMEOUT = 60.0
SETTLE_S = 0.25
SILENCE_S = 10.0  # several times Rasa alone's p95 under the benchmark's heaviest load


@dataclass(frozen=True)
class Target:
    name: str
    base_url: str  # Rasa's (REST webhook and socket.io) or the gateway's (socket.io)
    rest_url: str
    socket_url: str
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Origin for the gateway
    may_stay_silent: bool = False  # a plain bot; our stack answers every message


class Said(NamedTuple):
    ms: float | None  # None: not timed (a silence through socket.io)
    refused: bool = False
    silent: bool = False


@dataclass
class TurnTiming:
    target: str
    turn: int  # 1-based position in the conversation
    kind: str  # "greeting", "rule" or "kb"
    ms: float | None
    refused: bool = False
    silent: bool = False


class Conversation(Protocol):
    settle_s: float  # per turn, waiting to be sure the reply is over (not latency)

    async def open(self) -> None: ...

    async def say(self, text: str) -> Said: ...

    async def close(self) -> None: ...


class RestConversation:
    """A customer on Rasa's REST webhook; the reply is the HTTP answer."""

    settle_s = 0.0

    def __init__(self, target: Target, http: aiohttp.ClientSession) -> None:
        self.target = target
        self.http = http
        self.sender = f"bench-{secrets.token_hex(8)}"

    async def open(self) -> None:
        return None

    async def say(self, text: str) -> Said:
        started = time.perf_counter()
        async with self.http.post(
            self.target.rest_url, json={"sender": self.sender, "message": text}
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"{self.target.name} answered {response.status}")
            replies = await response.json()
        elapsed = (time.perf_counter() - started) * 1000
        if not replies and not self.target.may_stay_silent:
            raise RuntimeError(f"{self.target.name} sent no reply to {text!r}")
        return Said(elapsed, silent=not replies)

    async def close(self) -> None:
        return None


class SocketConversation:
    """A web widget: Rasa's socket.io protocol, a session of its own, a forwarded address."""

    settle_s = SETTLE_S

    def __init__(self, target: Target, forwarded_for: str | None = None) -> None:
        self.target = target
        self.client = socketio.AsyncClient(reconnection=False)
        self.arrivals: asyncio.Queue[tuple[float, bool]] = asyncio.Queue()
        self.session_id = ""
        self.confirmed = asyncio.Event()
        self.headers = dict(target.headers)
        if forwarded_for:
            self.headers["X-Forwarded-For"] = forwarded_for
        self.client.on("bot_uttered", self._uttered)
        self.client.on("session_confirm", self._confirmed)
        self.client.on("gateway_error", self._refused)

    async def _uttered(self, message: dict[str, Any]) -> None:
        await self.arrivals.put((time.perf_counter(), False))

    async def _refused(self, error: dict[str, Any]) -> None:
        if error.get("code") != "rate_limited":
            raise RuntimeError(f"the gateway refused a message: {json.dumps(error)}")
        await self.arrivals.put((time.perf_counter(), True))

    async def _confirmed(self, confirmed: Any) -> None:
        # Rasa's channel confirms with the id itself; our gateway with {"session_id": ...}
        is_dict = isinstance(confirmed, dict)
        self.session_id = str(confirmed.get("session_id") if is_dict else confirmed)
        self.confirmed.set()

    async def open(self) -> None:
        await self.client.connect(
            self.target.socket_url, headers=self.headers, transports=["websocket"]
        )
        await self.client.emit("session_request", {"session_id": None})
        await asyncio.wait_for(self.confirmed.wait(), REPLY_TIMEOUT)

    async def say(self, text: str) -> Said:
        while not self.arrivals.empty():  # the rest of the previous reply
            self.arrivals.get_nowait()
        started = time.perf_counter()
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        waiting = SILENCE_S if self.target.may_stay_silent else REPLY_TIMEOUT
        try:
            arrived, refused = await asyncio.wait_for(self.arrivals.get(), waiting)
        except asyncio.TimeoutError:
            if self.target.may_stay_silent:
                return Said(None, silent=True)
            raise RuntimeError(f"{self.target.name} sent nothing back to {text!r}") from None
        while True:  # the rest of this reply, until it settles
            try:
                later, also_refused = await asyncio.wait_for(self.arrivals.get(), SETTLE_S)
            except asyncio.TimeoutError:
                return Said((arrived - started) * 1000, refused)
            arrived, refused = later, refused or also_refused

    async def close(self) -> None:
        await self.client.disconnect()
