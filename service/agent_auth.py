"""Who is calling the agent API: a per-agent bearer token, checked against its SHA-256 in Redis.

Every path under /agent/ needs `Authorization: Bearer <agent token>` (401 when missing, wrong,
or the agent is no longer in the agents file; 503 when Redis cannot say). What an agent may see
and do is the desk's to decide (service/desk/agent_actions.py: their teams' tickets and their
own, 403 otherwise); routes for a role (the dashboard, the QA review: `supervisor`) call
`require_role` first. A content token (role `content`) opens only /agent/me and
/agent/content/...: every ticket, queue and customer route answers it 403.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware

from handoff.routing.agents_config import AgentProfile
from handoff.vocabulary import TICKET_ROLES
from service.errors import json_error
from service.keys import HANDOFF
from service.middleware import Handler

AGENT_PREFIX = "/agent/"
NO_TICKET_PATHS = ("/agent/me", "/agent/content/")
"""All a role outside handoff.vocabulary.TICKET_ROLES (the content team) may open."""
AGENT = web.RequestKey("agent", AgentProfile)


def agent_auth() -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(AGENT_PREFIX):
            request[AGENT] = agent = await _agent_of(request)
            if agent.role not in TICKET_ROLES and not request.path.startswith(NO_TICKET_PATHS):
                raise json_error(
                    web.HTTPForbidden,
                    f"a {agent.role} token opens only /agent/me and /agent/content/:"
                    " no tickets, queues or customers",
                )
        return await handler(request)

    return middleware


def require_role(request: web.Request, *roles: str) -> AgentProfile:
    """The calling agent, when their role is one of `roles` (handoff.vocabulary.ROLES); else
    403 with a JSON error."""
    agent = request[AGENT]
    if agent.role not in roles:
        raise json_error(
            web.HTTPForbidden, f"this needs the {' or '.join(roles)} role; you are {agent.role}"
        )
    return agent


async def _agent_of(request: web.Request) -> AgentProfile:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise json_error(web.HTTPUnauthorized, "missing agent token")
    if not token.isascii():  # tokens are URL-safe base64; other bytes cannot be one
        raise json_error(web.HTTPUnauthorized, "wrong or revoked agent token")
    profile = await request.app[HANDOFF].agent_for_token(token.strip())
    if profile is None:
        raise json_error(web.HTTPUnauthorized, "wrong or revoked agent token")
    return profile
