"""The chat's transcript by email, asked for from our widget ("Email me this chat").

    POST /widget/transcript-email   {"session_id": "<the widget's session>", "email"?: "<address>"}
    202  {"sent_to": "<the address it goes to>"}
    4xx  {"error": what the customer reads, "reason": why, in one word}

The session id (the widget's secret) gives the conversation (gateway/sessions.py); the service
queues the transcript of the conversation's latest ticket as a mail (`POST /handoff/conversations/
{id}/transcript-email`, service/desk/follow_up_mail.py), to the address given or, without one, to
the follow-up email the customer left on the ticket. Only a conversation that was passed to the
team has a ticket, so only then is there something to send.

Refusals, each with a reason the widget shows as chat text: `origin` 403 (a site not in
GATEWAY_ALLOWED_ORIGINS), `invalid` 400 (not a JSON object), `no_session` 400 (no session id:
the chat has not started), `session_ended` 403 (a session the gateway no longer knows),
`no_address` 400 (none given and none on the ticket), `bad_address` 400 (not an address we can
send to), `too_many` 409 (the service's limit of transcripts per request), `nothing_to_send` 404
(the conversation has no ticket), `rate_limited` 429 with Retry-After (scope `transcript_email`:
the client address's bucket, GATEWAY_TRANSCRIPT_EMAIL_ADDRESS_*, taken before the body is read,
then the session's conversation's, GATEWAY_TRANSCRIPT_EMAIL_*), `mail_not_set_up` 503 (the
service has no SMTP_HOST), `unavailable` 503 (Redis or the service). Never a bare 500.

The session id and the address travel in the body only; neither is in a URL or a log line of
ours (only the conversation id is logged). CORS as for the resume link (gateway/widget_cors.py).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from gateway.rate_limits import TRANSCRIPT_EMAIL
from gateway.service_client import ServiceClient, ServiceRefused, ServiceUnavailable
from gateway.sessions import SESSION_ID, GatewayStore
from gateway.settings import RateLimit
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

log = logging.getLogger(__name__)
PATH = "/widget/transcript-email"
MAX_EMAIL_CHARS = 320  # the service's limit too (service/handoff_views.py)
ORIGIN = "this site may not send the chat's transcript"
INVALID = "send a JSON object"
NO_SESSION = "the chat has not started yet, so there is nothing to send"
SESSION_ENDED = "this chat session has ended - start a new chat"
NO_ADDRESS = "type the email address to send the transcript to"
BAD_ADDRESS = "that is not an email address we can send to"
NOTHING_TO_SEND = (
    "there is nothing to send yet: a transcript can be emailed once this chat has been passed "
    "to our team"
)
MAIL_NOT_SET_UP = "sending the transcript by email is not set up here"
UNAVAILABLE = "the transcript can't be sent right now - try again in a few minutes"


def add_transcript_email(app: web.Application) -> None:
    """Add `POST /widget/transcript-email` and its CORS preflight."""
    app.router.add_route("OPTIONS", PATH, preflight(ORIGIN))
    app.router.add_post(PATH, send_transcript)


async def send_transcript(request: web.Request) -> web.Response:
    """Queue the transcript of the session's conversation for the customer's email; or refuse,
    saying why."""
    context = request.app[CUSTOMER_ROUTES]
    cors = cors_headers(request, context.settings)
    if cors is None:
        return refusal(Refused(403, "origin", ORIGIN))
    try:
        sent_to = await _sent(request, context)
    except Refused as refused:
        return refusal(refused, cors)
    return web.json_response({"sent_to": sent_to}, status=202, headers={**NO_STORE, **cors})


async def _sent(request: web.Request, context: CustomerRoutes) -> str:
    """The address the transcript goes to; raises Refused saying why it does not."""
    settings = context.settings
    address = caller_address(request, settings)
    await _within_limit(context.store, address, settings.transcript_email_address_rate)
    session_id, email = await _body(request)
    try:
        conversation_id = await context.store.conversation_id(session_id)
    except RedisUnavailable as error:
        log.error("transcript email: the session could not be read: %s", error)
        raise Refused(503, "unavailable", UNAVAILABLE) from None
    if conversation_id is None:
        raise Refused(403, "session_ended", SESSION_ENDED)
    await _within_limit(context.store, conversation_id, settings.transcript_email_rate)
    return await _send(context.service, conversation_id, email)


async def _within_limit(store: GatewayStore, key: str, limit: RateLimit) -> None:
    await take_or_refuse(
        store,
        TRANSCRIPT_EMAIL,
        key,
        limit,
        too_often="the transcript was asked for too often",
        unavailable=UNAVAILABLE,
    )


async def _body(request: web.Request) -> tuple[str, str | None]:
    """The session id and the address (None: none given, the ticket's follow-up email)."""
    try:
        body: Any = await request.json()
    except ValueError:
        raise Refused(400, "invalid", INVALID) from None
    if not isinstance(body, dict):
        raise Refused(400, "invalid", INVALID)
    session_id, email = body.get("session_id"), body.get("email")
    if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
        raise Refused(400, "no_session", NO_SESSION)
    if email is None or (isinstance(email, str) and not email.strip()):
        return session_id, None
    if not isinstance(email, str) or len(email) > MAX_EMAIL_CHARS:
        raise Refused(400, "bad_address", BAD_ADDRESS)
    return session_id, email.strip()


async def _send(service: ServiceClient, conversation_id: str, email: str | None) -> str:
    try:
        answer = await service.send_transcript(conversation_id, email)
    except ServiceRefused as error:  # its text may hold the address: never logged
        raise _refused_by_service(error.status, error.error, email) from None
    except ServiceUnavailable as error:
        if error.code == "mail_not_set_up":
            raise Refused(503, "mail_not_set_up", MAIL_NOT_SET_UP) from None
        log.error("transcript email for %s: the service did not answer: %s", conversation_id, error)
        raise Refused(503, "unavailable", UNAVAILABLE) from None
    sent_to = answer.get("sent_to")
    if not isinstance(sent_to, str):
        log.error("transcript email for %s: the service's answer has no sent_to", conversation_id)
        raise Refused(503, "unavailable", UNAVAILABLE)
    log.info("transcript email queued for conversation %s", conversation_id)
    return sent_to


def _refused_by_service(status: int, error: str, email: str | None) -> Refused:
    """A 4xx of the service in the customer's words (service/desk/follow_up_mail.py)."""
    if status == 404:
        return Refused(404, "nothing_to_send", NOTHING_TO_SEND)
    if status == 400 and "already sent" in error:
        return Refused(409, "too_many", f"{error} - that is as many as we send for one request")
    if status == 400 and email is None:
        return Refused(400, "no_address", NO_ADDRESS)
    if status == 400:
        return Refused(400, "bad_address", error or BAD_ADDRESS)
    log.error("transcript email: the service refused the gateway's call with %s", status)
    return Refused(503, "unavailable", UNAVAILABLE)
