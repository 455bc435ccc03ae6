"""The agent API (per-agent tokens, service/agent_auth.py): presence, queues, tickets and what
an agent does with a ticket. Every change is a transition of handoff/lifecycle.py, run
atomically by the store and recorded in the ticket's status history with who and when.
Replies and notes are masked like the customer's messages; nothing an agent types is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from handoff import lifecycle
from handoff.routing.agents_config import AgentProfile
from handoff.store import AtCapacity, HandoffStoreError
from handoff.store.agents import PRESENCES
from handoff.store.tickets import OutboxEvent
from handoff.ticket.model import TICKET_STATUSES
from handoff.ticket_record import TicketRecord
from service.agent_auth import AGENT, can_see
from service.handoff_desk import HandoffDesk, place
from service.handoff_views import unavailable
from service.keys import HANDOFF, SETTINGS
from service.middleware import json_error
from service.rasa_handback import RasaEndpoint, return_to_assistant
from service.request_parsing import read_json_object, ticket_id_in_path

log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 4000
LIST_LIMIT = 200
Step = Callable[[TicketRecord], TicketRecord]


async def set_presence(request: web.Request) -> web.Response:
    agent, desk = request[AGENT], request.app[HANDOFF]
    presence = (await read_json_object(request)).get("presence")
    if presence not in PRESENCES:
        raise json_error(web.HTTPBadRequest, f"presence must be one of {', '.join(PRESENCES)}")
    await _store_call(desk.store.agents.set_presence(agent.id, presence, desk.now()))
    log.info("agent %s is %s", agent.id, presence)
    return web.json_response({"agent_id": agent.id, "presence": presence})


async def me(request: web.Request) -> web.Response:
    agent, desk = request[AGENT], request.app[HANDOFF]
    states = await _store_call(desk.store.agents.states([agent.id]))
    state = states[agent.id]
    return web.json_response(
        {
            "id": agent.id,
            "name": agent.name,
            "teams": sorted(agent.teams),
            "presence": state.presence,
            "load": state.load,
            "capacity": agent.max_concurrent,
            "open_tickets": sorted(state.open_tickets),
            "resolution_codes": list(desk.agents.resolution_codes),
            "all_teams": [
                {"id": team_id, "name": team.name} for team_id, team in desk.routing.teams.items()
            ],
        }
    )


async def queues(request: web.Request) -> web.Response:
    agent, desk = request[AGENT], request.app[HANDOFF]
    listing = []
    for team in sorted(agent.teams):
        size, ticket_ids = await _store_call(desk.store.tickets.queue(team, 20))
        records = await _store_call(desk.store.tickets.many(ticket_ids))
        listing.append(
            {
                "team": team,
                "name": desk.routing.teams[team].name,
                "waiting": size,
                "next": [ticket_summary(record) for record in records],
            }
        )
    return web.json_response({"queues": listing})


async def list_tickets(request: web.Request) -> web.Response:
    agent, desk = request[AGENT], request.app[HANDOFF]
    team, status = request.query.get("team"), request.query.get("status")
    if team is not None and team not in agent.teams:
        raise json_error(web.HTTPForbidden, f"you are not in team {team!r}")
    if status is not None and status not in TICKET_STATUSES:
        raise json_error(web.HTTPBadRequest, f"status must be one of {', '.join(TICKET_STATUSES)}")
    records: list[TicketRecord] = []
    for each_team in [team] if team else sorted(agent.teams):
        ticket_ids = await _store_call(desk.store.tickets.team_ticket_ids(each_team, LIST_LIMIT))
        records += await _store_call(desk.store.tickets.many(ticket_ids))
    found = [r for r in records if status is None or r.status == status]
    return web.json_response({"tickets": [ticket_summary(record) for record in found]})


async def get_ticket(request: web.Request) -> web.Response:
    agent, desk = request[AGENT], request.app[HANDOFF]
    ticket_id = ticket_id_in_path(request)
    record = await _store_call(desk.store.tickets.get(ticket_id))
    if record is None:
        raise json_error(web.HTTPNotFound, f"no ticket {ticket_id}")
    if not can_see(agent, record):
        raise json_error(web.HTTPForbidden, f"ticket {ticket_id} belongs to team {record.team}")
    return web.json_response(ticket_json(record))


async def claim(request: web.Request) -> web.Response:
    agent, desk = request[AGENT], request.app[HANDOFF]

    def step(record: TicketRecord) -> TicketRecord:
        if record.team not in agent.teams:
            raise lifecycle.NotAllowed(f"ticket {record.ticket_id} belongs to team {record.team}")
        return lifecycle.assign(record, agent.id, now=desk.now(), by=agent.id)

    record = await _act(request, step, capacity=True, event="agent_joined")
    await _store_call(desk.store.agents.mark_assigned(agent.id, desk.now()))
    return web.json_response(ticket_json(record))


async def reply(request: web.Request) -> web.Response:
    text = await _text_field(request, "text")
    agent, desk = request[AGENT], request.app[HANDOFF]
    record = await _act(
        request,
        lambda r: lifecycle.reply(r, agent.id, text, now=desk.now()),
        event="message",
        with_text=True,
    )
    return web.json_response(ticket_json(record))


async def note(request: web.Request) -> web.Response:
    text = await _text_field(request, "text")
    agent, desk = request[AGENT], request.app[HANDOFF]
    record = await _act(request, lambda r: lifecycle.add_note(r, agent.id, text, now=desk.now()))
    return web.json_response(ticket_json(record))


async def transfer(request: web.Request) -> web.Response:
    team = (await read_json_object(request)).get("team")
    agent, desk = request[AGENT], request.app[HANDOFF]
    if not isinstance(team, str) or team not in desk.routing.teams:
        teams = ", ".join(sorted(desk.routing.teams))
        raise json_error(web.HTTPBadRequest, f"team must be one of {teams}")
    record = await _act(
        request,
        lambda r: lifecycle.transfer(r, agent.id, team, now=desk.now(), config=desk.routing),
        event="transferred",
    )
    record = await _store_call(place(desk, record, desk.now(), may_go_offline=False))
    return web.json_response(ticket_json(record))


async def escalate(request: web.Request) -> web.Response:
    reason = (await read_json_object(request, required=False)).get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        raise json_error(web.HTTPBadRequest, "reason must be text of at most 500 characters")
    agent, desk = request[AGENT], request.app[HANDOFF]
    record = await _act(
        request,
        lambda r: lifecycle.escalate(
            r, agent.id, now=desk.now(), config=desk.routing, reason=reason
        ),
        event="escalated",
    )
    record = await _store_call(place(desk, record, desk.now(), may_go_offline=False))
    return web.json_response(ticket_json(record))


async def resolve(request: web.Request) -> web.Response:
    code = (await read_json_object(request)).get("resolution_code")
    agent, desk = request[AGENT], request.app[HANDOFF]
    if code not in desk.agents.resolution_codes:
        codes = ", ".join(desk.agents.resolution_codes)
        raise json_error(web.HTTPBadRequest, f"resolution_code must be one of {codes}")
    record = await _act(
        request, lambda r: lifecycle.resolve(r, agent.id, code, now=desk.now()), event="resolved"
    )
    await _record_handling_time(desk, record)
    record = await _back_to_assistant(request, record)
    return web.json_response(ticket_json(record))


async def hand_back(request: web.Request) -> web.Response:
    agent, desk = request[AGENT], request.app[HANDOFF]
    record = await _act(
        request, lambda r: lifecycle.hand_back(r, agent.id, now=desk.now()), event="handed_back"
    )
    await _record_handling_time(desk, record)
    record = await _back_to_assistant(request, record)
    return web.json_response(ticket_json(record))


async def _act(
    request: web.Request,
    step: Step,
    *,
    capacity: bool = False,
    event: str | None = None,
    with_text: bool = False,
) -> TicketRecord:
    """Run one transition on the ticket in the URL, as the calling agent, atomically."""
    agent, desk = request[AGENT], request.app[HANDOFF]
    ticket_id = ticket_id_in_path(request)
    outbox = _outbox(desk, agent, event, with_text) if event else None
    try:
        record = await desk.store.tickets.update(
            ticket_id,
            _checked(agent, step),
            capacity=(agent.id, agent.max_concurrent) if capacity else None,
            outbox=outbox,
        )
    except LookupError:
        raise json_error(web.HTTPNotFound, f"no ticket {ticket_id}") from None
    except lifecycle.NotAllowed as error:
        raise json_error(web.HTTPForbidden, str(error)) from None
    except (lifecycle.Conflict, AtCapacity) as error:
        raise json_error(web.HTTPConflict, str(error)) from None
    except lifecycle.TransitionError as error:
        raise json_error(web.HTTPBadRequest, str(error)) from None
    except HandoffStoreError as error:
        raise unavailable(str(error)) from None
    log.info("agent %s: %s on ticket %s", agent.id, request.path.rsplit("/", 1)[-1], ticket_id)
    return record


def _checked(agent: AgentProfile, step: Step) -> Step:
    def change(record: TicketRecord) -> TicketRecord:
        if not can_see(agent, record):
            raise lifecycle.NotAllowed(f"ticket {record.ticket_id} belongs to team {record.team}")
        return step(record)

    return change


def _outbox(desk: HandoffDesk, agent: AgentProfile, event: str, with_text: bool) -> OutboxEvent:
    def entry(record: TicketRecord) -> dict[str, str]:
        extra = {"team": record.team}
        if with_text:
            extra["text"] = record.ticket.transcript[-1].text
        return desk.agent_event(event, record, agent.id, **extra)

    return entry


async def _text_field(request: web.Request, name: str) -> str:
    text = (await read_json_object(request)).get(name)
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
        raise json_error(
            web.HTTPBadRequest, f"{name} must be non-empty text of at most {MAX_TEXT_CHARS} chars"
        )
    return text.strip()


async def _back_to_assistant(request: web.Request, record: TicketRecord) -> TicketRecord:
    """Rasa learns what happened during the takeover (service/rasa_handback.py)."""
    settings = request.app[SETTINGS]
    rasa = RasaEndpoint(settings.rasa_url, settings.rasa_timeout)
    return await return_to_assistant(request.app[HANDOFF], rasa, record)


async def _record_handling_time(desk: HandoffDesk, record: TicketRecord) -> None:
    started = record.assigned_at
    if started is not None:
        seconds = (desk.now() - started).total_seconds()
        await _store_call(desk.store.tickets.record_handling_time(record.team, max(seconds, 0)))


async def _store_call(awaitable: Any) -> Any:
    try:
        return await awaitable
    except HandoffStoreError as error:
        raise unavailable(str(error)) from None


def ticket_summary(record: TicketRecord) -> dict[str, Any]:
    routing = record.routing
    return {
        "ticket_id": record.ticket_id,
        "conversation_id": record.conversation_id,
        "status": record.status,
        "team": record.team,
        "priority": record.priority,
        "escalation_type": routing.escalation_type,
        "incident_id": routing.incident_id,
        "agent_id": record.agent_id,
        "offline": record.offline,
        "summary": record.ticket.summary,
        "customer_tier": record.ticket.customer.tier,
        "created_at": record.ticket.created_at,
        "updated_at": record.ticket.updated_at,
        "first_response_due": None if record.first_response_at else routing.first_response_due,
        "resolution_due": routing.resolution_due,
    }


def ticket_json(record: TicketRecord) -> dict[str, Any]:
    return {"ticket_id": record.ticket_id, **record.to_json()}
