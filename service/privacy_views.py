"""A customer's access request and erasure (service/desk/privacy.py): the company's backend
calls them with the service token (`/privacy/...`), a supervisor from the console's API with
their own token (`/agent/privacy/...`, role supervisor). Both answer JSON and leave an entry in
the audit stream naming who asked."""

from __future__ import annotations

from aiohttp import web

from handoff.privacy.identity import CUSTOMER_ID
from service.agent_auth import AGENT, AGENT_PREFIX, require_role
from service.errors import bad_request
from service.keys import PRIVACY

SERVICE_CALLER = "service"


async def export_customer(request: web.Request) -> web.Response:
    """Everything held about the customer, as JSON."""
    by = _caller(request)
    held = await request.app[PRIVACY].export(_customer_id(request), by=by)
    return web.json_response(held)


async def erase_customer(request: web.Request) -> web.Response:
    """Erase everything held about the customer; the counts by kind."""
    by = _caller(request)
    customer_id = _customer_id(request)
    erased = await request.app[PRIVACY].erase(customer_id, by=by)
    aof_rewrite = erased.pop("aof_rewrite")
    return web.json_response(
        {"customer_id": customer_id, "erased": erased, "aof_rewrite": aof_rewrite}
    )


def _customer_id(request: web.Request) -> str:
    customer_id = request.match_info["customer_id"]
    if not CUSTOMER_ID.match(customer_id):
        raise bad_request("customer ids are 1-128 letters, digits or . @ : + - _")
    return customer_id


def _caller(request: web.Request) -> str:
    """Who asks, for the audit: the service token's holder, or the supervisor by id."""
    if not request.path.startswith(AGENT_PREFIX):
        return SERVICE_CALLER
    require_role(request, "supervisor")
    return f"supervisor:{request[AGENT].id}"
