"""A supervisor's decision on a refund the assistant held for approval (agent API, role
supervisor): read the held refund of a ticket's conversation, approve or decline it in one
click (service/desk/order_approvals.py: the shop refunds, the customer is told in the chat)."""

from __future__ import annotations

from aiohttp import web

from service.agent_auth import AGENT
from service.desk.order_approvals import DECISIONS, OrderApprovals, decide_on_ticket, shown
from service.errors import bad_request, json_error
from service.keys import HANDOFF, ORDER_APPROVALS
from service.request_parsing import read_json_object, ticket_id_in_path

MAX_NOTE_CHARS = 500


def _approvals(request: web.Request) -> OrderApprovals:
    approvals = request.app.get(ORDER_APPROVALS)
    if approvals is None:
        raise json_error(web.HTTPServiceUnavailable, "no shop is configured (ORDER_SERVICE_URL)")
    return approvals


async def held_refund(request: web.Request) -> web.Response:
    """{approval}: the refund held in the ticket's conversation (decided or not); 404 if none."""
    approvals = _approvals(request)
    record = await request.app[HANDOFF].ticket(request[AGENT], ticket_id_in_path(request))
    held = await approvals.held(record.conversation_id)
    if held is None:
        raise json_error(web.HTTPNotFound, "no refund waits for approval in this conversation")
    return web.json_response({"approval": shown(held)})


async def decide(request: web.Request) -> web.Response:
    """{decision: approve | decline, note?} -> {approval, ticket}; the customer is told."""
    approvals = _approvals(request)
    body = await read_json_object(request)
    decision, note = body.get("decision"), body.get("note", "")
    if decision not in DECISIONS:
        raise bad_request(f"decision must be one of {', '.join(DECISIONS)}")
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise bad_request(f"note must be text of at most {MAX_NOTE_CHARS} characters")
    outcome, record = await decide_on_ticket(
        request.app[HANDOFF],
        approvals,
        request[AGENT],
        ticket_id_in_path(request),
        approve=decision == "approve",
        note=note,
    )
    ticket = {"ticket_id": record.ticket_id, **record.to_json()}
    return web.json_response({"approval": shown(outcome.approval), "ticket": ticket})
