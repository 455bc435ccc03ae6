"""Tickets in Redis: the records, queues, SLA timers, conversation state and outbox.

`TicketStore` is the whole contract: every caller types against it, so a second implementation
or a fake for a test is a drop-in. `RedisTicketStore` implements it; handoff/store/__init__.py
opens it with the other handoff stores. What one write queues (the record, its indexes, the
feed entry): handoff/store/ticket_writes.py. Keys: handoff/store/keys.py.

Consistency rules:
- One ticket per escalation, and one open ticket per conversation: `reserve` is a Lua script
  that returns the existing ticket id or sets the idempotency key and the conversation state
  in one step, so retries, double clicks and concurrent requests all get the same ticket.
- A reservation expires: both keys get a TTL (`RESERVATION_SECONDS`) that the ticket's first
  write removes. If the process or Redis fails between the two steps (and the clean-up fails
  too), the conversation goes back to the assistant by itself instead of "waiting" forever
  for a ticket that does not exist; `conversation` also reconciles an open state whose ticket
  is gone and is no pending reservation.
- Every change to a ticket is a pure transition (handoff/lifecycle.py) run inside WATCH/MULTI
  on the ticket's hash; the indexes (queue, team, agent load, SLA timers, closed set,
  conversation state) are derived from the record before and after, in the same transaction.
  Two agents claiming one ticket: one EXEC wins, the other retries and gets `Conflict`.
- An SLA timer is removed (ZREM) in the same transaction that records its breach on the ticket,
  so a breach is never lost by a crash and never fires twice, across restarts and replicas.
- Every write also adds one entry to the live feed (`handoff:feed`, a capped stream) in the same
  MULTI, so the agent console hears of each change exactly when it is stored. Feed entries carry
  ids, team, status, owner and counts only, never what anyone wrote (`ticket_writes.feed_entry`).

Every method raises `RedisUnavailable` (infra/redis_client.py) when Redis cannot do it.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as redis
from redis.exceptions import WatchError

from handoff.store import keys as keys
from handoff.store.ticket_writes import (
    FEED_LENGTH,
    AtCapacity,
    QueueEvents,
    check_capacity,
    feed_entry,
    no_events,
    to_outbox,
    write,
)
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import WITH_PEOPLE
from infra.clock import iso_utc
from infra.redis_client import RedisUnavailable, await_reply, guard

__all__ = ["AtCapacity", "Change", "OutboxEvent", "RedisTicketStore", "Reservation", "TicketStore"]

HANDLING_SAMPLES = 50
TRANSACTION_ATTEMPTS = 20
RESERVATION_SECONDS = 60  # a ticket is built and stored within seconds; pending_wait is 10
# KEYS: idempotency, conversation; ARGV: ticket id, now, reservation seconds. The scripts name
# the open states of handoff.vocabulary.WITH_PEOPLE; a new reservation is "waiting".
RESERVE = """
local existing = redis.call('GET', KEYS[1])
if existing then return {existing, 'same'} end
local state = redis.call('HGET', KEYS[2], 'state')
if state == 'waiting' or state == 'agent' then
  return {redis.call('HGET', KEYS[2], 'ticket_id'), 'open'}
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('HSET', KEYS[2], 'state', 'waiting', 'ticket_id', ARGV[1], 'agent_id', '',
  'updated_at', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {ARGV[1], 'new'}
"""
# KEYS: conversation, ticket (of the conversation's ticket_id). The state, or nothing when it
# points at a ticket that does not exist and is no pending reservation (no TTL): then it is
# removed, and the conversation is the assistant's again.
CONVERSATION = """
local fields = redis.call('HGETALL', KEYS[1])
local state = redis.call('HGET', KEYS[1], 'state')
if (state == 'waiting' or state == 'agent') and redis.call('EXISTS', KEYS[2]) == 0
    and redis.call('TTL', KEYS[1]) == -1 then
  redis.call('DEL', KEYS[1])
  return {}
end
return fields
"""
# KEYS: idempotency, conversation, ticket; ARGV: ticket id.
RELEASE = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('HGET', KEYS[2], 'ticket_id') == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
"""


@dataclass(frozen=True)
class Reservation:
    ticket_id: str
    created: bool
    """False: this escalation, or another open one of the conversation, already has a ticket."""


Change = Callable[[TicketRecord], TicketRecord]
"""A pure transition of one ticket (handoff/lifecycle.py)."""
OutboxEvent = Callable[[TicketRecord], Mapping[str, str]]
"""What the customer is told of a transition, from the record after it."""


class TicketStore(abc.ABC):
    """Tickets and what follows from them: queues, team lists, SLA timers, the conversation
    state, the customer's outbox and the team's handling times."""

    @abc.abstractmethod
    async def reserve(
        self, conversation_id: str, escalation: str, ticket_id: str, now: datetime
    ) -> Reservation:
        """Claim `ticket_id` for this escalation of the conversation and set the conversation
        "waiting", or get the ticket this escalation (or another open one) already has."""

    @abc.abstractmethod
    async def release(self, conversation_id: str, escalation: str, ticket_id: str) -> bool:
        """Forget a reservation whose ticket was never stored (its creation failed or its
        process died); False, and nothing changes, when the ticket exists after all."""

    @abc.abstractmethod
    async def add(self, record: TicketRecord) -> None:
        """Store a new ticket with every index, and make it the conversation's ticket."""

    @abc.abstractmethod
    async def announce(self, ticket_id: str) -> None:
        """A feed entry for something beside the record that changed (an emailed reply's
        delivery state), so consoles showing the ticket draw it again; nothing when the
        ticket is gone."""

    @abc.abstractmethod
    async def get(self, ticket_id: str) -> TicketRecord | None:
        """The ticket, or None when there is none by that id."""

    @abc.abstractmethod
    async def many(self, ticket_ids: list[str]) -> list[TicketRecord]:
        """The records that still exist, in the order asked."""

    async def wait_for(self, ticket_id: str, timeout: float) -> TicketRecord | None:
        """A ticket another request is still creating (None if it does not appear in time)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            record = await self.get(ticket_id)
            if record is not None or asyncio.get_running_loop().time() > deadline:
                return record
            await asyncio.sleep(0.05)

    @abc.abstractmethod
    async def update(
        self,
        ticket_id: str,
        change: Change,
        *,
        capacity: tuple[str, int] | None = None,
        outbox: OutboxEvent | None = None,
    ) -> TicketRecord:
        """Apply a transition atomically, with its indexes and (`outbox`) what the customer is
        told; `capacity` (agent id, limit): refuse with AtCapacity when the agent's open chats
        would exceed it. Raises LookupError for an unknown ticket, and the transition's own
        errors (Conflict, NotAllowed, ...) unchanged."""

    @abc.abstractmethod
    async def conversation(self, conversation_id: str) -> dict[str, str]:
        """The conversation's state: `state`, `ticket_id`, `agent_id`, `updated_at` (empty: the
        assistant has it). An open state whose ticket is gone, and is not being created, is
        removed here rather than kept forever."""

    @abc.abstractmethod
    async def queue_position(self, record: TicketRecord) -> int | None:
        """1 for the next ticket to be taken; None when the ticket is not waiting."""

    @abc.abstractmethod
    async def queue(self, team: str, limit: int) -> tuple[int, list[str]]:
        """(how many wait, the first `limit` ticket ids in the order they will be taken)."""

    @abc.abstractmethod
    async def queue_heads(self, teams: Sequence[str], limit: int) -> list[str]:
        """The first `limit` waiting tickets of several teams together, in the order they will
        be taken (priority, then age: queue scores compare across teams)."""

    @abc.abstractmethod
    async def team_ticket_ids(self, team: str, limit: int) -> list[str]:
        """The team's tickets, newest first."""

    @abc.abstractmethod
    async def due_timers(self, now: datetime, limit: int = 100) -> list[str]:
        """SLA timers (`sla.breach_key` members) due by `now`, earliest first."""

    @abc.abstractmethod
    async def drop_timer(self, member: str) -> bool:
        """Remove a timer whose ticket no longer needs it; True when this call removed it."""

    @abc.abstractmethod
    async def add_to_outbox(
        self, conversation_id: str, entries: Sequence[Mapping[str, str]]
    ) -> None:
        """Messages for the customer that are no ticket change (the assistant's answer after a
        hand-back), in order."""

    @abc.abstractmethod
    async def record_handling_time(self, team: str, seconds: float) -> None:
        """Remember how long a chat of the team took (the last `HANDLING_SAMPLES` are kept)."""

    @abc.abstractmethod
    async def handling_times(self, team: str) -> list[timedelta]:
        """The team's recent handling times, newest first (for the expected wait)."""


