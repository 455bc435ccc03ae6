"""A gateway holding more conversations than a Redis connection pool's default (100): all of
them open the chat at once and get a session (none "unavailable"), and the team's messages
reach each customer once and in order, all read on one Redis connection. Real gateway, real
Redis, stand-in Rasa."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from tests.gateway.support import Widget, conversation_of, wait_for

CUSTOMERS = 150


@pytest.fixture
def settings_extra() -> dict[str, str]:
    return {"GATEWAY_SESSION_CREATE_BURST": str(CUSTOMERS + 10)}  # all from one test address


async def test_a_gateway_with_many_conversations_delivers_the_teams_messages_to_each_once(  # type: ignore[no-untyped-def]
    connect, redis_client: redis.Redis
) -> None:
    widgets: list[Widget] = [await connect() for _ in range(CUSTOMERS)]
    sessions = await asyncio.gather(*(widget.start_session() for widget in widgets))
    assert not [widget.errors for widget in widgets if widget.errors]  # none "unavailable"
    conversations = [await conversation_of(redis_client, session) for session in sessions]
    for number, conversation_id in enumerate(conversations):
        for text in (f"first for {number}", f"second for {number}"):
            await redis_client.xadd(
                f"handoff:outbox:{conversation_id}", {"type": "message", "text": text}
            )

    await wait_for(lambda: all(len(widget.bot) >= 2 for widget in widgets), timeout=20)
    await asyncio.sleep(0.5)  # time for a second copy, had one been sent
    for number, widget in enumerate(widgets):
        assert [m["text"] for m in widget.bot] == [f"first for {number}", f"second for {number}"]
    clients = await redis_client.client_list()
    assert len([c for c in clients if c.get("name") == "gateway-outbox"]) == 1
