"""Tickets in Redis: the records, queues, SLA timers, conversation state and outbox.

A small interface (`TicketStore`) and its Redis implementation; handoff/store/__init__.py opens it
with the other handoff stores. Keys: handoff/store/keys.py.

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
  ids, team, status, owner and counts only, never what anyone wrote (`feed_entry`).
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

from handoff.routing.sla import queue_score
from handoff.store import keys as keys
from handoff.store.base import AtCapacity, HandoffStoreError, await_reply, guard
from handoff.ticket.model import iso_utc
from handoff.ticket_record import TicketRecord, parse_time

OUTBOX_LENGTH = 1000
FEED_LENGTH = 10000  # approximate cap of handoff:feed (a live feed, not a history)
HANDLING_SAMPLES = 50
TRANSACTION_ATTEMPTS = 20
RESERVATION_SECONDS = 60  # a ticket is built and stored within seconds; pending_wait is 10
OPEN_STATES = ("waiting", "agent")  # conversation states in which a person has the chat
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
OutboxEvent = Callable[[TicketRecord], Mapping[str, str]]


class TicketStore(abc.ABC):
    @abc.abstractmethod
    async def reserve(
        self, conversation_id: str, escalation: str, ticket_id: str, now: datetime
    ) -> Reservation: ...

    @abc.abstractmethod
    async def release(self, conversation_id: str, escalation: str, ticket_id: str) -> bool: ...

    @abc.abstractmethod
    async def add(self, record: TicketRecord) -> None: ...

    @abc.abstractmethod
    async def get(self, ticket_id: str) -> TicketRecord | None: ...

    @abc.abstractmethod
    async def update(
        self,
        ticket_id: str,
        change: Change,
        *,
        capacity: tuple[str, int] | None = None,
        outbox: OutboxEvent | None = None,
    ) -> TicketRecord: ...

    @abc.abstractmethod
    async def conversation(self, conversation_id: str) -> dict[str, str]: ...

    @abc.abstractmethod
    async def queue_position(self, record: TicketRecord) -> int | None: ...


class RedisTicketStore(TicketStore):
    def __init__(self, client: redis.Redis, reservation_seconds: int = RESERVATION_SECONDS) -> None:
        self._redis = client
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
        """Forget a reservation whose ticket was never stored (its creation failed or its
        process died); False, and nothing changes, when the ticket exists after all."""
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
            _write(pipe, None, record, owns_conversation=True)
            await pipe.execute()

    async def get(self, ticket_id: str) -> TicketRecord | None:
        async with guard():
            fields = await await_reply(self._redis.hgetall(keys.ticket(ticket_id)))
        return TicketRecord.from_fields(fields) if fields else None

    async def many(self, ticket_ids: list[str]) -> list[TicketRecord]:
        """The records that still exist, in the order asked."""
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            for ticket_id in ticket_ids:
                pipe.hgetall(keys.ticket(ticket_id))
            rows = await pipe.execute()
        return [TicketRecord.from_fields(row) for row in rows if row]

    async def wait_for(self, ticket_id: str, timeout: float) -> TicketRecord | None:
        """A ticket another request is still creating (None if it does not appear in time)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            record = await self.get(ticket_id)
            if record is not None or asyncio.get_running_loop().time() > deadline:
                return record
            await asyncio.sleep(0.05)

    async def update(
        self,
        ticket_id: str,
        change: Change,
        *,
        capacity: tuple[str, int] | None = None,
        outbox: OutboxEvent | None = None,
    ) -> TicketRecord:
        """Apply a transition atomically; raises LookupError for an unknown ticket, and the
        transition's own errors (Conflict, NotAllowed, ...) or AtCapacity unchanged."""
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
                        await _check_capacity(pipe, *capacity)
                    pipe.multi()
                    _write(pipe, old, new, owns_conversation=current in (None, "", ticket_id))
                    if outbox is not None:
                        _outbox(pipe, new.conversation_id, outbox(new))
                    await pipe.execute()
                    return new
                except WatchError:
                    continue
        raise HandoffStoreError(f"ticket {ticket_id} kept changing; try again")

    async def _read_for_update(self, pipe: Any, ticket_id: str) -> TicketRecord:
        fields = await pipe.hgetall(keys.ticket(ticket_id))
        if not fields:
            raise LookupError(f"no ticket {ticket_id}")
        return TicketRecord.from_fields(fields)

    async def conversation(self, conversation_id: str) -> dict[str, str]:
        """The conversation's state (empty: the assistant has it). An open state whose ticket
        is gone, and is not being created, is removed here rather than kept forever."""
        async with guard():
            state = await await_reply(self._redis.hgetall(keys.conversation(conversation_id)))
            ticket_id = state.get("ticket_id")
            if state.get("state") not in OPEN_STATES or not ticket_id:
                return dict(state)
            names = [keys.conversation(conversation_id), keys.ticket(ticket_id)]
            flat = await self._conversation(keys=names)
        return dict(zip(flat[::2], flat[1::2], strict=True))

    async def queue_position(self, record: TicketRecord) -> int | None:
        """1 for the next ticket to be taken; None when the ticket is not waiting."""
        async with guard():
            rank = await await_reply(self._redis.zrank(keys.queue(record.team), record.ticket_id))
        return None if rank is None else int(rank) + 1

    async def queue(self, team: str, limit: int) -> tuple[int, list[str]]:
        """(how many wait, the first `limit` ticket ids in the order they will be taken)."""
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.zcard(keys.queue(team))
            pipe.zrange(keys.queue(team), 0, limit - 1)
            size, ticket_ids = await pipe.execute()
        return int(size), list(ticket_ids)

    async def team_ticket_ids(self, team: str, limit: int) -> list[str]:
        """The team's tickets, newest first."""
        async with guard():
            return list(await await_reply(self._redis.zrevrange(keys.team(team), 0, limit - 1)))

    async def due_timers(self, now: datetime, limit: int = 100) -> list[str]:
        async with guard():
            found = self._redis.zrangebyscore(keys.SLA_TIMERS, "-inf", now.timestamp(), 0, limit)
            return list(await await_reply(found))

    async def drop_timer(self, member: str) -> bool:
        """Remove a timer whose ticket no longer needs it; True when this call removed it."""
        async with guard():
            return bool(await await_reply(self._redis.zrem(keys.SLA_TIMERS, member)))

    async def outbox(self, conversation_id: str, after: str = "-") -> list[dict[str, str]]:
        """The agents' messages to the customer, oldest first (with their stream ids)."""
        async with guard():
            entries = await await_reply(self._redis.xrange(keys.outbox(conversation_id), min=after))
        return [{"id": entry_id, **fields} for entry_id, fields in entries]

    async def add_to_outbox(
        self, conversation_id: str, entries: Sequence[Mapping[str, str]]
    ) -> None:
        """Messages for the customer that are no ticket change (the assistant's answer after a
        hand-back), in order."""
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            for entry in entries:
                _outbox(pipe, conversation_id, entry)
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


