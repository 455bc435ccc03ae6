"""What the customer is told about a ticket: queue position, expected wait, who and when.

Builds the answer of `POST /handoff/tickets` (and `GET /handoff/conversations/{id}`) from the
stored ticket, the team queue, the agents online and recent handling times, and what the
gateway and the Rasa action read of a conversation (`conversation_json`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from handoff.follow_up_email import proposed_address
from handoff.routing.assignment import promise_time
from handoff.routing.intake import NextStep, Outlook, customer_message
from handoff.routing.sla import WaitEstimate, estimate_wait
from handoff.ticket_record import TicketRecord
from infra.clock import parse_time
from service.desk.base import DeskBase


async def describe(
    desk: DeskBase, record: TicketRecord, *, created: bool, now: datetime
) -> dict[str, Any]:
    team = desk.routing.teams[record.team]
    position = await desk.store.tickets.queue_position(record)
    wait = await _expected_wait(desk, record, position, now)
    promise = None
    if record.follow_up_by:
        promise = promise_time(parse_time(record.follow_up_by), team.schedule, now)
    agent = desk.agents.agents.get(record.agent_id or "")
    follow_up = record.follow_up_email
    step = NextStep(
        outlook=_outlook(record),
        team_name=team.name,
        agent_name=agent.name if agent else record.agent_id,
        position=position,
        wait_text=wait.describe() if wait else None,
        team_open=team.schedule.is_open(now),
        hours=team.schedule.describe(),
        promise=promise,
        contact=proposed_address(record),
        follow_up_email=follow_up.address if follow_up else None,
        ask_for_email=record.email_offered and not record.follow_up_declined,
        status=record.status,
    )
    return {
        "ticket_id": record.ticket_id,
        "created": created,
        "status": record.status,
        "team": record.team,
        "team_name": team.name,
        "priority": record.priority,
        "escalation_type": record.routing.escalation_type,
        "queue_position": position,
        "expected_wait_seconds": math.ceil(wait.expected.total_seconds()) if wait else None,
        "expected_wait_text": wait.describe() if wait else None,
        "agent": {"id": agent.id, "name": agent.name} if agent else None,
        "offline": record.offline,
        "follow_up_by": promise,
        "follow_up_at": record.follow_up_by,
        "conversation_state": record.conversation_state,
        "message": customer_message(step),
    }


def _outlook(record: TicketRecord) -> Outlook:
    if record.status == "assigned":
        return "assigned"
    if record.status == "waiting":
        return "offline" if record.offline else "queued"
    return "closed"


async def _expected_wait(
    desk: DeskBase, record: TicketRecord, position: int | None, now: datetime
) -> WaitEstimate | None:
    """None once the ticket is closed; zero when an agent has it; until the promised time when
    offline; otherwise from the queue, the chats in progress and recent handling times."""
    if record.status == "assigned":
        return WaitEstimate(timedelta(0), "handling_times")
    if record.status != "waiting":
        return None
    if record.offline and record.follow_up_by:
        return WaitEstimate(max(parse_time(record.follow_up_by) - now, timedelta(0)), "sla")
    pool = await desk.agent_pool()
    busy = sum(
        agent.active_chats
        for agent in pool
        if agent.presence == "online" and record.team in agent.teams
    )
    handling = await desk.store.tickets.handling_times(record.team)
    first_response = desk.routing.sla.policies[record.priority].first_response
    return estimate_wait(max((position or 1) - 1, 0), busy, handling, first_response)


def conversation_json(state: dict[str, str], record: TicketRecord | None) -> dict[str, Any]:
    """What the gateway (and the Rasa action) need to route a customer's message. The stored
    conversation says `state`; the answer names it `conversation_state`."""
    if not state:
        return {
            "conversation_state": "bot",
            "ticket_id": None,
            "agent_id": None,
            "updated_at": None,
        }
    body: dict[str, Any] = {
        "conversation_state": state.get("state", "bot"),
        "ticket_id": state.get("ticket_id") or None,
        "agent_id": state.get("agent_id") or None,
        "updated_at": state.get("updated_at") or None,
    }
    if record is not None:
        body.update(
            status=record.status,
            team=record.team,
            priority=record.priority,
            offline=record.offline,
            follow_up_at=record.follow_up_by,
        )
    return body
