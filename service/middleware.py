"""Cross-cutting request handling: internal-token auth, JSON errors instead of bare 500s, and
the time of every request for Prometheus."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from infra.http_errors import error_message, kept_headers
from service.errors import DESK_ERRORS, desk_error_answer, json_error
from service.prometheus import ServiceMetrics

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_PATHS = frozenset({"/health", "/health/live", "/health/ready"})


METRICS_PATH = "/metrics"


def token_auth(
    token: str, own_auth_prefixes: tuple[str, ...] = (), metrics_token: str = ""
) -> Middleware:
    """The service token on every path except the public ones and those under a prefix that
    authenticates on its own (the agent API's per-agent tokens). GET /metrics also takes the
    metrics token, which is good for nothing else (what Prometheus holds)."""
    expected = f"Bearer {token}".encode()
    for_metrics = f"Bearer {metrics_token}".encode() if metrics_token else None

    def allowed(request: web.Request) -> bool:
        try:  # the header's own bytes: aiohttp keeps bytes that are not UTF-8 as surrogates
            given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return False
        if hmac.compare_digest(given, expected):
            return True
        return (
            for_metrics is not None
            and request.path == METRICS_PATH
            and hmac.compare_digest(given, for_metrics)
        )

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        own_auth = request.path in PUBLIC_PATHS or request.path.startswith(own_auth_prefixes)
        if not own_auth and not allowed(request):
            raise json_error(web.HTTPUnauthorized, "missing or wrong service token")
        return await handler(request)

    return middleware


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own errors (404 route, 405 method, 413 body) as JSON too, their headers kept
    (405's Allow); what the desk refuses as its status (service/errors.py). The catch-all only
    keeps a bug's traceback out of the answer: bad input is refused where it is parsed
    (service/request_parsing.py and the views)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        return web.json_response(
            {"error": error_message(request, exc)}, status=exc.status, headers=kept_headers(exc)
        )
    except DESK_ERRORS as error:
        raise desk_error_answer(error) from None
    except Exception:
        log.exception("unexpected error while handling %s %s", request.method, request.path)
        raise json_error(
            web.HTTPInternalServerError, "internal error; it has been logged"
        ) from None


def request_timing(metrics: ServiceMetrics) -> Middleware:
    """Every answered request's time by method, route pattern (`/agent/tickets/{ticket_id}`,
    never the path: ids stay out of the labels) and status; outermost, so it sees the status the
    client gets. A request the client abandoned (cancelled) is not counted."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"

        def record(status: int) -> None:
            metrics.record_request(request.method, route, status, time.perf_counter() - started)

        try:
            response = await handler(request)
        except web.HTTPException as error:
            record(error.status)
            raise
        except Exception:
            record(500)
            raise
        record(response.status)
        return response

    return middleware
