"""infra.redis_client.held: one holder at a time across processes (here: clients), held as long
as the block runs, and lapsing soon after a holder dies. Real Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from gateway.turns import ConversationTurns
from infra.redis_client import LockBusy, connect, held


async def test_two_holders_take_turns_however_long_each_takes(redis_url: str) -> None:
    first, second = connect(redis_url), connect(redis_url)
    order: list[str] = []

    async def turn(client: redis.Redis, name: str) -> None:
        async with held(client, "test:lock:turns", hold_seconds=0.6, wait_seconds=5):
            order.append(f"{name} in")
            await asyncio.sleep(1.0)  # longer than the hold: renewed meanwhile
            order.append(f"{name} out")

    try:
        await asyncio.gather(turn(first, "a"), turn(second, "b"))
    finally:
        await first.aclose()
        await second.aclose()
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


async def test_a_dead_holders_lock_lapses_and_a_waiter_gives_up_clearly(
    redis_client: redis.Redis,
) -> None:
    # a holder that died: its lock is in Redis and nobody renews it
    await redis_client.set("test:lock:dead", "someone", px=800)
    with pytest.raises(LockBusy):
        async with held(redis_client, "test:lock:dead", hold_seconds=5, wait_seconds=0.2):
            pass
    async with held(redis_client, "test:lock:dead", hold_seconds=5, wait_seconds=2):
        assert await redis_client.get("test:lock:dead") not in (None, "someone")
    assert await redis_client.get("test:lock:dead") is None  # released


async def test_one_conversations_messages_take_turns_across_gateway_replicas(
    redis_url: str,
) -> None:
    replicas = [connect(redis_url), connect(redis_url)]
    turns = [ConversationTurns(client, wait_seconds=5) for client in replicas]
    inside = 0
    most = 0

    async def message(replica: int) -> None:
        nonlocal inside, most
        async with turns[replica].one_at_a_time("conv-1"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.05)
            inside -= 1

    try:
        await asyncio.gather(*(message(number % 2) for number in range(8)))
    finally:
        for client in replicas:
            await client.aclose()
    assert most == 1
