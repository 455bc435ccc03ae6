"""The customer's own requests page behind the public gateway: their open and past requests
(status, the conversation, the promised reply time), a message added to an open one, a waiting
one withdrawn.

    GET  /requests                            the page (gateway/static/requests.html)
    GET  /requests/requests.js, requests.css  its script and style
    POST /requests/api/list                   -> {"requests": [...]}
    POST /requests/api/{ticket_id}/messages   {"text"} -> 201 {"request": {...}}
    POST /requests/api/{ticket_id}/close      -> {"request": {...}} (withdrawn)

Every API body says who the customer is, one way or the other: `{"token": ...}`, the requests
link's token (`{gateway}/requests#token=<token>` in a follow-up email: the page reads it from the
fragment, which never reaches a server), passed to the service as it came (the service checks
it: service/customer_request_views.py), or `{"session_id": ...}`, the widget's own session (its
secret), which the gateway turns into its conversation id (gateway/sessions.py) and vouches for.
Neither is ever in a URL or a log line of ours.

The answers are the service's (`POST /handoff/customer-requests...`, service token), with every
refusal as `{"error": what the customer reads, "reason": one word}` like a resume link's
(gateway/resume.py): `malformed` or `wrong_purpose` 400, `forged` 403, `expired` 410,
`links_not_set_up` 404 (no LINK_SIGNING_SECRET), `session_ended` 403 (a session the gateway no
longer knows), `not_found` 404 (not one of this customer's requests, or none at all: the same),
`conflict` 409 (closed, or a person already has it), `invalid` 400, `rate_limited` 429 with
Retry-After (scope `requests`: the client address's bucket, sized like its message limit),
`unavailable` 503 (Redis or the service). Never a bare 500.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from gateway.sessions import SESSION_ID, GatewayStore
from gateway.widget_http import (
    CUSTOMER_ROUTES,
    NO_STORE,
    CustomerRoutes,
    Refused,
    caller_address,
    refusal,
    take_or_refuse,
)
from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
PAGE_FILES = {
    "requests.js": "text/javascript; charset=utf-8",
    "requests.css": "text/css; charset=utf-8",
}
RATE_SCOPE = "requests"
MAX_BODY_BYTES = 16 * 1024
SERVICE_TIMEOUT = aiohttp.ClientTimeout(total=10.0)
SERVICE_PATH = "/handoff/customer-requests"
TICKET_ID = re.compile(r"^[\w.-]{1,64}$")
ACTIONS = ("messages", "close")
REASONS = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "invalid"}
"""The reason of a service refusal that names none (its plain `{"error"}`), by status."""
NO_ACCESS = 'open this page from the link in our email, or from the chat\'s "Your requests" link'
SESSION_ENDED = (
    "this chat session has ended - open your requests from the link in our latest email, "
    "or start a new chat"
)
UNAVAILABLE = "your requests can't be shown right now - try again in a few minutes"


def add_requests_page(app: web.Application) -> None:
    """Add the page, its files and its API."""
    app.router.add_get("/requests", page)
    app.router.add_get("/requests/{name:requests\\.(?:js|css)}", page_file)
    app.router.add_post("/requests/api/list", list_requests)
    app.router.add_post("/requests/api/{ticket_id}/{action}", act)


async def page(request: web.Request) -> web.StreamResponse:
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}
    return web.FileResponse(STATIC / "requests.html", headers=headers)


async def page_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    headers = {"Content-Type": PAGE_FILES[name], "Cache-Control": "no-cache"}
    return web.FileResponse(STATIC / name, headers=headers)


async def list_requests(request: web.Request) -> web.Response:
    """The customer's requests."""
    return await _answer(request, SERVICE_PATH, with_text=False)


async def act(request: web.Request) -> web.Response:
    """A message on one request (`messages`) or its withdrawal (`close`)."""
    ticket_id, action = request.match_info["ticket_id"], request.match_info["action"]
    if not TICKET_ID.match(ticket_id) or action not in ACTIONS:
        return refusal(Refused(404, "not_found", "there is no such request"))
    path = f"{SERVICE_PATH}/{quote(ticket_id)}/{action}"
    return await _answer(request, path, with_text=action == "messages")


async def _answer(request: web.Request, path: str, *, with_text: bool) -> web.Response:
    context = request.app[CUSTOMER_ROUTES]
    try:
        await _within_limit(request, context)
        body = await _body(request)
        forwarded = await _access(body, context.store)
        if with_text:
            forwarded["text"] = body.get("text")
        status, answer = await _call_service(context, path, forwarded)
    except Refused as refused:
        return refusal(refused)
    return web.json_response(answer, status=status, headers=NO_STORE)


async def _within_limit(request: web.Request, context: CustomerRoutes) -> None:
    await take_or_refuse(
        context.store,
        RATE_SCOPE,
        caller_address(request, context.settings),
        context.settings.address_rate,
        too_often="too many requests from your network",
        unavailable=UNAVAILABLE,
    )


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise Refused(413, "invalid", f"the request can be at most {MAX_BODY_BYTES // 1024} KB")
    data = await request.content.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise Refused(413, "invalid", f"the request can be at most {MAX_BODY_BYTES // 1024} KB")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "invalid", "send a JSON object") from None
    if not isinstance(body, dict):
        raise Refused(400, "invalid", "send a JSON object")
    return body


async def _access(body: dict[str, Any], store: GatewayStore) -> dict[str, Any]:
    """Who the customer is, for the service: their link's token as it came, or the
    conversation of their widget session."""
    token, session_id = body.get("token"), body.get("session_id")
    if token is not None:
        return {"token": token}
    if session_id is None:
        raise Refused(400, "no_access", NO_ACCESS)
    try:
        found = await store.conversation_id(session_id) if _is_session(session_id) else None
    except RedisUnavailable as error:
        log.error("requests page: the session could not be read: %s", error)
        raise Refused(503, "unavailable", UNAVAILABLE) from None
    if found is None:
        raise Refused(403, "session_ended", SESSION_ENDED)
    return {"conversation_id": found}


def _is_session(value: object) -> bool:
    return isinstance(value, str) and SESSION_ID.match(value) is not None


async def _call_service(
    context: CustomerRoutes, path: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """The service's 2xx answer; a 4xx raised as Refused in the customer's words; anything
    else as unavailable."""
    settings = context.settings
    headers = {"Authorization": f"Bearer {settings.service_token}"}
    try:
        async with context.http.post(
            settings.service_url + path, json=body, headers=headers, timeout=SERVICE_TIMEOUT
        ) as response:
            status = response.status
            answer = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as failure:
        log.error("requests page: the service did not answer %s: %s", path, failure)
        raise Refused(503, "unavailable", UNAVAILABLE) from None
    if 200 <= status < 300 and isinstance(answer, dict):
        return status, answer
    if status == 401:  # SERVICE_TOKEN differs from the service's: ours to fix, not theirs
        log.error("requests page: the service refused the gateway's service token")
        raise Refused(503, "unavailable", UNAVAILABLE)
    error = answer.get("error") if isinstance(answer, dict) else None
    message = answer.get("message") if isinstance(answer, dict) else None
    if 400 <= status < 500 and isinstance(error, str) and isinstance(message, str):
        raise Refused(status, error, message)  # a coded refusal: the link's
    if 400 <= status < 500 and isinstance(error, str):
        raise Refused(status, REASONS.get(status, "invalid"), error)
    log.error("requests page: the service answered %s to %s", status, path)
    raise Refused(503, "unavailable", UNAVAILABLE)
