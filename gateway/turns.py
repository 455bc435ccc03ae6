"""One conversation's messages, one at a time and in order, across every gateway replica.

python-socketio runs event handlers concurrently, and a customer's two sockets (two tabs, or a
reconnect after a replica died) may sit on different replicas; Rasa must still get their
messages one after another. A local asyncio lock queues the conversation's messages on this
replica in arrival order; a Redis lock (`gateway:lock:<conversation>`, renewed while held,
lapsing within seconds of its holder's death) makes the replicas take turns.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import redis.asyncio as redis

from infra.redis_client import held

HOLD_SECONDS = 6.0
"""How soon a dead replica's hold lapses (it is renewed every 2 s while the turn runs)."""


class ConversationTurns:
    def __init__(self, client: redis.Redis, wait_seconds: float) -> None:
        self._redis = client
        self._wait_seconds = wait_seconds
        self._local: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, conversation_id: str) -> AsyncIterator[None]:
        """Raises infra.redis_client.LockBusy after `wait_seconds` (another replica's turn
        never ended), RedisUnavailable when Redis fails."""
        async with self._local.setdefault(conversation_id, asyncio.Lock()):
            name = f"gateway:lock:{conversation_id}"
            wait = self._wait_seconds
            async with held(self._redis, name, hold_seconds=HOLD_SECONDS, wait_seconds=wait):
                yield

    def forget(self, conversation_id: str) -> None:
        """The conversation has no socket here any more: drop its local lock unless in use."""
        lock = self._local.get(conversation_id)
        if lock is not None and not lock.locked():
            del self._local[conversation_id]
