"""Internal handoff API (service token): open a ticket, withdraw it, read a conversation's state
and its latest takeover, the customer's survey (whether one is open; the answers: CSAT and
customer effort), erase a customer's handoff data. Each view parses the request, calls one
method of the handoff desk (service/desk/) and renders its answer.

Called by the Rasa action server (actions/handoff.py) and the gateway. A tracker can be
larger than the app's general body limit, so these bodies are read with their own limit.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from handoff.privacy.identity import CUSTOMER_ID, TIER, CustomerContext
from handoff.routing.rules import ArticleTried
from knowledge_base.library import KnowledgeBase
from service.desk import HandoffRequest
from service.errors import bad_request, coded_error
from service.keys import FOLLOW_UP_MAIL, GAP_TOPICS, HANDOFF, KNOWLEDGE_BASE, REVIEW
from service.request_parsing import (
    conversation_id_in_body,
    conversation_id_in_path,
    read_json_object,
    ticket_id_in_path,
)

MAX_HANDOFF_BODY_BYTES = 2 * 1024 * 1024  # a long conversation's tracker with parse data
CHANNEL = re.compile(r"^[\w.-]{1,32}$")
MAX_EMAIL_CHARS = 320


async def create_ticket(request: web.Request) -> web.Response:
    handoff_request = parse_handoff_request(await read_json_object(request, MAX_HANDOFF_BODY_BYTES))
    articles = articles_tried(request.app[KNOWLEDGE_BASE])
    outlook, created = await request.app[HANDOFF].open_ticket(handoff_request, articles)
    return web.json_response(outlook, status=201 if created else 200)


async def cancel_ticket(request: web.Request) -> web.Response:
    record = await request.app[HANDOFF].cancel(ticket_id_in_path(request))
    return web.json_response(
        {
            "ticket_id": record.ticket_id,
            "status": record.status,
            "conversation_state": record.conversation_state,
        }
    )


async def conversation(request: web.Request) -> web.Response:
    answer = await request.app[HANDOFF].conversation(conversation_id_in_path(request))
    return web.json_response(answer)


async def takeover(request: web.Request) -> web.Response:
    """What happened while a person had the conversation, for the assistant's resume action."""
    return web.json_response(await request.app[HANDOFF].takeover(conversation_id_in_path(request)))


async def transcript(request: web.Request) -> web.Response:
    """The conversation as the customer saw it, for the gateway's resume link."""
    answer = await request.app[HANDOFF].transcript(conversation_id_in_path(request))
    return web.json_response(answer)


async def transcript_email(request: web.Request) -> web.Response:
    """{email?} -> {sent_to}: the conversation's transcript queued for the customer's email
    (the follow-up email when none is given); 503 mail_not_set_up without SMTP_HOST."""
    conversation_id = conversation_id_in_path(request)
    follow_up = request.app.get(FOLLOW_UP_MAIL)
    if follow_up is None:
        raise coded_error(
            web.HTTPServiceUnavailable, "mail_not_set_up", "email is not set up here (SMTP_HOST)"
        )
    email = (await read_json_object(request, required=False)).get("email")
    if email is not None and (not isinstance(email, str) or len(email) > MAX_EMAIL_CHARS):
        raise bad_request(f"email must be an address of at most {MAX_EMAIL_CHARS} characters")
    sent_to = await follow_up.send_transcript(conversation_id, email)
    return web.json_response({"sent_to": sent_to}, status=202)


async def survey_status(request: web.Request) -> web.Response:
    """Whether the latest session may be surveyed now, about whom, and whether it was."""
    status = await request.app[HANDOFF].survey_status(conversation_id_in_path(request))
    return web.json_response(status.to_json())


async def save_survey(request: web.Request) -> web.Response:
    """The customer's survey answers (CSAT 1-5, CES 1-7, or skipped), once per session."""
    conversation_id = conversation_id_in_path(request)
    body = await read_json_object(request)
    saved = await request.app[HANDOFF].save_survey(conversation_id, body, request.app.get(REVIEW))
    return web.json_response(saved, status=201)


async def erase_customer(request: web.Request) -> web.Response:
    """Erasure on request: every handoff key of this (verified) customer goes."""
    customer_id = request.match_info["customer_id"]
    if not CUSTOMER_ID.match(customer_id):
        raise bad_request("customer ids are 1-128 letters, digits or . @ : + - _")
    await request.app[GAP_TOPICS].forget_customer_tickets(customer_id)  # their requests too
    erased = await request.app[HANDOFF].erase_customer(customer_id)
    return web.json_response({"customer_id": customer_id, "tickets_erased": erased})


def parse_handoff_request(body: dict[str, Any]) -> HandoffRequest:
    conversation_id = conversation_id_in_body(body)
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