def _write(
    pipe: Any, old: TicketRecord | None, new: TicketRecord, *, owns_conversation: bool
) -> None:
    """Queue the record and every index that follows from it (inside MULTI). The conversation
    state follows the ticket only while it is the conversation's latest ticket."""
    ticket_id, created = new.ticket_id, parse_time(new.ticket.created_at)
    pipe.hset(keys.ticket(ticket_id), mapping=new.to_fields())
    if old is not None and old.status == "waiting":
        pipe.zrem(keys.queue(old.team), ticket_id)
    if new.status == "waiting":
        pipe.zadd(keys.queue(new.team), {ticket_id: queue_score(new.priority, created)})
    if old is not None and old.team != new.team:
        pipe.zrem(keys.team(old.team), ticket_id)
    pipe.zadd(keys.team(new.team), {ticket_id: created.timestamp()})
    if old is not None and old.agent_id and (old.agent_id != new.agent_id or not new.is_open):
        pipe.srem(keys.agent_tickets(old.agent_id), ticket_id)
    if new.agent_id and new.is_open:
        pipe.sadd(keys.agent_tickets(new.agent_id), ticket_id)
    _write_timers(pipe, old, new)
    if new.closed_at and not new.is_open:
        pipe.zadd(keys.CLOSED, {ticket_id: parse_time(new.closed_at).timestamp()})
    if new.customer_id:
        pipe.sadd(keys.customer(new.customer_id), ticket_id)
    pipe.xadd(keys.FEED, feed_entry(old, new), maxlen=FEED_LENGTH, approximate=True)
    if not owns_conversation:
        return
    state = {
        "state": new.conversation_state,
        "ticket_id": ticket_id,
        "agent_id": new.agent_id or "",
        "updated_at": new.ticket.updated_at,
    }
    pipe.hset(keys.conversation(new.conversation_id), mapping=state)
    pipe.persist(keys.conversation(new.conversation_id))  # no longer a mere reservation
    if old is None:
        pipe.persist(keys.idempotency(new.conversation_id, new.idempotency_key))


def feed_entry(old: TicketRecord | None, new: TicketRecord) -> dict[str, str]:
    """What the live feed says about one write: who, where and how far, no customer text.
    `previous_team` and `previous_agent_id` are there only when they changed."""
    entry = {
        "kind": "created" if old is None else "updated",
        "ticket_id": new.ticket_id,
        "conversation_id": new.conversation_id,
        "team": new.team,
        "status": new.status,
        "agent_id": new.agent_id or "",
        "priority": new.priority,
        "transcript_length": str(len(new.ticket.transcript)),
    }
    if old is not None and old.team != new.team:
        entry["previous_team"] = old.team
    if old is not None and old.agent_id and old.agent_id != new.agent_id:
        entry["previous_agent_id"] = old.agent_id
    return entry


async def _check_capacity(pipe: Any, agent_id: str, limit: int) -> None:
    """Inside WATCH on the agent's open tickets: a chat more would exceed their capacity."""
    load = await pipe.scard(keys.agent_tickets(agent_id))
    if load >= limit:
        raise AtCapacity(f"{agent_id} already has {load} of {limit} open chats")


def _write_timers(pipe: Any, old: TicketRecord | None, new: TicketRecord) -> None:
    before = old.sla_timers() if old is not None else {}
    after = new.sla_timers()
    gone = [member for member in before if member not in after]
    if gone:
        pipe.zrem(keys.SLA_TIMERS, *gone)
    added = {member: due.timestamp() for member, due in after.items() if member not in before}
    if added:
        pipe.zadd(keys.SLA_TIMERS, added)


def _outbox(pipe: Any, conversation_id: str, event: Mapping[str, str]) -> None:
    pipe.xadd(keys.outbox(conversation_id), dict(event), maxlen=OUTBOX_LENGTH, approximate=True)
