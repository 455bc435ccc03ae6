"""The handoff's Redis store, opened once: tickets, agents and incidents on one connection.

Shaped like Rasa's own stores (rasa/core/lock_store.py, tracker_store.py): small interfaces
(`TicketStore`, `AgentStore`, `IncidentStore`) with one Redis implementation each, a `create`
factory that sets explicit socket timeouts, checks the connection and turns Redis problems into
`HandoffStoreError`, and keys under `handoff:` only (handoff/store/keys.py), apart from Rasa's
`tracker:` and `lock:` and the knowledge base's `kb:`. Retention and erasure
(handoff/store/retention.py) work across all of them.
"""

from __future__ import annotations

from datetime import datetime

import redis.asyncio as redis

from handoff.store import retention as privacy
from handoff.store.agents import RedisAgentStore
from handoff.store.base import AtCapacity, HandoffStoreError, guard
from handoff.store.incidents import RedisIncidentStore
from handoff.store.tickets import RedisTicketStore, Reservation

__all__ = ["AtCapacity", "HandoffStore", "HandoffStoreError", "Reservation", "create"]


class HandoffStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self.tickets = RedisTicketStore(client)
        self.agents = RedisAgentStore(client)
        self.incidents = RedisIncidentStore(client)

    async def purge_closed(self, closed_before: datetime) -> int:
        """Retention: delete tickets closed before the given time; returns how many."""
        return await privacy.purge_closed(self._redis, closed_before)

    async def erase_customer(self, customer_id: str) -> int:
        """Erasure: remove every handoff key of this customer; returns how many tickets."""
        return await privacy.erase_customer(self._redis, customer_id)

    async def ping(self) -> None:
        async with guard():
            await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


async def create(redis_url: str, timeout_seconds: float = 2.0) -> HandoffStore:
    """Connect to Redis and check it answers; raise HandoffStoreError when it does not."""
    client = redis.Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=30,
    )
    store = HandoffStore(client)
    try:
        await store.ping()
    except HandoffStoreError:
        await client.aclose()
        raise
    return store
