"""While Rasa restarts (its port open, its workers still loading the model, so requests hang),
customers are told at once instead of after the Rasa timeout, and the first message after
Rasa is back is answered as usual."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.rasa_availability import PROBE_EVERY_SECONDS
from tests.gateway.support import wait_for

RASA_TIMEOUT = 2.0


class LoadingRasa:
    """Rasa's webhook and root route; while `loading`, every request hangs."""

    def __init__(self) -> None:
        self.loaded = asyncio.Event()
        self.loaded.set()
        self.webhook_requests = 0
        self.probes = 0
        self.url = ""

    @property
    def loading(self) -> bool:
        return not self.loaded.is_set()

    @loading.setter
    def loading(self, loading: bool) -> None:
        if loading:
            self.loaded.clear()
        else:
            self.loaded.set()

    async def _hang_while_loading(self) -> None:
        await self.loaded.wait()

    async def webhook(self, request: web.Request) -> web.Response:
        self.webhook_requests += 1
        body = await request.json()
        await self._hang_while_loading()
        return web.json_response([{"recipient_id": body["sender"], "text": "Hello!"}])

    async def root(self, request: web.Request) -> web.Response:
        self.probes += 1
        await self._hang_while_loading()
        return web.Response(text="Hello from Rasa: 3.6.21")


@pytest.fixture
async def rasa() -> AsyncIterator[LoadingRasa]:
    stand_in = LoadingRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", stand_in.webhook)
    app.router.add_get("/", stand_in.root)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    stand_in.url = str(server.make_url("")).rstrip("/")
    try:
        yield stand_in
    finally:
        stand_in.loading = False
        await server.close()


@pytest.fixture
def settings_extra() -> dict[str, str]:
    return {"GATEWAY_RASA_TIMEOUT": str(RASA_TIMEOUT)}


def events(widget: Any) -> list[str]:
    return [m.get("event") or (m.get("metadata") or {}).get("event") for m in widget.bot]


async def test_customers_are_told_at_once_while_rasa_loads_and_answered_once_it_is_back(  # type: ignore[no-untyped-def]
    connect, rasa
) -> None:
    first = await connect()
    await first.start_session()
    rasa.loading = True
    await first.say("hello")  # this one waits for the timeout: nothing knew Rasa was down
    await wait_for(lambda: first.bot, timeout=RASA_TIMEOUT + 5)
    assert events(first) == ["trouble"]

    others = [await connect() for _ in range(5)]
    for widget in others:
        await widget.start_session()
    started = time.monotonic()
    for widget in others:
        await widget.say("is anyone there?")
    for widget in others:
        await wait_for(lambda widget=widget: widget.bot, timeout=RASA_TIMEOUT + 5)
        assert events(widget) == ["trouble"]
    assert time.monotonic() - started < RASA_TIMEOUT  # told at once, not after the timeout
    assert rasa.webhook_requests == 1  # no message was sent to hang in Rasa's backlog
    assert rasa.probes <= 1  # one probe at a time, shared

    rasa.loading = False
    await asyncio.sleep(PROBE_EVERY_SECONDS + 0.1)
    await first.say("hello again")
    await wait_for(lambda: len(first.bot) == 2, timeout=RASA_TIMEOUT + 5)
    assert first.bot[-1]["text"] == "Hello!"
