"""Internal handoff API (service token): open a ticket, withdraw it, read a conversation's state
and its latest takeover, take the customer's rating (CSAT) of a resolved chat, erase a
customer's handoff data.

Called by the Rasa action server (actions/handoff.py) and the gateway. A tracker can be
larger than the app's general body limit, so these bodies are read with their own limit.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from handoff import lifecycle
from handoff.privacy.identity import CUSTOMER_ID, TIER, CustomerContext
from handoff.routing.rules import ArticleTried
from handoff.store import HandoffStoreError
from handoff.takeover import takeover_json
from handoff.ticket.model import TicketFormatError
from handoff.ticket.transcript import TrackerFormatError
from handoff.ticket_record import TicketRecord
from knowledge_base.library import KnowledgeBase
from service.handoff_desk import HandoffPending, HandoffRequest, open_ticket
from service.handoff_outlook import conversation_json, describe
from service.keys import HANDOFF, KNOWLEDGE_BASE
from service.middleware import json_error
from service.request_parsing import (
    CONVERSATION_ID,
    conversation_id_in_path,
    read_json_object,
    ticket_id_in_path,
)

MAX_HANDOFF_BODY_BYTES = 2 * 1024 * 1024  # a long conversation's tracker with parse data
CHANNEL = re.compile(r"^[\w.-]{1,32}$")
OUTLOOK_KEYS = (
    "queue_position",
    "expected_wait_seconds",
    "expected_wait_text",
    "team_name",
    "agent",
    "message",
)


async def create_ticket(request: web.Request) -> web.Response:
    desk = request.app[HANDOFF]
    body = await read_json_object(request, MAX_HANDOFF_BODY_BYTES)
    handoff_request = parse_handoff_request(body)
    articles = articles_tried(request.app[KNOWLEDGE_BASE])
    try:
        record, created = await open_ticket(desk, handoff_request, articles)
        payload = await describe(desk, record, created=created, now=desk.now())
    except TrackerFormatError as error:
        raise json_error(web.HTTPBadRequest, f"tracker: {error}") from None
    except TicketFormatError as error:
        raise bad_request(f"the conversation cannot be packaged as a ticket: {error}") from None
    except HandoffPending as error:
        raise unavailable(str(error), retry_after=1) from None
    except HandoffStoreError as error:
        raise unavailable(f"the handoff could not be saved: {error}") from None
    return web.json_response(payload, status=201 if created else 200)


async def cancel_ticket(request: web.Request) -> web.Response:
    desk = request.app[HANDOFF]
    ticket_id = ticket_id_in_path(request)
    now = desk.now()
    try:
        record = await desk.store.tickets.update(
            ticket_id, lambda current: lifecycle.cancel(current, now=now)
        )
    except LookupError:
        raise json_error(web.HTTPNotFound, f"no ticket {ticket_id}") from None
    except lifecycle.Conflict as error:
        raise json_error(web.HTTPConflict, str(error)) from None
    except HandoffStoreError as error:
        raise unavailable(str(error)) from None
    return web.json_response(
        {
            "ticket_id": record.ticket_id,
            "status": record.status,
            "conversation_state": record.conversation_state,
        }
    )


async def conversation(request: web.Request) -> web.Response:
    desk = request.app[HANDOFF]
    conversation_id = conversation_id_in_path(request)
    try:
        state = await desk.store.tickets.conversation(conversation_id)
        ticket_id = state.get("ticket_id")
        record = await desk.store.tickets.get(ticket_id) if ticket_id else None
        body = {"conversation_id": conversation_id, **conversation_json(state, record)}
        if record is not None and record.is_open:  # what the widget tells a waiting customer
            outlook = await describe(desk, record, created=False, now=desk.now())
            body.update({key: outlook[key] for key in OUTLOOK_KEYS})
    except HandoffStoreError as error:
        raise unavailable(str(error)) from None
    return web.json_response(body)


async def takeover(request: web.Request) -> web.Response:
    """What happened while a person had the conversation (its latest ticket), for the
    assistant's resume action."""
    desk = request.app[HANDOFF]
    conversation_id = conversation_id_in_path(request)
    try:
        state = await desk.store.tickets.conversation(conversation_id)
        ticket_id = state.get("ticket_id")
        record = await desk.store.tickets.get(ticket_id) if ticket_id else None
    except HandoffStoreError as error:
        raise unavailable(str(error)) from None
    if record is None:
        raise json_error(web.HTTPNotFound, f"conversation {conversation_id} has no handoff")
    names = {agent.id: agent.name for agent in desk.agents.agents.values()}
    return web.json_response(takeover_json(record, names))


