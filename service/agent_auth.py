"""Who is calling the agent API: a per-agent bearer token, checked against its SHA-256 in Redis.

Every path under /agent/ needs `Authorization: Bearer <agent token>` (401 when missing, wrong,
or the agent is no longer in the agents file). An agent sees and acts on tickets of their own
teams only, plus a ticket they own (403 otherwise).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware

from handoff.routing.agents_config import AgentProfile
from handoff.store import HandoffStoreError
from handoff.ticket_record import TicketRecord
from service.keys import HANDOFF
from service.middleware import Handler, json_error

AGENT_PREFIX = "/agent/"
AGENT = web.RequestKey("agent", AgentProfile)


def agent_auth() -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(AGENT_PREFIX):
            request[AGENT] = await _agent_of(request)
        return await handler(request)

    return middleware


async def _agent_of(request: web.Request) -> AgentProfile:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise json_error(web.HTTPUnauthorized, "missing agent token")
    desk = request.app[HANDOFF]
    try:
        agent_id = await desk.store.agents.agent_for_token(token.strip())
    except HandoffStoreError as error:
        raise json_error(web.HTTPServiceUnavailable, str(error)) from None
    profile = desk.agents.agents.get(agent_id or "")
    if profile is None:
        raise json_error(web.HTTPUnauthorized, "wrong or revoked agent token")
    return profile


def can_see(agent: AgentProfile, record: TicketRecord) -> bool:
    return record.team in agent.teams or record.agent_id == agent.id


def require_access(agent: AgentProfile, record: TicketRecord) -> None:
    if not can_see(agent, record):
        raise json_error(
            web.HTTPForbidden, f"ticket {record.ticket_id} belongs to team {record.team}"
        )
