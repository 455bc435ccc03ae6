"""SLA arithmetic: due times, breaches, the re-escalation a breach causes, queue order, waits.

Pure: the caller passes `now`. The Redis layer keeps the timers (a sorted set scored by
`due_at`, members `breach_key(...)`), and the watchdog claims a breach by removing its member
(ZREM returns 1 exactly once), so a breach fires exactly once across restarts and replicas.

Clock (routing.yml `sla.clock`): with `business_hours` a due time counts only the open hours of
the owning team's schedule, so a chat escalated at 22:00 is due the next morning, and a queue
nobody works overnight does not breach (and re-escalate to supervisors who are also off) while
it is closed. `wall_clock` counts every minute, for a company staffed around the clock.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from handoff.routing.business_hours import Schedule
from handoff.routing.config import PRIORITIES, Priority, RoutingConfig, SlaSettings, raise_priority
from infra.clock import as_utc

SlaKind = Literal["first_response", "resolution"]
SLA_KINDS: tuple[SlaKind, ...] = ("first_response", "resolution")
PRIORITY_BAND_MS = 10**13
"""Width of one priority band in a queue score: epoch milliseconds stay below it until 2286."""


@dataclass(frozen=True)
class SlaDue:
    first_response_due: datetime
    resolution_due: datetime

    def due(self, kind: SlaKind) -> datetime:
        return self.first_response_due if kind == "first_response" else self.resolution_due


def deadline(
    start: datetime, duration: timedelta, settings: SlaSettings, schedule: Schedule
) -> datetime:
    """`start` + `duration` on the configured clock, in UTC."""
    if settings.clock == "business_hours":
        return schedule.add(start, duration)
    return as_utc(start) + duration


def due_times(
    start: datetime, priority: Priority, settings: SlaSettings, schedule: Schedule
) -> SlaDue:
    policy = settings.policies[priority]
    return SlaDue(
        first_response_due=deadline(start, policy.first_response, settings, schedule),
        resolution_due=deadline(start, policy.resolution, settings, schedule),
    )


@dataclass(frozen=True)
class TicketClock:
    """What the SLA watchdog needs to know about a ticket."""

    ticket_id: str
    team: str
    priority: Priority
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None


def breach_key(ticket_id: str, kind: SlaKind, due_at: datetime) -> str:
    """Idempotency key of one breach: the same ticket, SLA and due time fire only once."""
    stamp = as_utc(due_at).isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"{ticket_id}|{kind}|{stamp}"


@dataclass(frozen=True)
class Breach:
    ticket_id: str
    kind: SlaKind
    due_at: datetime

    @property
    def key(self) -> str:
        return breach_key(self.ticket_id, self.kind, self.due_at)


def breaches(ticket: TicketClock, now: datetime) -> tuple[Breach, ...]:
    """The SLAs this ticket has missed by `now` (an SLA that was met never breaches)."""
    found = []
    met = {"first_response": ticket.first_responded_at, "resolution": ticket.resolved_at}
    for kind in SLA_KINDS:
        due = ticket.first_response_due if kind == "first_response" else ticket.resolution_due
        done = met[kind] or ticket.resolved_at
        if done is None and as_utc(now) >= as_utc(due):
            found.append(Breach(ticket.ticket_id, kind, due))
    return tuple(found)


@dataclass(frozen=True)
class ReEscalation:
    """What a breach changes. `new_due` restarts the breached SLA (None: nothing more to do)."""

    breach: Breach
    from_team: str
    to_team: str
    from_priority: Priority
    to_priority: Priority
    new_due: datetime | None
    reasons: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.breach.key

    @property
    def changed(self) -> bool:
        return (self.from_team, self.from_priority) != (self.to_team, self.to_priority)


def re_escalate(
    ticket: TicketClock, breach: Breach, config: RoutingConfig, now: datetime
) -> ReEscalation:
    """The next tier for a breached ticket: team -> supervisors, priority one step up."""
    on = config.sla
    to_team, to_priority = ticket.team, ticket.priority
    late = _minutes(as_utc(now) - as_utc(breach.due_at))
    what = "first response" if breach.kind == "first_response" else "resolution"
    reasons = [f"SLA breach: {what} was due {_stamp(breach.due_at)} ({late} min late)"]
    if on.breach_to_supervisor and ticket.team != config.supervisor_team:
        to_team = config.supervisor_team
        reasons.append(f"moved from team {ticket.team} to {to_team}")
    if on.breach_raise_priority and ticket.priority != PRIORITIES[-1]:
        to_priority = raise_priority(ticket.priority)
        reasons.append(f"priority raised from {ticket.priority} to {to_priority}")
    new_due = None
    if (to_team, to_priority) != (ticket.team, ticket.priority):
        policy = on.policies[to_priority]
        duration = policy.first_response if breach.kind == "first_response" else policy.resolution
        new_due = deadline(now, duration, on, config.teams[to_team].schedule)
        reasons.append(f"new {what} due {_stamp(new_due)}")
    else:
        reasons.append("already at the top tier: nothing more to change")
    return ReEscalation(
        breach, ticket.team, to_team, ticket.priority, to_priority, new_due, tuple(reasons)
    )


def queue_score(priority: Priority, created_at: datetime) -> float:
    """Sorted-set score: lower pops first (ZPOPMIN) - urgent before low, then oldest first.

    Exact in a double: at most 3 x 10**13 + epoch milliseconds, far below 2**53.
    """
    band = len(PRIORITIES) - 1 - PRIORITIES.index(priority)
    millis = math.floor(as_utc(created_at).timestamp() * 1000)
    return float(band * PRIORITY_BAND_MS + millis)


@dataclass(frozen=True)
class WaitEstimate:
    expected: timedelta
    basis: Literal["handling_times", "sla"]

    def describe(self) -> str:
        """'less than a minute', 'about 4 minutes', 'about 1 hour 15 minutes'."""
        minutes = math.ceil(self.expected.total_seconds() / 60)
        if minutes <= 0:
            return "less than a minute"
        if minutes > 10:
            minutes = 5 * math.ceil(minutes / 5)
        hours, rest = divmod(minutes, 60)
        parts = [f"{hours} hour{'s' * (hours != 1)}"] if hours else []
        parts += [f"{rest} minute{'s' * (rest != 1)}"] if rest else []
        return "about " + " ".join(parts)


def estimate_wait(
    tickets_ahead: int,
    busy_slots: int,
    recent_handling_times: Sequence[timedelta],
    first_response: timedelta,
) -> WaitEstimate:
    """Expected wait of a queued ticket (all chat slots busy; a free slot means no wait).

    With `busy_slots` chats in progress, each lasting about the median recent handling time h,
    a slot frees every h / busy_slots on average, so the ticket with `tickets_ahead` tickets
    before it waits about (tickets_ahead + 1) x h / busy_slots. Without handling times or
    anyone serving, the SLA's first-response time is the honest answer.
    """
    if tickets_ahead < 0:
        raise ValueError("tickets_ahead must not be negative")
    if busy_slots <= 0 or not recent_handling_times:
        return WaitEstimate(first_response, "sla")
    handling = statistics.median(t.total_seconds() for t in recent_handling_times)
    seconds = (tickets_ahead + 1) * handling / busy_slots
    return WaitEstimate(timedelta(seconds=round(seconds)), "handling_times")


def _stamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _minutes(delta: timedelta) -> int:
    return max(0, math.floor(delta.total_seconds() / 60))