async def rate_chat(request: web.Request) -> web.Response:
    """The customer's rating of the conversation's latest ticket, once it is resolved."""
    desk = request.app[HANDOFF]
    conversation_id = conversation_id_in_path(request)
    rating, comment = parse_csat(await read_json_object(request))
    now = desk.now()

    def rate(record: TicketRecord) -> TicketRecord:
        return lifecycle.rate(record, rating, comment, now=now)

    try:
        state = await desk.store.tickets.conversation(conversation_id)
        if not state:
            raise json_error(web.HTTPNotFound, f"no conversation {conversation_id}")
        ticket_id = state.get("ticket_id")
        if not ticket_id:
            raise json_error(web.HTTPConflict, "the conversation has no resolved chat to rate")
        record = await desk.store.tickets.update(ticket_id, rate)
    except LookupError:
        raise json_error(
            web.HTTPConflict, "the conversation has no resolved chat to rate"
        ) from None
    except lifecycle.Conflict as error:
        raise json_error(web.HTTPConflict, str(error)) from None
    except lifecycle.TransitionError as error:
        raise bad_request(str(error)) from None
    except HandoffStoreError as error:
        raise unavailable(str(error)) from None
    assert record.csat is not None
    return web.json_response(
        {
            "conversation_id": conversation_id,
            "ticket_id": record.ticket_id,
            "rating": record.csat.rating,
            "comment": record.csat.comment,
            "rated_at": record.csat.at,
        }
    )


def parse_csat(body: dict[str, Any]) -> tuple[int, str | None]:
    rating, comment = body.get("rating"), body.get("comment")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise bad_request("rating must be a whole number from 1 to 5")
    if comment is not None and (
        not isinstance(comment, str) or len(comment) > lifecycle.MAX_CSAT_COMMENT_CHARS
    ):
        raise bad_request(
            f"comment must be text of at most {lifecycle.MAX_CSAT_COMMENT_CHARS} characters"
        )
    return rating, comment


async def erase_customer(request: web.Request) -> web.Response:
    """Erasure on request: every handoff key of this (verified) customer goes."""
    desk = request.app[HANDOFF]
    customer_id = request.match_info["customer_id"]
    if not CUSTOMER_ID.match(customer_id):
        raise bad_request("customer ids are 1-128 letters, digits or . @ : + - _")
    try:
        erased = await desk.store.erase_customer(customer_id)
    except HandoffStoreError as error:
        raise unavailable(str(error)) from None
    return web.json_response({"customer_id": customer_id, "tickets_erased": erased})


def parse_handoff_request(body: dict[str, Any]) -> HandoffRequest:
    conversation_id = body.get("conversation_id")
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.match(conversation_id):
        raise bad_request("conversation_id must be 1-128 letters, digits or ._:@-")
    tracker = body.get("tracker")
    if not isinstance(tracker, dict) or not _is_list_of_objects(tracker.get("events")):
        raise bad_request(
            'tracker must be an object with an "events" list of objects (Rasa tracker JSON)'
        )
    if not isinstance(tracker.get("slots", {}), dict | None):
        raise bad_request("tracker.slots must be an object")
    decision = body.get("decision")
    if decision is not None and not isinstance(decision, dict):
        raise bad_request("decision must be a decision record (an object) or null")
    channel = body.get("channel", "unknown")
    if not isinstance(channel, str) or not CHANNEL.match(channel):
        raise bad_request("channel must be 1-32 letters, digits or ._-")
    return HandoffRequest(
        conversation_id=conversation_id,
        tracker=tracker,
        decision=decision,
        customer=parse_customer(body.get("customer")),
        channel=channel,
    )


def _is_list_of_objects(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def parse_customer(raw: object) -> CustomerContext | None:
    """The customer the action server already verified (signed claims), or None."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("customer must be an object or null")
    customer_id, tier = raw.get("id"), raw.get("tier")
    escalations = raw.get("prior_escalations", 0)
    if not isinstance(customer_id, str) or not CUSTOMER_ID.match(customer_id):
        raise bad_request("customer.id must be 1-128 letters, digits or . @ : + - _")
    if tier is not None and (not isinstance(tier, str) or not TIER.match(tier)):
        raise bad_request("customer.tier must be a short lower-case word or null")
    if escalations is None:
        escalations = 0
    if isinstance(escalations, bool) or not isinstance(escalations, int) or escalations < 0:
        raise bad_request("customer.prior_escalations must be a whole number >= 0")
    return CustomerContext(id=customer_id, tier=tier, prior_escalations=escalations)


def articles_tried(knowledge_base: KnowledgeBase) -> dict[str, ArticleTried]:
    """Front matter routing reads (category, tags) of every article in the index."""
    return {
        article.id: ArticleTried(article.id, article.category, tuple(article.tags))
        for article in knowledge_base.state.index.articles.values()
    }


def bad_request(message: str) -> web.HTTPException:
    return json_error(web.HTTPBadRequest, message)


def unavailable(message: str, retry_after: int | None = None) -> web.HTTPException:
    error = json_error(web.HTTPServiceUnavailable, message)
    if retry_after is not None:
        error.headers["Retry-After"] = str(retry_after)
    return error
