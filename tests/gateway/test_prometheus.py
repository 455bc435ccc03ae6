"""The gateway's /metrics (gateway/prometheus.py): only with its own token on the public port,
and what a widget's conversation adds to it (a real gateway, a real Redis, a stand-in Rasa)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis
import socketio
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.prometheus import TO_CUSTOMER, GatewayMetrics
from handoff import store as handoff_store
from tests.gateway.support import (
    ORIGIN,
    FakeRasa,
    Widget,
    conversation_of,
    gateway_settings,
    wait_for,
)
from tests.support.handoff import PAYMENT, record

METRICS_TOKEN = "metrics-token-" + "m" * 24
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(page: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


@pytest.fixture
async def start_gateway(
    redis_url: str, redis_client: redis.Redis, rasa: FakeRasa
) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    servers: list[TestServer] = []

    async def start(**extra: str) -> str:
        server = TestServer(create_app(gateway_settings(redis_url, rasa.url, **extra)))
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def widgets() -> AsyncIterator[Callable[[str], Awaitable[Widget]]]:
    clients: list[socketio.AsyncClient] = []

    async def open_widget(url: str) -> Widget:
        client = socketio.AsyncClient(reconnection=False)
        widget = Widget(client)
        client.on("bot_uttered", widget.bot.append)
        client.on("session_confirm", widget.confirmed.append)
        clients.append(client)
        await client.connect(url, headers={"Origin": ORIGIN}, transports=["websocket"])
        return widget

    yield open_widget
    for client in clients:
        if client.connected:
            await client.disconnect()


async def get(url: str, token: str | None = None) -> tuple[int, str, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/metrics", headers=headers) as response:
            return response.status, await response.text(), dict(response.headers)


async def test_metrics_need_the_metrics_token(start_gateway: Any) -> None:
    url = await start_gateway(METRICS_TOKEN=METRICS_TOKEN)
    for token in (None, "", "service-token", METRICS_TOKEN + "x", METRICS_TOKEN[:-1]):
        status, body, headers = await get(url, token)
        assert status == 401, token
        assert body == '{"error": "missing or wrong metrics token"}'
        assert headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    status, body, headers = await get(url, METRICS_TOKEN)
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert headers["Cache-Control"] == "no-store"
    assert "# TYPE support_reply_duration_seconds histogram" in body


async def test_without_a_metrics_token_there_is_no_metrics_page(start_gateway: Any) -> None:
    url = await start_gateway()
    status, body, _ = await get(url, "")
    assert status == 404
    assert "support_" not in body


async def test_a_short_metrics_token_is_refused_at_start() -> None:
    with pytest.raises(Exception, match="METRICS_TOKEN must be a secret of at least 24"):
        gateway_settings("redis://127.0.0.1:6379/0", "http://127.0.0.1:5005", METRICS_TOKEN="short")


async def test_a_conversation_shows_in_the_reply_time_and_the_sockets(
    start_gateway: Any, widgets: Any
) -> None:
    url = await start_gateway(METRICS_TOKEN=METRICS_TOKEN)
    before = samples((await get(url, METRICS_TOKEN))[1])
    assert value(before, "support_reply_duration_seconds_count") == 0
    assert value(before, "support_connected_sockets") == 0
    widget = await widgets(url)
    await widget.start_session()
    await widget.say("hello")
    await wait_for(lambda: widget.bot)

    found = samples((await get(url, METRICS_TOKEN))[1])
    assert value(found, "support_reply_duration_seconds_count") == 1
    assert value(found, "support_connected_sockets") == 1
    # no label carries a session id, a conversation id or the customer's text
    page = (await get(url, METRICS_TOKEN))[1]
    assert widget.session_id not in page and "hello" not in page


async def test_live_chat_relays_are_timed_both_ways(
    start_gateway: Any, widgets: Any, redis_url: str, redis_client: redis.Redis, rasa: FakeRasa
) -> None:
    url = await start_gateway(METRICS_TOKEN=METRICS_TOKEN)
    widget = await widgets(url)
    conversation_id = await conversation_of(redis_client, await widget.start_session())
    store = await handoff_store.create(redis_url)
    try:
        ticket = record(PAYMENT, conversation_id)
        await store.tickets.add(ticket)  # waiting for a person: messages go to the ticket
        await widget.say("are you there?")
        for _ in range(200):
            stored = await store.tickets.get(ticket.ticket_id)
            if stored and len(stored.ticket.transcript) > len(ticket.ticket.transcript):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the customer's message did not reach the ticket")
        await redis_client.xadd(
            f"handoff:outbox:{conversation_id}",
            {"type": "message", "text": "Hi, Maya here.", "agent_name": "Maya"},
        )
        await wait_for(lambda: widget.bot)
    finally:
        await store.close()
    found = samples((await get(url, METRICS_TOKEN))[1])
    assert value(found, "support_relay_duration_seconds_count", direction="to_team") == 1
    assert value(found, "support_relay_duration_seconds_count", direction="to_customer") == 1
    assert rasa.received == []
    assert conversation_id not in (await get(url, METRICS_TOKEN))[1]


def test_an_outbox_entrys_age_comes_from_its_stream_id() -> None:
    metrics = GatewayMetrics()
    now = time.time()
    metrics.delivered(f"{int((now - 0.25) * 1000)}-0", now=now)
    metrics.delivered("not-a-stream-id", now=now)  # ignored, not a crash
    count = metrics.registry.get_sample_value(
        "support_relay_duration_seconds_count", {"direction": TO_CUSTOMER}
    )
    total = metrics.registry.get_sample_value(
        "support_relay_duration_seconds_sum", {"direction": TO_CUSTOMER}
    )
    assert count == 1
    assert total == pytest.approx(0.25, abs=0.002)


def test_two_gateways_in_one_process_keep_their_own_figures() -> None:
    first, second = GatewayMetrics(), GatewayMetrics()
    first.reply_seconds.observe(0.1)
    assert first.registry.get_sample_value("support_reply_duration_seconds_count") == 1
    assert second.registry.get_sample_value("support_reply_duration_seconds_count") == 0
