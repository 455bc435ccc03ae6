"""What one ticket write queues inside its MULTI: the record, every index derived from it (queue,
team, agent load, SLA timers, closed set, customer, conversation state), its live-feed entry, the
customer's outbox and whatever events the store was given to queue with each write (`QueueEvents`:
the help-desk sync's, helpdesk/enqueue.py, which the service passes in where it opens the store;
the store itself knows no help desk). Indexes are never written by hand: they follow from the
record before and after (handoff/store/tickets.py runs these inside WATCH/MULTI). Keys:
handoff/store/keys.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from handoff.lifecycle import Conflict
from handoff.routing.sla import queue_score
from handoff.store import keys as keys
from handoff.ticket_record import TicketRecord
from infra.clock import parse_time

OUTBOX_LENGTH = 1000
FEED_LENGTH = 10000  # approximate cap of handoff:feed (a live feed, not a history)


class AtCapacity(Conflict):
    """The agent already has as many open chats as they may."""


class QueueEvents(Protocol):
    """Queues on `pipe`, inside a ticket write's MULTI, the events that go with the write, from
    the record before (None for a new ticket) and after: stored with the write or not at all.
    The service passes the help-desk sync's (helpdesk/enqueue.py `queue_events`)."""

    def __call__(self, pipe: Any, old: TicketRecord | None, new: TicketRecord, /) -> None: ...


def no_events(pipe: Any, old: TicketRecord | None, new: TicketRecord, /) -> None:
    """Queue nothing besides the write: for a store whose writes no help desk is to hear of."""


def write(
    pipe: Any,
    old: TicketRecord | None,
    new: TicketRecord,
    *,
    owns_conversation: bool,
    queue_events: QueueEvents,
) -> None:
    """Queue the record, every index that follows from it and the write's events (inside
    MULTI). The conversation state follows the ticket only while it is the conversation's
    latest ticket."""
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
    queue_events(pipe, old, new)
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


async def check_capacity(pipe: Any, agent_id: str, limit: int) -> None:
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


def to_outbox(pipe: Any, conversation_id: str, event: Mapping[str, str]) -> None:
    pipe.xadd(keys.outbox(conversation_id), dict(event), maxlen=OUTBOX_LENGTH, approximate=True)
