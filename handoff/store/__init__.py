"""The handoff's Redis store, opened once: tickets, agents and incidents on one connection.

Shaped like Rasa's own stores (rasa/core/lock_store.py, tracker_store.py): small interfaces
(`TicketStore`, `AgentStore`, `IncidentStore`), each the whole contract its callers type
against, with one Redis implementation each; a `create` factory that opens the connection with
infra/redis_client.py (explicit socket timeouts) and checks it answers; every Redis problem
raised as `RedisUnavailable`; keys under `handoff:` only (handoff/store/keys.py), apart from
Rasa's `tracker:` and `lock:` and the knowledge base's `kb:`. Retention and erasure
(handoff/store/retention.py) work across all of them. The gateway reaches the handoff through
its own narrow port instead (handoff/store/conversations.py).
"""

from __future__ import annotations

from datetime import datetime

import redis.asyncio as redis

from handoff.store import retention
from handoff.store.agents import AgentStore, RedisAgentStore
from handoff.store.incidents import IncidentStore, RedisIncidentStore
from handoff.store.retention import ForgetTickets, forget_nothing
from handoff.store.ticket_writes import QueueEvents, no_events
from handoff.store.tickets import (
    AtCapacity,
    OutboxEvent,
    RedisTicketStore,
    Reservation,
    TicketStore,
)
from infra import redis_client
from infra.redis_client import RedisUnavailable

__all__ = [
    "AgentStore",
    "AtCapacity",
    "ForgetTickets",
    "HandoffStore",
    "IncidentStore",
    "OutboxEvent",
    "QueueEvents",
    "RedisUnavailable",
    "Reservation",
    "TicketStore",
    "create",
    "forget_nothing",
    "no_events",
]


class HandoffStore(redis_client.OnOneConnection):
    """`queue_events` queues each ticket write's events in the write's MULTI, `forget_tickets`
    deletes what is kept of deleted tickets elsewhere (the service passes the help-desk sync's,
    helpdesk/enqueue.py and helpdesk/forget.py; the defaults queue and delete nothing)."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        queue_events: QueueEvents = no_events,
        forget_tickets: ForgetTickets = forget_nothing,
    ) -> None:
        super().__init__(client)
        self._forget = forget_tickets
        self.tickets: TicketStore = RedisTicketStore(client, queue_events=queue_events)
        self.agents: AgentStore = RedisAgentStore(client)
        self.incidents: IncidentStore = RedisIncidentStore(client)

    async def purge_closed(self, closed_before: datetime) -> int:
        """Retention: delete tickets closed before the given time; returns how many."""
        return await retention.purge_closed(self._redis, closed_before, self._forget)

    async def erase_customer(self, customer_id: str) -> int:
        """Erasure: remove every handoff key of this customer; returns how many tickets."""
        return await retention.erase_customer(self._redis, customer_id, self._forget)


async def create(
    redis_url: str,
    timeout_seconds: float = redis_client.TIMEOUT_SECONDS,
    *,
    queue_events: QueueEvents = no_events,
    forget_tickets: ForgetTickets = forget_nothing,
) -> HandoffStore:
    """Connect to Redis and check it answers; raise RedisUnavailable when it does not. Each
    ticket write also queues what `queue_events` queues, and deleted tickets are also forgotten
    by `forget_tickets` (the service: the help-desk sync's)."""
    client = await redis_client.connect_checked(redis_url, timeout_seconds=timeout_seconds)
    return HandoffStore(client, queue_events=queue_events, forget_tickets=forget_tickets)
