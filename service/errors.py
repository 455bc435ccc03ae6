"""The service's errors as JSON answers, for the views and the middlewares: `json_error` and its
two common cases, and the one mapping from what the desk and the handoff core refuse to an HTTP
status (`desk_error_answer`, applied by the `json_errors` middleware), so a view never catches
a domain error and none becomes a bare 500.

    404  NotFound (no such ticket or conversation)
    403  NotAllowed (another team's ticket, someone else's chat); NotVerified (an order the
         conversation has not proved), as {"error": "not_verified", "message": ...}
    409  Conflict (already claimed, closed, rated; the agent at capacity)
    400  TransitionError, InvalidRequest, an unreadable tracker or ticket
    503  HandoffPending and ActionPending (Retry-After: 1), RedisUnavailable, ShopUnavailable
         (the shop's API)
"""

from __future__ import annotations

from aiohttp import web

from commerce.connector import ShopUnavailable
from handoff import lifecycle
from handoff.ticket.model import TicketFormatError
from handoff.ticket.transcript import TrackerFormatError
from infra.redis_client import RedisUnavailable
from service.desk.errors import (
    ActionPending,
    HandoffPending,
    InvalidRequest,
    NotFound,
    NotVerified,
)

ANSWERS: tuple[tuple[type[Exception], type[web.HTTPException], str], ...] = (
    (NotFound, web.HTTPNotFound, ""),
    (lifecycle.NotAllowed, web.HTTPForbidden, ""),
    (lifecycle.Conflict, web.HTTPConflict, ""),
    (lifecycle.TransitionError, web.HTTPBadRequest, ""),
    (InvalidRequest, web.HTTPBadRequest, ""),
    (TrackerFormatError, web.HTTPBadRequest, "tracker: "),
    (TicketFormatError, web.HTTPBadRequest, "the conversation cannot be packaged as a ticket: "),
    (RedisUnavailable, web.HTTPServiceUnavailable, ""),
    (ShopUnavailable, web.HTTPServiceUnavailable, "the shop is unavailable: "),
)
"""Each refusal, the status it answers with and what the message starts with (first match
wins: NotAllowed and Conflict are TransitionErrors)."""
PENDING = (HandoffPending, ActionPending)
"""Another request is doing the same thing: 503 with Retry-After: 1."""
DESK_ERRORS: tuple[type[Exception], ...] = (
    *PENDING,
    NotVerified,
    *(error for error, _, _ in ANSWERS),
)


def json_error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=web.json_response({"error": message}).text, content_type="application/json")


def coded_error(status: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    """An error a program tells apart by its `code`: `{"error": code, "message": text}`."""
    body = web.json_response({"error": code, "message": message}).text
    return status(text=body, content_type="application/json")


def bad_request(message: str) -> web.HTTPException:
    return json_error(web.HTTPBadRequest, message)


def unavailable(message: str, retry_after: int | None = None) -> web.HTTPException:
    error = json_error(web.HTTPServiceUnavailable, message)
    if retry_after is not None:
        error.headers["Retry-After"] = str(retry_after)
    return error


def desk_error_answer(error: Exception) -> web.HTTPException:
    """The JSON answer to one of DESK_ERRORS."""
    if isinstance(error, PENDING):
        return unavailable(str(error), retry_after=1)
    if isinstance(error, NotVerified):
        return coded_error(web.HTTPForbidden, "not_verified", str(error))
    for refusal, status, prefix in ANSWERS:
        if isinstance(error, refusal):
            return json_error(status, prefix + str(error))
    raise TypeError(f"{type(error).__name__} is not a desk error") from error
