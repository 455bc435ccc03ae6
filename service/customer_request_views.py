"""The customer's own requests (service token; the gateway calls them for the customer's
requests page, gateway/requests_page.py). Each view reads whose requests they are, calls one
method of service/desk/customer_requests.py and renders its answer:

    POST /handoff/customer-requests                       {"requests": [...]}
    POST /handoff/customer-requests/{ticket_id}/messages  {"text"} -> 201 {"request": {...}}
    POST /handoff/customer-requests/{ticket_id}/close     -> {"request": {...}} (withdrawn)

Every body says whose requests, one way or the other: `{"token": ...}`, a requests link
(infra/signed_links.py, purpose "requests", checked here with LINK_SIGNING_SECRET on the desk's
clock), or `{"conversation_id": ...}`, which the caller vouches for (the gateway: the widget's
own session). A token travels in a body, never in a URL, so no log holds it. A link that cannot
be used is refused as `{"error": reason, "message": what the customer reads}`, with the
statuses gateway/resume.py gives a resume link: 400 malformed or wrong_purpose, 403 forged,
410 expired, 404 links_not_set_up (no LINK_SIGNING_SECRET). A ticket the access may not see is
a 404 like one that does not exist; a closed request refuses a message, and one a person has
(or that is closed) refuses to be withdrawn: 409 with the reason in the customer's words.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from infra.signed_links import LinkError, read_link_token
from service.desk.customer_requests import Access, CustomerRequests
from service.errors import bad_request, coded_error
from service.keys import HANDOFF, PRIVACY, SETTINGS
from service.request_parsing import (
    conversation_id_in_body,
    read_json_object,
    text_field,
    ticket_id_in_path,
)

NOT_SET_UP = "requests links are not set up here - open your requests from the chat instead"
LINK_STATUS: dict[str, type[web.HTTPException]] = {
    "malformed": web.HTTPBadRequest,
    "wrong_purpose": web.HTTPBadRequest,
    "forged": web.HTTPForbidden,
    "expired": web.HTTPGone,
}
"""The answer to each `LinkError.reason`, as gateway/resume.py answers a resume link."""


async def list_requests(request: web.Request) -> web.Response:
    access = access_in_body(request, await read_json_object(request))
    return web.json_response({"requests": await _requests(request).listing(access)})


async def add_message(request: web.Request) -> web.Response:
    ticket_id = ticket_id_in_path(request)
    body = await read_json_object(request)
    access = access_in_body(request, body)
    text = text_field(body, "text", request.app[SETTINGS].max_query_chars)
    answer = await _requests(request).add_message(access, ticket_id, text)
    return web.json_response({"request": answer}, status=201)


async def close_request(request: web.Request) -> web.Response:
    ticket_id = ticket_id_in_path(request)
    access = access_in_body(request, await read_json_object(request))
    return web.json_response({"request": await _requests(request).close(access, ticket_id)})


def access_in_body(request: web.Request, body: dict[str, Any]) -> Access:
    """Whose requests: the link's conversation and ticket, or the vouched-for conversation."""
    token, conversation_id = body.get("token"), body.get("conversation_id")
    if (token is None) == (conversation_id is None):
        raise bad_request('send either "token" (a requests link) or "conversation_id"')
    if token is None:
        return Access(conversation_id_in_body(body))
    secret = request.app[SETTINGS].mail.link_secret  # LINK_SIGNING_SECRET (mail/settings.py)
    if not secret:
        raise coded_error(web.HTTPNotFound, "links_not_set_up", NOT_SET_UP)
    now = request.app[HANDOFF].now().timestamp()
    try:
        claims = read_link_token(secret, token, "requests", now)
    except LinkError as error:
        status = LINK_STATUS.get(error.reason, web.HTTPBadRequest)
        raise coded_error(status, error.reason, str(error)) from None
    return Access(claims.conversation_id, claims.ticket_id)


def _requests(request: web.Request) -> CustomerRequests:
    return CustomerRequests(request.app[HANDOFF], request.app[PRIVACY])
