"""Resume links: `{WIDGET_URL}#resume=<token>` in a follow-up email (mail/compose.py) reopens the
chat in our widget with the conversation resumed, on any device.

    POST /widget/resume   {"token": "<link token>"}        (JSON, from the widget's script)
    200  {"session_id", "conversation_id", "messages": [{"from", "text"[, "agent_name"]}]}
    4xx  {"error": what the customer reads, "reason": why, in one word}

The token is a signed link token (infra/signed_links.py, purpose "resume", LINK_SIGNING_SECRET,
the service's secret too). A valid one gets a **new** session bound to the conversation it names
(`GatewayStore.issue_for`: the conversation's previous session record is deleted, so only the
newest device holds the chat; a device still connected is told so, gets nothing more of the
conversation and what it sends is refused as `session_ended`) and the conversation as the
customer saw it (the service's `GET /handoff/conversations/{id}/transcript`: masked, as the
ticket keeps it). The widget then connects with that session as with any other
(`session_request`).

Refusals, each with a reason the widget shows as chat text: `links_not_set_up` 404 (no
LINK_SIGNING_SECRET), `origin` 403 (a site not in GATEWAY_ALLOWED_ORIGINS), `rate_limited` 429
with Retry-After (the client address's resume budget, GATEWAY_RESUME_BURST/_PER_MINUTE),
`malformed` 400, `wrong_purpose` 400, `forged` 403, `expired` 410, `gone` 410 (the conversation
has no ticket any more: erased), `unavailable` 503 (Redis or the service). Never a bare 500.

The token travels in the URL's fragment (never sent to a server) and then in this POST's body:
it is in no URL, no access-log line and no log line of ours (only the conversation id is logged).
Cross-origin: the widget runs on the company's site, so this route answers CORS preflights for
the origins allowed to connect, and only for them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web

from gateway.service_client import ServiceRefused, ServiceUnavailable
from gateway.widget_cors import cors_headers
from gateway.widget_http import (
    CUSTOMER_ROUTES,
    NO_STORE,
    CustomerRoutes,
    Refused,
    caller_address,
    preflight,
    refusal,
    take_or_refuse,
)
from infra.redis_client import RedisUnavailable
from infra.signed_links import LinkError, read_link_token

log = logging.getLogger(__name__)
PATH = "/widget/resume"
RATE_SCOPE = "resume"
LINK_STATUS = {"malformed": 400, "wrong_purpose": 400, "forged": 403, "expired": 410}
"""The answer's status for each `LinkError.reason`."""
NOT_SET_UP = "resume links are not set up"
GONE = "this conversation is no longer available - start a new chat"
UNAVAILABLE = "the chat cannot be reopened right now - try the link again in a few minutes"
ORIGIN = "this site may not open the chat"


def add_resume(app: web.Application) -> None:
    """Add `POST /widget/resume` and its CORS preflight."""
    app.router.add_route("OPTIONS", PATH, preflight(ORIGIN))
    app.router.add_post(PATH, resume)


async def resume(request: web.Request) -> web.Response:
    """Read the resume link's token and answer a new session for its conversation, with the
    conversation so far; or refuse, saying why."""
    context = request.app[CUSTOMER_ROUTES]
    settings = context.settings
    cors = cors_headers(request, settings)
    if cors is None:
        return refusal(Refused(403, "origin", ORIGIN))
    if not settings.link_signing_secret:
        return refusal(Refused(404, "links_not_set_up", NOT_SET_UP), cors)
    try:
        answer = await _resumed(request, context)
    except Refused as refused:
        return refusal(refused, cors)
    return web.json_response(answer, headers={**NO_STORE, **cors})


async def _resumed(request: web.Request, context: CustomerRoutes) -> dict[str, Any]:
    """The answer of a valid link; raises _Refused saying why not."""
    settings = context.settings
    await take_or_refuse(
        context.store,
        RATE_SCOPE,
        caller_address(request, settings),
        settings.resume_rate,
        too_often="too many links were opened from your network",
        unavailable=UNAVAILABLE,
    )
    token = await _token(request)
    try:
        secret = settings.link_signing_secret.encode()
        claims = read_link_token(secret, token, "resume", time.time())
    except LinkError as error:
        raise Refused(LINK_STATUS.get(error.reason, 400), error.reason, str(error)) from None
    conversation_id = claims.conversation_id
    try:
        transcript = await context.service.transcript(conversation_id)
        session = await context.store.issue_for(conversation_id)
        await context.moved(conversation_id)  # the old device's sockets: told, out of the room
    except ServiceRefused as error:
        if error.status == 404:
            raise Refused(410, "gone", GONE) from None
        log.error("the service refused the transcript of %s: %s", conversation_id, error)
        raise Refused(503, "unavailable", UNAVAILABLE) from None
    except (ServiceUnavailable, RedisUnavailable) as error:
        log.error("conversation %s could not be resumed: %s", conversation_id, error)
        raise Refused(503, "unavailable", UNAVAILABLE) from None
    # the conversation id only: the token and the session id are the customer's secrets
    log.info("resume link: new session for conversation %s", conversation_id)
    return {
        "session_id": session.session_id,
        "conversation_id": conversation_id,
        "messages": _messages(transcript.get("messages")),
    }


async def _token(request: web.Request) -> object:
    """The body's `token` (anything else: None, which the reader calls malformed)."""
    try:
        body = await request.json()
    except ValueError:
        return None
    return body.get("token") if isinstance(body, dict) else None


def _messages(turns: object) -> list[dict[str, str]]:
    """The service's turns, only in the shape the widget reads."""
    if not isinstance(turns, list):
        return []
    messages = []
    for turn in turns:
        if not isinstance(turn, dict) or turn.get("from") not in ("customer", "bot", "agent"):
            continue
        if not isinstance(turn.get("text"), str):
            continue
        message = {"from": turn["from"], "text": turn["text"]}
        if turn["from"] == "agent" and isinstance(turn.get("agent_name"), str):
            message["agent_name"] = turn["agent_name"]
        messages.append(message)
    return messages
