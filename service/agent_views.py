"""The agent API (per-agent tokens, service/agent_auth.py): presence, queues, tickets and what
an agent does with a ticket. Each view parses the request, calls one method of the handoff desk
(service/desk/agent_actions.py, where the steps are) and renders the ticket or the listing.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from handoff.ticket_record import TicketRecord
from handoff.vocabulary import AGENT_PRESENCES
from service.agent_auth import AGENT
from service.desk import TeamQueue
from service.errors import bad_request
from service.keys import FOLLOW_UP_MAIL, HANDOFF
from service.request_parsing import read_json_object, text_field, ticket_id_in_path

MAX_TEXT_CHARS = 4000
MAX_REASON_CHARS = 500


async def set_presence(request: web.Request) -> web.Response:
    agent = request[AGENT]
    presence = (await read_json_object(request)).get("presence")
    if presence not in AGENT_PRESENCES:
        raise bad_request(f"presence must be one of {', '.join(AGENT_PRESENCES)}")
    await request.app[HANDOFF].set_presence(agent, presence)
    return web.json_response({"agent_id": agent.id, "presence": presence})


async def me(request: web.Request) -> web.Response:
    agent, desk = request[AGENT], request.app[HANDOFF]
    state = await desk.agent_state(agent)
    return web.json_response(
        {
            "id": agent.id,
            "name": agent.name,
            "role": agent.role,
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
    listing = await request.app[HANDOFF].queues(request[AGENT])
    return web.json_response({"queues": [queue_json(queue) for queue in listing]})


async def list_tickets(request: web.Request) -> web.Response:
    team, status = request.query.get("team"), request.query.get("status")
    records = await request.app[HANDOFF].team_tickets(request[AGENT], team, status)
    return web.json_response({"tickets": [ticket_summary(record) for record in records]})


async def get_ticket(request: web.Request) -> web.Response:
    record = await request.app[HANDOFF].ticket(request[AGENT], ticket_id_in_path(request))
    return web.json_response(await with_deliveries(request, record))


async def claim(request: web.Request) -> web.Response:
    record = await request.app[HANDOFF].claim(request[AGENT], ticket_id_in_path(request))
    return web.json_response(ticket_json(record))


async def reply(request: web.Request) -> web.Response:
    text = text_field(await read_json_object(request), "text", MAX_TEXT_CHARS)
    record = await request.app[HANDOFF].reply(request[AGENT], ticket_id_in_path(request), text)
    follow_up = request.app.get(FOLLOW_UP_MAIL)
    if follow_up is not None:  # the customer gave an email for the reply: it goes there too
        await follow_up.agent_replied(record)
    return web.json_response(await with_deliveries(request, record))


async def note(request: web.Request) -> web.Response:
    text = text_field(await read_json_object(request), "text", MAX_TEXT_CHARS)
    record = await request.app[HANDOFF].note(request[AGENT], ticket_id_in_path(request), text)
    return web.json_response(ticket_json(record))


async def transfer(request: web.Request) -> web.Response:
    team = (await read_json_object(request)).get("team")
    if not isinstance(team, str):
        raise bad_request("team must be a team id (text)")
    record = await request.app[HANDOFF].transfer(request[AGENT], ticket_id_in_path(request), team)
    return web.json_response(ticket_json(record))


async def escalate(request: web.Request) -> web.Response:
    reason = (await read_json_object(request, required=False)).get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        raise bad_request(f"reason must be text of at most {MAX_REASON_CHARS} characters")
    desk = request.app[HANDOFF]
    record = await desk.escalate(request[AGENT], ticket_id_in_path(request), reason)
    return web.json_response(ticket_json(record))


async def resolve(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    code, needed = body.get("resolution_code"), body.get("escalation_needed", True)
    if not isinstance(code, str):
        raise bad_request("resolution_code must be text")
    if not isinstance(needed, bool):
        raise bad_request("escalation_needed must be true or false")
    desk, ticket_id = request.app[HANDOFF], ticket_id_in_path(request)
    record = await desk.resolve(request[AGENT], ticket_id, code, escalation_needed=needed)
    return web.json_response(ticket_json(record))


async def hand_back(request: web.Request) -> web.Response:
    record = await request.app[HANDOFF].hand_back(request[AGENT], ticket_id_in_path(request))
    return web.json_response(ticket_json(record))


def queue_json(queue: TeamQueue) -> dict[str, Any]:
    return {
        "team": queue.team,
        "name": queue.name,
        "waiting": queue.waiting,
        "next": [ticket_summary(record) for record in queue.next],
    }


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


async def with_deliveries(request: web.Request, record: TicketRecord) -> dict[str, Any]:
    """The ticket with each emailed reply's delivery state (`email_deliveries`, by mail id
    `{ticket}:reply:{transcript index}`; empty when mail is not set up)."""
    follow_up = request.app.get(FOLLOW_UP_MAIL)
    deliveries = await follow_up.deliveries(record.ticket_id) if follow_up else {}
    return {**ticket_json(record), "email_deliveries": deliveries}
