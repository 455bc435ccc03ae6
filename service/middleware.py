"""Cross-cutting request handling: internal-token auth and JSON errors instead of bare 500s."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_PATHS = frozenset({"/health"})


def json_error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=web.json_response({"error": message}).text, content_type="application/json")


def token_auth(token: str, own_auth_prefixes: tuple[str, ...] = ()) -> Middleware:
    """The service token on every path except the public ones and those under a prefix that
    authenticates on its own (the agent API's per-agent tokens)."""
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in PUBLIC_PATHS and not request.path.startswith(own_auth_prefixes):
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                raise json_error(web.HTTPUnauthorized, "missing or wrong service token")
        return await handler(request)

    return middleware


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own errors (404 route, 405 method, 413 body) as JSON too, their headers kept
    (405's Allow). The catch-all only keeps a bug's traceback out of the answer: bad input is
    refused where it is parsed (service/request_parsing.py)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        return web.json_response(
            {"error": error_message(request, exc)}, status=exc.status, headers=kept_headers(exc)
        )
    except Exception:
        log.exception("unexpected error while handling %s %s", request.method, request.path)
        raise json_error(
            web.HTTPInternalServerError, "internal error; it has been logged"
        ) from None


def error_message(request: web.Request, error: web.HTTPException) -> str:
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return f"{request.method} is not allowed on {request.path}; use {allowed}"
    return error.text or error.reason


def kept_headers(error: web.HTTPException) -> dict[str, str]:
    """The error's own headers (Allow, Retry-After) without those of its plain-text body."""
    dropped = {"content-type", "content-length"}
    return {name: value for name, value in error.headers.items() if name.lower() not in dropped}
