"""Retention and erasure: closed tickets go after the retention period, and one customer's
handoff data goes entirely on request.

Both work from indexes, never KEYS/SCAN: `handoff:closed` (closed tickets by closing time) for
retention, `handoff:customer:{id}` (a verified customer's ticket ids) for erasure. Deleting a
ticket removes its hash, idempotency key, incident-detection record, index entries, timers,
its messages in the conversation's outbox, and the conversation state while it points at the
ticket; erasing a customer also removes their conversations' state and outboxes whole, and
takes their tickets and first requests out of incident records. Each ticket is deleted inside
WATCH/MULTI, so a concurrent change cannot write it back. Afterwards their entries in the live
feed (`handoff:feed`: ids and statuses, no text) go too, in one pass over the capped stream, and
so does whatever the caller keeps of them elsewhere (`forget`, a `ForgetTickets`: the service
passes the help-desk sync's, helpdesk/forget.py, for its events not yet delivered, dead letters
and desk ids; the store itself knows no help desk).

For a whole-customer erasure (service/desk/privacy.py) `erase_conversations` also takes each
of the customer's conversations (from the privacy index, handoff/privacy/customer_index.py):
the ticket its state points at (an anonymous customer's, which `handoff:customer:{id}` does not
list), its state and its outbox. `tickets_held` reads the same tickets for an access request.
Every function is idempotent: what is gone already counts as nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

import redis.asyncio as redis
from redis.exceptions import WatchError

from handoff.routing.incidents import Incident
from handoff.store import keys as keys
from handoff.store.incidents import incident_from_json, incident_to_json, without_ticket
from handoff.ticket_record import TicketRecord
from infra.redis_client import RedisUnavailable, await_reply, guard

PURGE_BATCH = 500
FEED_PAGE = 1000
ATTEMPTS = 20


class ForgetTickets(Protocol):
    """Deletes what is kept of these deleted tickets outside the handoff's keys (inside infra's
    `guard`). The service passes the help-desk sync's (helpdesk/forget.py `forget_tickets`)."""

    async def __call__(self, client: redis.Redis, ticket_ids: Collection[str], /) -> None: ...


async def forget_nothing(client: redis.Redis, ticket_ids: Collection[str], /) -> None:
    """Nothing kept elsewhere: for a store whose tickets no help desk hears of."""


async def purge_closed(
    client: redis.Redis, closed_before: datetime, forget: ForgetTickets = forget_nothing
) -> int:
    """Delete tickets closed before `closed_before`; returns how many went."""
    purged = 0
    async with guard():
        while True:
            found = client.zrangebyscore(
                keys.CLOSED, "-inf", closed_before.timestamp(), 0, PURGE_BATCH
            )
            ticket_ids: list[str] = await await_reply(found)
            for ticket_id in ticket_ids:
                purged += await _delete_ticket(client, ticket_id, whole_conversation=False)
                await client.zrem(keys.CLOSED, ticket_id)
            await _forget_in_feed(client, set(ticket_ids), forget)
            if len(ticket_ids) < PURGE_BATCH:
                return purged


async def erase_customer(
    client: redis.Redis, customer_id: str, forget: ForgetTickets = forget_nothing
) -> int:
    """Remove every handoff key of a verified customer; returns how many tickets went."""
    index = keys.customer(customer_id)
    erased = 0
    async with guard():
        ticket_ids: set[str] = await await_reply(client.smembers(index))
        for ticket_id in sorted(ticket_ids):
            erased += await _delete_ticket(client, ticket_id, whole_conversation=True)
        await _forget_in_feed(client, ticket_ids, forget)
        await client.delete(index)
    return erased


async def erase_conversations(
    client: redis.Redis,
    conversation_ids: Collection[str],
    forget: ForgetTickets = forget_nothing,
) -> int:
    """Remove the conversations' handoff state, outboxes and the tickets their state points at;
    returns how many tickets went."""
    erased: set[str] = set()
    async with guard():
        for conversation_id in sorted(conversation_ids):
            ticket_id = await await_reply(
                client.hget(keys.conversation(conversation_id), "ticket_id")
            )
            if ticket_id and await _delete_ticket(client, ticket_id, whole_conversation=True):
                erased.add(ticket_id)
            await client.delete(keys.conversation(conversation_id), keys.outbox(conversation_id))
        await _forget_in_feed(client, erased, forget)
    return len(erased)


async def tickets_held(
    client: redis.Redis, customer_id: str | None, conversation_ids: Collection[str]
) -> list[dict[str, Any]]:
    """The stored tickets (JSON, masked as stored) of a verified customer and of the tickets
    the conversations' states point at, oldest first."""
    async with guard():
        ticket_ids: set[str] = set()
        if customer_id:
            ticket_ids |= set(await await_reply(client.smembers(keys.customer(customer_id))))
        for conversation_id in conversation_ids:
            current = await await_reply(
                client.hget(keys.conversation(conversation_id), "ticket_id")
            )
            if current:
                ticket_ids.add(current)
        tickets = []
        for ticket_id in sorted(ticket_ids):
            stored = await await_reply(client.hget(keys.ticket(ticket_id), "ticket"))
            if stored:
                tickets.append(json.loads(stored))
    return sorted(tickets, key=lambda ticket: str(ticket.get("created_at", "")))


