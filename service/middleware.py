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
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        # aiohttp's own errors (404 route, 405, 413 body too large) as JSON too
        return web.json_response({"error": exc.text or exc.reason}, status=exc.status)
    except Exception:
        log.exception("unexpected error while handling %s %s", request.method, request.path)
        raise json_error(
            web.HTTPInternalServerError, "internal error; it has been logged"
        ) from None
