"""Assignment: which agent gets a routed ticket, or whether it waits, or the team is away.

Pure: the caller passes the agents (skills = team ids, presence, capacity, current load) as it
keeps them (in Redis) and `now`.

- `choose_agent`: the least-loaded online agent with the skill and a free chat slot. Load is
  the share of capacity in use (2 of 4 chats is less loaded than 2 of 3), then the number of
  chats; ties go to the agent idle longest (never assigned counts as idle longest), then to
  the agent id, so the choice is stable. Away, offline and full agents are skipped.
- `plan_handoff`: assign now, wait in the team queue (the team is open and someone with the
  skill is online, but every one of them is busy), or offline: the team is closed or nobody
  with the skill is online. Offline is said honestly, with a follow-up promise at the time the
  first-response SLA would fall due counting only open hours ("by 8:30 AM ET tomorrow").
- `absent_too_long`: assignment follows the agents - an agent away or offline for longer than
  the grace period no longer holds a chat whose customer waits for their reply (the caller
  requeues it; docs/handoff.md, "Assignment that follows the agents").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from handoff.routing.business_hours import Schedule
from handoff.routing.config import Priority, RoutingConfig

Presence = Literal["online", "away", "offline"]
Outcome = Literal["assign", "queue", "offline"]
NEVER = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Agent:
    id: str
    teams: frozenset[str]
    presence: Presence
    max_concurrent: int
    active_chats: int = 0
    last_assigned_at: datetime | None = None

    @property
    def has_capacity(self) -> bool:
        return self.active_chats < self.max_concurrent

    def can_take(self, team: str) -> bool:
        return self.presence == "online" and team in self.teams and self.has_capacity


def choose_agent(agents: Iterable[Agent], team: str) -> Agent | None:
    """The least-loaded online agent with the skill and a free slot, or None."""
    candidates = [agent for agent in agents if agent.can_take(team)]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda a: (
            a.active_chats / a.max_concurrent,
            a.active_chats,
            a.last_assigned_at or NEVER,
            a.id,
        ),
    )


@dataclass(frozen=True)
class HandoffPlan:
    outcome: Outcome
    team: str
    agent: Agent | None
    team_open: bool
    skilled_online: int
    follow_up_by: datetime | None
    message: str


def plan_handoff(
    team: str, priority: Priority, agents: Iterable[Agent], config: RoutingConfig, now: datetime
) -> HandoffPlan:
    """Assign now, queue, or go offline with an honest message and a follow-up promise."""
    pool = list(agents)
    settings = config.teams[team]
    schedule = settings.schedule
    is_open = schedule.is_open(now)
    online = [a for a in pool if a.presence == "online" and team in a.teams]
    if is_open and online:
        agent = choose_agent(online, team)
        if agent is not None:
            message = f"Connecting you with {settings.name} now."
            return HandoffPlan("assign", team, agent, True, len(online), None, message)
        message = (
            f"Everyone in {settings.name} is helping other customers; you are in the queue "
            "and will be connected with the next free person."
        )
        return HandoffPlan("queue", team, None, True, len(online), None, message)
    follow_up_by = schedule.add(now, config.sla.policies[priority].first_response)
    if is_open:
        why = f"Nobody from {settings.name} is online right now."
    else:
        why = f"{settings.name} is not available right now (hours: {schedule.describe()})."
    message = (
        f"{why} Your request is saved with the whole conversation, so you will not have to "
        f"repeat anything; someone will reply by {promise_time(follow_up_by, schedule, now)}."
    )
    return HandoffPlan("offline", team, None, is_open, len(online), follow_up_by, message)


def absent_too_long(
    presence: Presence,
    absent_since: datetime | None,
    assigned_at: datetime | None,
    now: datetime,
    grace: timedelta,
) -> bool:
    """Whether a chat's owner has been away from it for longer than `grace` (zero: never).

    The absence runs from the later of the agent leaving (away or offline; kept from the first
    of the two) and their taking this chat: an agent who claims a chat while marked away has it
    for a whole grace period before it goes back to the queue."""
    if presence == "online" or grace <= timedelta(0):
        return False
    starts = [moment for moment in (absent_since, assigned_at) if moment is not None]
    if not starts:
        return False
    return now - max(starts) > grace


def promise_time(moment: datetime, schedule: Schedule, now: datetime) -> str:
    """'8:30 AM ET tomorrow', '2:15 PM ET today', '9:00 AM ET on Saturday, March 7'."""
    local = schedule.local(moment)
    today = schedule.local(now).date()
    hour = local.hour % 12 or 12
    clock = f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {schedule.label}"
    if local.date() == today:
        return f"{clock} today"
    if local.date() == today + timedelta(days=1):
        return f"{clock} tomorrow"
    return f"{clock} on {local:%A}, {local:%B} {local.day}"
