"""The service runs the help-desk sync: a chat handed off, taken over and handed back through the
real app reaches a signed webhook and Zendesk stand-in as events, and a target whose secret is
missing stops the start with the variable's name. Real app, real Redis, real spaCy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from handoff.store.conversations import append_customer_message
from helpdesk.config import MissingSecret
from service.keys import HANDOFF
from tests.helpdesk.receivers import SECRETS, Receiver, running_receiver
from tests.helpdesk.test_delivery import routing
from tests.support.handoff import (
    HUB,
    PAYMENT,
    MovableClock,
    agent_headers,
    conversation,
    handoff_body,
    handoff_settings,
    start_app,
)

FAST = {"HELPDESK_RETRY_SECONDS": "0.2", "HELPDESK_BLOCK_SECONDS": "0.05"}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest.fixture
def routing_file(tmp_path: Path, receiver: Receiver) -> Path:
    path = tmp_path / "routing.yml"
    data = routing(receiver, "events-webhook", "zendesk-main")
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def until(check: Any, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_chat_through_the_service_reaches_the_teams_help_desks(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, redis_client, routing_file, receiver
) -> None:
    env = {"HANDOFF_ROUTING_FILE": str(routing_file), **SECRETS, **FAST}
    settings = handoff_settings(redis_url, articles_dir, **env)
    client = await start_app(aiohttp_client, settings, embedder, MovableClock())
    priya = await agent_headers(redis_url, "priya")

    other = await client.post(
        "/handoff/tickets", json=handoff_body(conversation(PAYMENT, conversation_id="conv-2"))
    )
    assert other.status == 201, await other.text()
    created = await client.post("/handoff/tickets", json=handoff_body(conversation(HUB)))
    assert created.status == 201, await created.text()
    ticket_id = (await created.json())["ticket_id"]
    for action, body in (("claim", {}), ("reply", {"text": "Try a reset"}), ("hand_back", {})):
        answer = await client.post(f"/agent/tickets/{ticket_id}/{action}", json=body, headers=priya)
        assert answer.status == 200, await answer.text()
        if action == "claim":
            desk = client.server.app[HANDOFF]
            text = "still amber"
            assert await append_customer_message(desk.store.tickets, "conv-1", text, now=desk.now())

    await until(lambda: len(receiver.of("webhook")) == 5 and len(receiver.of("zendesk")) == 5)

    assert receiver.problems == []
    webhook = receiver.of("webhook")
    assert [item.body["kind"] for item in webhook] == [
        "created",
        "assigned",
        "message",
        "message",
        "handed_back",
    ]
    assert {item.body["ticket"]["ticket_id"] for item in webhook} == {ticket_id}  # not billing's
    assert [
        item.body["message"]["speaker"] for item in webhook if item.body["kind"] == "message"
    ] == [
        "customer",
        "agent",
    ]
    assert receiver.of("zendesk")[-1].body["ticket"]["status"] == "solved"
    counted = 'support_helpdesk_deliveries_total{result="delivered",target="events-webhook"} 5.0'
    for _ in range(100):  # counted just after the receiver's answer
        if counted in await (await client.get("/metrics")).text():
            break
        await asyncio.sleep(0.02)
    assert counted in await (await client.get("/metrics")).text()


async def test_a_target_without_its_secret_stops_the_start_with_the_variable_name(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, redis_client, routing_file
) -> None:
    secrets = {k: v for k, v in SECRETS.items() if k != "HELPDESK_WEBHOOK_SECRET"}
    env = {"HANDOFF_ROUTING_FILE": str(routing_file), **secrets}
    settings = handoff_settings(redis_url, articles_dir, **env)
    with pytest.raises(MissingSecret, match="events-webhook: set HELPDESK_WEBHOOK_SECRET"):
        await start_app(aiohttp_client, settings, embedder, MovableClock())
