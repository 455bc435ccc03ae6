"""A conversation's gateway keys and its session record go on an erasure request, found
through the conversation (the session id itself is never stored), and sessions expire."""

from __future__ import annotations

import redis.asyncio as redis

from gateway.sessions import (
    GatewayStore,
    erase_conversation,
    session_issued_at,
    session_key,
)

TTL = 600


async def test_erasing_a_conversation_removes_its_session_and_keys(
    redis_client: redis.Redis,
) -> None:
    store = GatewayStore(redis_client, TTL)
    session = await store.issue()
    other = await store.issue()
    conversation = session.conversation_id
    await store.set_offered(conversation, ["/affirm"])
    await store.set_outbox_cursor(conversation, "5-0")
    assert await session_issued_at(redis_client, conversation) is not None

    assert await erase_conversation(redis_client, conversation) == 3

    assert await store.conversation_id(session.session_id) is None  # a new session next time
    assert await store.offered(conversation) == set()
    assert await store.outbox_cursor(conversation) == "0-0"
    assert await session_issued_at(redis_client, conversation) is None
    assert await store.conversation_id(other.session_id) == other.conversation_id
    assert await erase_conversation(redis_client, conversation) == 0  # idempotent


async def test_the_session_record_and_its_pointer_expire_with_the_session(
    redis_client: redis.Redis,
) -> None:
    session = await GatewayStore(redis_client, TTL).issue()
    pointer = f"gateway:conversation:{session.conversation_id}"
    assert 0 < await redis_client.ttl(session_key(session.session_id)) <= TTL
    assert 0 < await redis_client.ttl(pointer) <= TTL
    assert session.session_id not in str(await redis_client.hgetall(pointer))