class RedisTicketStore(TicketStore):
    """`queue_events` is given every write to queue its events in the write's MULTI (the
    service passes the help-desk sync's; the default queues none)."""

    def __init__(
        self,
        client: redis.Redis,
        reservation_seconds: int = RESERVATION_SECONDS,
        *,
        queue_events: QueueEvents = no_events,
    ) -> None:
        self._redis = client
        self._queue_events = queue_events
        self._reservation_seconds = reservation_seconds
        self._reserve = client.register_script(RESERVE)
        self._release = client.register_script(RELEASE)
        self._conversation = client.register_script(CONVERSATION)

    async def reserve(
        self, conversation_id: str, escalation: str, ticket_id: str, now: datetime
    ) -> Reservation:
        names = [keys.idempotency(conversation_id, escalation), keys.conversation(conversation_id)]
        async with guard():
            found, how = await self._reserve(
                keys=names, args=[ticket_id, iso_utc(now), self._reservation_seconds]
            )
        return Reservation(found, how == "new")

    async def release(self, conversation_id: str, escalation: str, ticket_id: str) -> bool:
        names = [
            keys.idempotency(conversation_id, escalation),
            keys.conversation(conversation_id),
            keys.ticket(ticket_id),
        ]
        async with guard():
            return bool(await self._release(keys=names, args=[ticket_id]))

    async def add(self, record: TicketRecord) -> None:
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            write(pipe, None, record, owns_conversation=True, queue_events=self._queue_events)
            await pipe.execute()

    async def announce(self, ticket_id: str) -> None:
        record = await self.get(ticket_id)
        if record is not None:
            entry: Any = feed_entry(record, record)
            async with guard():
                await self._redis.xadd(keys.FEED, entry, maxlen=FEED_LENGTH, approximate=True)

    async def get(self, ticket_id: str) -> TicketRecord | None:
        async with guard():
            fields = await await_reply(self._redis.hgetall(keys.ticket(ticket_id)))
        return TicketRecord.from_fields(fields) if fields else None

    async def many(self, ticket_ids: list[str]) -> list[TicketRecord]:
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            for ticket_id in ticket_ids:
                pipe.hgetall(keys.ticket(ticket_id))
            rows = await pipe.execute()
        return [TicketRecord.from_fields(row) for row in rows if row]

    async def update(
        self,
        ticket_id: str,
        change: Change,
        *,
        capacity: tuple[str, int] | None = None,
        outbox: OutboxEvent | None = None,
    ) -> TicketRecord:
        watched = [keys.ticket(ticket_id)]
        if capacity is not None:
            watched.append(keys.agent_tickets(capacity[0]))
        for _ in range(TRANSACTION_ATTEMPTS):
            async with guard(), self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(*watched)
                    old = await self._read_for_update(pipe, ticket_id)
                    conversation_key = keys.conversation(old.conversation_id)
                    await pipe.watch(conversation_key)
                    current = await pipe.hget(conversation_key, "ticket_id")
                    new = change(old)
                    if capacity is not None:
                        await check_capacity(pipe, *capacity)
                    pipe.multi()
                    owns = current in (None, "", ticket_id)
                    write(pipe, old, new, owns_conversation=owns, queue_events=self._queue_events)
                    if outbox is not None:
                        to_outbox(pipe, new.conversation_id, outbox(new))
                    await pipe.execute()
                    return new
                except WatchError:
                    continue
        raise RedisUnavailable(f"ticket {ticket_id} kept changing; try again")

    async def _read_for_update(self, pipe: Any, ticket_id: str) -> TicketRecord:
        fields = await pipe.hgetall(keys.ticket(ticket_id))
        if not fields:
            raise LookupError(f"no ticket {ticket_id}")
        return TicketRecord.from_fields(fields)

    async def conversation(self, conversation_id: str) -> dict[str, str]:
        async with guard():
            state = await await_reply(self._redis.hgetall(keys.conversation(conversation_id)))
            ticket_id = state.get("ticket_id")
            if state.get("state") not in WITH_PEOPLE or not ticket_id:
                return dict(state)
            names = [keys.conversation(conversation_id), keys.ticket(ticket_id)]
            flat = await self._conversation(keys=names)
        return dict(zip(flat[::2], flat[1::2], strict=True))

    async def queue_position(self, record: TicketRecord) -> int | None:
        async with guard():
            rank = await await_reply(self._redis.zrank(keys.queue(record.team), record.ticket_id))
        return None if rank is None else int(rank) + 1

    async def queue(self, team: str, limit: int) -> tuple[int, list[str]]:
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.zcard(keys.queue(team))
            pipe.zrange(keys.queue(team), 0, limit - 1)
            size, ticket_ids = await pipe.execute()
        return int(size), list(ticket_ids)

    async def queue_heads(self, teams: Sequence[str], limit: int) -> list[str]:
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            for team in teams:
                pipe.zrange(keys.queue(team), 0, limit - 1, withscores=True)
            rows = await pipe.execute()
        heads = sorted((score, ticket_id) for row in rows for ticket_id, score in row)
        return [ticket_id for _, ticket_id in heads[:limit]]

    async def team_ticket_ids(self, team: str, limit: int) -> list[str]:
        async with guard():
            return list(await await_reply(self._redis.zrevrange(keys.team(team), 0, limit - 1)))

    async def due_timers(self, now: datetime, limit: int = 100) -> list[str]:
        async with guard():
            found = self._redis.zrangebyscore(keys.SLA_TIMERS, "-inf", now.timestamp(), 0, limit)
            return list(await await_reply(found))

    async def drop_timer(self, member: str) -> bool:
        async with guard():
            return bool(await await_reply(self._redis.zrem(keys.SLA_TIMERS, member)))

    async def add_to_outbox(
        self, conversation_id: str, entries: Sequence[Mapping[str, str]]
    ) -> None:
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            for entry in entries:
                to_outbox(pipe, conversation_id, entry)
            await pipe.execute()

    async def record_handling_time(self, team: str, seconds: float) -> None:
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.lpush(keys.handling_times(team), round(seconds, 1))
            pipe.ltrim(keys.handling_times(team), 0, HANDLING_SAMPLES - 1)
            await pipe.execute()

    async def handling_times(self, team: str) -> list[timedelta]:
        async with guard():
            values = await await_reply(self._redis.lrange(keys.handling_times(team), 0, -1))
        return [timedelta(seconds=float(value)) for value in values]
