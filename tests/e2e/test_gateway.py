"""A widget talking to the real stack through the public gateway (socket.io, Rasa's protocol)."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio as redis

from stack.supervisor import Stack
from tests.e2e.client import Widget
from tests.e2e.test_conversation import _listening_addresses

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]


async def test_a_widget_gets_the_assistants_answers_through_the_gateway(widget: Widget) -> None:
    replies = await widget.say("how long do I have to return something?")
    assert any("return" in str(reply.get("text", "")).lower() for reply in replies)


async def test_restart_typed_in_the_widget_reaches_rasa_as_plain_text(
    stack: Stack, widget: Widget
) -> None:
    await widget.say("hello")
    await widget.say("/restart", replies=0)  # the bot may or may not answer it
    conversation_id = await widget.conversation_id(stack)
    client = redis.Redis.from_url(stack.config.redis.url)
    try:
        for _ in range(600):
            events = json.loads(await client.get(f"tracker:{conversation_id}") or "{}").get(
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