async def _delete_ticket(client: redis.Redis, ticket_id: str, *, whole_conversation: bool) -> int:
    for _ in range(ATTEMPTS):
        pipe: Any
        async with client.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(keys.ticket(ticket_id))
                fields = await pipe.hgetall(keys.ticket(ticket_id))
                if not fields:
                    pipe.multi()
                    _forget_indexes(pipe, ticket_id)
                    await pipe.execute()
                    return 0
                record = TicketRecord.from_fields(fields)
                conversation = keys.conversation(record.conversation_id)
                await pipe.watch(conversation)
                current = await pipe.hget(conversation, "ticket_id")
                outbox_ids = await _outbox_entries(pipe, record, whole_conversation)
                incident = await _incident_without(pipe, record)
                pipe.multi()
                _delete_record(pipe, record, owns_conversation=current == ticket_id)
                if whole_conversation:
                    pipe.delete(conversation, keys.outbox(record.conversation_id))
                elif outbox_ids:
                    pipe.xdel(keys.outbox(record.conversation_id), *outbox_ids)
                if incident is not None:
                    _save_incident(pipe, incident)
                await pipe.execute()
                return 1
            except WatchError:
                continue
    raise RedisUnavailable(f"ticket {ticket_id} kept changing while it was being deleted")


async def _forget_in_feed(client: redis.Redis, ticket_ids: set[str], forget: ForgetTickets) -> None:
    """Delete the feed entries of deleted tickets, and what `forget` deletes of them (the
    help-desk sync's, helpdesk/forget.py). They cannot get new ones (their hash is gone, so every
    transition on them fails), so one pass after the deletions is enough."""
    if not ticket_ids:
        return
    await forget(client, ticket_ids)
    start = "-"
    while True:
        entries: list[tuple[str, dict[str, str]]] = await await_reply(
            client.xrange(keys.FEED, min=start, count=FEED_PAGE)
        )
        doomed = [entry_id for entry_id, fields in entries if fields.get("ticket_id") in ticket_ids]
        if doomed:
            await client.xdel(keys.FEED, *doomed)
        if len(entries) < FEED_PAGE:
            return
        start = "(" + entries[-1][0]


def _delete_record(pipe: Any, record: TicketRecord, *, owns_conversation: bool) -> None:
    ticket_id = record.ticket_id
    pipe.delete(keys.ticket(ticket_id))
    pipe.delete(keys.idempotency(record.conversation_id, record.idempotency_key))
    _forget_indexes(pipe, ticket_id)
    pipe.zrem(keys.queue(record.team), ticket_id)
    pipe.zrem(keys.team(record.team), ticket_id)
    if record.agent_id:
        pipe.srem(keys.agent_tickets(record.agent_id), ticket_id)
    timers = list(record.sla_timers())
    if timers:
        pipe.zrem(keys.SLA_TIMERS, *timers)
    if record.customer_id:
        pipe.srem(keys.customer(record.customer_id), ticket_id)
    if owns_conversation:
        pipe.delete(keys.conversation(record.conversation_id))


def _forget_indexes(pipe: Any, ticket_id: str) -> None:
    pipe.delete(keys.escalation(ticket_id))
    pipe.zrem(keys.ESCALATIONS, ticket_id)
    pipe.zrem(keys.CLOSED, ticket_id)


async def _outbox_entries(pipe: Any, record: TicketRecord, whole_conversation: bool) -> list[str]:
    """Ids of this ticket's messages in the conversation's outbox (its other tickets stay)."""
    if whole_conversation:
        return []
    entries = await pipe.xrange(keys.outbox(record.conversation_id))
    return [entry_id for entry_id, fields in entries if fields.get("ticket_id") == record.ticket_id]


async def _incident_without(pipe: Any, record: TicketRecord) -> Incident | None:
    """The ticket's incident with the ticket taken out (None when it has none)."""
    incident_id = record.routing.incident_id
    if not incident_id:
        return None
    await pipe.watch(keys.incident(incident_id))
    raw = await pipe.get(keys.incident(incident_id))
    if not raw:
        return None
    incident = incident_from_json(json.loads(raw))
    return without_ticket(incident, record.ticket_id, record.customer_key)


def _save_incident(pipe: Any, incident: Incident) -> None:
    key = keys.incident(incident.incident_id)
    if incident.ticket_ids:
        pipe.set(key, json.dumps(incident_to_json(incident), ensure_ascii=False), keepttl=True)
    else:
        pipe.delete(key)
        pipe.zrem(keys.OPEN_INCIDENTS, incident.incident_id)
