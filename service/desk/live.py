"""The live view for the supervisor: how many tickets wait in each team's queue, who is online,
and the open tickets whose SLA is at risk - due within the next minutes, or already breached.

Read from the handoff store as it is now (not from outcome records, which are written when a
session ends): each team's queue (the waiting tickets, offline ones included) and each agent's
open tickets are the open tickets; their SLA due times are on the tickets (`routing`). A
ticket's first-response SLA counts until an agent first replied; its resolution SLA until it
closes. A ticket whose SLA fired before (re-escalated by the SLA watchdog) is breached even if
its restarted SLA is not yet due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handoff.routing.sla import SLA_KINDS
from handoff.ticket_record import TicketRecord
from infra.clock import iso_utc, parse_time
from service.desk import HandoffDesk

OPEN_TICKETS_READ = 1000
"""At most this many waiting tickets read per team (the queue's size is always exact)."""


@dataclass(frozen=True)
class TeamLive:
    team: str
    name: str
    waiting: int
    agents_online: int


@dataclass(frozen=True)
class AtRisk:
    record: TicketRecord
    sla: str
    """first_response or resolution: the SLA due first."""
    due: datetime
    breached: bool

    def to_json(self, now: datetime) -> dict[str, Any]:
        record = self.record
        return {
            "ticket_id": record.ticket_id,
            "conversation_id": record.conversation_id,
            "team": record.team,
            "status": record.status,
            "priority": record.priority,
            "agent_id": record.agent_id,
            "sla": self.sla,
            "due": iso_utc(self.due),
            "seconds_left": round((self.due - now).total_seconds()),
            "breached": self.breached,
        }


@dataclass(frozen=True)
class LiveView:
    at: datetime
    within: timedelta
    teams: list[TeamLive]
    open_tickets: int
    at_risk: list[AtRisk]

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso_utc(self.at),
            "within_minutes": round(self.within.total_seconds() / 60),
            "queues": [
                {
                    "team": team.team,
                    "name": team.name,
                    "waiting": team.waiting,
                    "agents_online": team.agents_online,
                }
                for team in self.teams
            ],
            "open_tickets": self.open_tickets,
            "at_risk": [ticket.to_json(self.at) for ticket in self.at_risk],
        }


async def live_view(desk: HandoffDesk, now: datetime, within: timedelta) -> LiveView:
    profiles = list(desk.agents.agents.values())
    states = await desk.store.agents.states([profile.id for profile in profiles])
    open_ids: set[str] = set()
    teams = []
    for team_id, team in desk.routing.teams.items():
        waiting, ticket_ids = await desk.store.tickets.queue(team_id, OPEN_TICKETS_READ)
        open_ids.update(ticket_ids)
        online = sum(
            1
            for profile in profiles
            if team_id in profile.teams and states[profile.id].presence == "online"
        )
        teams.append(TeamLive(team_id, team.name, waiting, online))
    for state in states.values():
        open_ids.update(state.open_tickets)
    records = [
        record for record in await desk.store.tickets.many(sorted(open_ids)) if record.is_open
    ]
    return LiveView(now, within, teams, len(records), at_risk(records, now, within))


def at_risk(records: list[TicketRecord], now: datetime, within: timedelta) -> list[AtRisk]:
    """Open tickets due within `within` or breached, the most urgent first."""
    found = []
    for record in records:
        due = _first_due(record)
        if due is None:
            continue
        sla, when = due
        breached = when <= now or bool(record.fired_breaches)
        if breached or when - now <= within:
            found.append(AtRisk(record, sla, when, breached))
    found.sort(key=lambda item: (item.due, item.record.ticket_id))
    return found


def _first_due(record: TicketRecord) -> tuple[str, datetime] | None:
    """The SLA that is due first and still running, and when."""
    dues = []
    for kind in SLA_KINDS:
        due_text = getattr(record.routing, f"{kind}_due")
        if due_text is None or (kind == "first_response" and record.first_response_at):
            continue
        dues.append((parse_time(due_text), kind))
    if not dues:
        return None
    when, kind = min(dues)
    return kind, when
