"""The order service's aiohttp app: `create_app(db_path, token)`, its routes in one table, the
bearer-token check and the middleware that makes every error a JSON body
`{"error": code, "message": text}` (never a bare 500).

The database is opened, seeded when empty (seed.py) and closed in `cleanup_ctx`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware

from infra.clock import Clock, utc_now
from infra.http_errors import error_message, kept_headers
from order_service import errors, views
from order_service.errors import ShopRefusal
from order_service.parsing import MAX_BODY_BYTES, api_error
from order_service.schema import open_database
from order_service.seed import seed_if_empty
from order_service.settings import MIN_TOKEN_LENGTH
from order_service.store import OrderStore

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_PATHS = frozenset({"/health"})
ORDER = "/v1/orders/{number}"

ROUTES = [
    web.get("/health", views.health),
    web.get(ORDER, views.get_order),
    web.post(ORDER + "/cancellation", views.cancel_order),
    web.post(ORDER + "/returns", views.create_return),
    web.post(ORDER + "/refunds", views.create_refund),
]
REFUSAL_STATUS = {errors.ORDER_NOT_FOUND: 404, errors.IDEMPOTENCY_KEY_REUSED: 422}
"""The HTTP status of each refusal; any other is 409 (the order's state forbids it)."""
HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


def create_app(db_path: Path | str, token: str, *, clock: Clock = utc_now) -> web.Application:
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"the API token must be at least {MIN_TOKEN_LENGTH} characters")
    app = web.Application(
        middlewares=[json_errors, bearer_auth(token)], client_max_size=MAX_BODY_BYTES
    )
    app[views.CLOCK] = clock
    app.cleanup_ctx.append(_database(Path(db_path), clock))
    app.add_routes(ROUTES)
    return app


def _database(path: Path, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        db = await open_database(path)
        try:
            seeded = await seed_if_empty(db, clock().date())
            if seeded:
                log.info("seeded %d sample orders", seeded)
            app[views.STORE] = OrderStore(db)
            yield
        finally:
            await db.close()

    return context


def bearer_auth(token: str) -> Middleware:
    """`Authorization: Bearer <token>` on every path but /health, compared in constant time."""
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode()
        if request.path not in PUBLIC_PATHS and not hmac.compare_digest(given, expected):
            error = api_error(
                web.HTTPUnauthorized,
                "unauthorized",
                "send the order service's token as 'Authorization: Bearer <token>'",
            )
            error.headers["WWW-Authenticate"] = "Bearer"
            raise error
        return await handler(request)

    return middleware


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The shop's refusals with their status; aiohttp's own errors (404 route, 405 method, 413
    body) in the same JSON shape, their headers kept; anything else a logged 500."""
    try:
        return await handler(request)
    except ShopRefusal as refusal:
        status = REFUSAL_STATUS.get(refusal.code, 409)
        return web.json_response({"error": refusal.code, "message": refusal.message}, status=status)
    except web.HTTPException as error:
        if error.content_type == "application/json" or error.status < 400:
            raise
        code = HTTP_ERROR_CODES.get(error.status, f"http_{error.status}")
        body = {"error": code, "message": _message(request, error)}
        return web.json_response(body, status=error.status, headers=kept_headers(error))
    except Exception:
        route = request.match_info.route.resource
        log.exception("unexpected error on %s %s", request.method, route and route.canonical)
        body = {"error": "internal_error", "message": "internal error; it has been logged"}
        return web.json_response(body, status=500)


def _message(request: web.Request, error: web.HTTPException) -> str:
    if isinstance(error, web.HTTPRequestEntityTooLarge):
        return f"the body is larger than {MAX_BODY_BYTES} bytes; send at most that"
    return error_message(request, error)
