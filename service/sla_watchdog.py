"""The SLA watchdog: a background task that re-escalates breached tickets and purges old ones.

Every `SLA_WATCHDOG_INTERVAL` seconds it reads the due timers (handoff:sla:timers). A breach is
applied in the same Redis transaction that removes its timer (ZREM) and records its key on the
ticket, so it fires exactly once however many service replicas run, and none is lost when the
service stops between two ticks: the timer stays until a tick has applied it. The re-escalation
itself is sla.re_escalate (next tier, priority one step up, restarted SLA), written to the
status history with why. Every `HANDOFF_PURGE_INTERVAL` seconds it also purges tickets closed
longer ago than `HANDOFF_RETENTION_DAYS`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from handoff import lifecycle
from handoff.routing.sla import Breach, SlaKind, TicketClock, re_escalate
from handoff.ticket_record import RecordFormatError, TicketRecord
from infra.clock import parse_time
from service.desk import HandoffDesk
from service.watch_loop import every

log = logging.getLogger(__name__)


async def run(desk: HandoffDesk, interval: float, purge_interval: float) -> None:
    """Until cancelled: check timers every `interval`, purge every `purge_interval` seconds."""
    loop = asyncio.get_running_loop()
    next_purge = loop.time()

    async def step() -> None:
        nonlocal next_purge
        await check_timers(desk)
        if loop.time() >= next_purge:
            await purge(desk)
            next_purge = loop.time() + purge_interval

    await every(interval, step, "SLA watchdog")


async def check_timers(desk: HandoffDesk) -> int:
    """Apply every breach that is due now; returns how many this call applied."""
    now = desk.now()
    fired = 0
    for member in await desk.store.tickets.due_timers(now):
        try:
            fired += await _fire(desk, member, now)
        except RecordFormatError as error:  # one unreadable ticket must not block the others
            log.error("SLA watchdog: cannot apply %s: %s", member, error)
    return fired


async def purge(desk: HandoffDesk) -> int:
    purged = await desk.store.purge_closed(desk.now() - desk.retention)
    if purged:
        log.info("retention: purged %d tickets closed before the last %s", purged, desk.retention)
    return purged


async def _fire(desk: HandoffDesk, member: str, now: datetime) -> int:
    ticket_id = member.split("|", 1)[0]
    record = await desk.store.tickets.get(ticket_id)
    if record is None or member not in record.sla_timers():
        await desk.store.tickets.drop_timer(member)  # the ticket was closed, erased or changed
        return 0

    def breach(current: TicketRecord) -> TicketRecord:
        timers = current.sla_timers()
        if member not in timers:
            raise lifecycle.Conflict(f"timer {member} is no longer due")
        kind: SlaKind = "first_response" if "|first_response|" in member else "resolution"
        change = re_escalate(
            _clock(current), Breach(ticket_id, kind, timers[member]), desk.routing, now
        )
        return lifecycle.apply_breach(current, change, now=now)

    try:
        updated = await desk.store.tickets.update(ticket_id, breach)
    except (LookupError, lifecycle.Conflict):
        return 0  # another replica applied it, or the ticket changed meanwhile
    kind = member.split("|")[1]
    log.warning(
        "SLA breach on ticket %s (%s): now team %s, priority %s",
        ticket_id,
        kind,
        updated.team,
        updated.priority,
    )
    if desk.metrics is not None:
        desk.metrics.record_breach(kind, record.team)
    if updated.status == "waiting":
        await desk.place(updated, now, may_go_offline=False)
    return 1


def _clock(record: TicketRecord) -> TicketClock:
    routing = record.routing
    return TicketClock(
        ticket_id=record.ticket_id,
        team=record.team,
        priority=record.priority,
        first_response_due=parse_time(routing.first_response_due or record.ticket.created_at),
        resolution_due=parse_time(routing.resolution_due or record.ticket.created_at),
        first_responded_at=parse_time(record.first_response_at)
        if record.first_response_at
        else None,
        resolved_at=parse_time(record.closed_at) if record.closed_at else None,
    )
