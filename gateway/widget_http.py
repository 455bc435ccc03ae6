"""What the customer-facing HTTP routes of the gateway share (the resume link, gateway/resume.py;
the transcript by email, gateway/transcript_email.py; the customer's own requests page,
gateway/requests_page.py): the gateway's connections they use, how they refuse, how they limit a
caller and how they answer a CORS preflight.

They use the gateway's own Redis connection, HTTP client and service client (`CustomerRoutes`,
set by gateway/app.py when it starts), not connections of their own.

Every refusal is JSON `{"error": what the customer reads, "reason": why, in one word}` with
`Cache-Control: no-store`, never a bare 500; `take_or_refuse` spends one token of a rate-limit
bucket (gateway/rate_limits.py) and refuses with 429 and Retry-After when it is empty, or 503
when Redis cannot say.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from gateway.client_address import client_address
from gateway.rate_limits import wait_text
from gateway.service_client import ServiceClient
from gateway.sessions import GatewayStore
from gateway.settings import GatewaySettings, RateLimit
from gateway.widget_cors import PREFLIGHT_HEADERS, cors_headers
from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class CustomerRoutes:
    """What the customer-facing HTTP routes use: the gateway's settings, its session store
    (sessions, rate limits), its service client and its HTTP client (for calls the service
    client does not make)."""

    settings: GatewaySettings
    store: GatewayStore
    service: ServiceClient
    http: aiohttp.ClientSession
    moved: Callable[[str], Awaitable[None]]
    """Tells a conversation's sockets it was reopened elsewhere (gateway/server.py `moved`)."""


CUSTOMER_ROUTES = web.AppKey("customer_routes", CustomerRoutes)


class Refused(Exception):
    """A customer's request refused: its status, the one-word reason and the words they read."""

    def __init__(self, status: int, reason: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.headers = status, reason, message, headers


def refusal(refused: Refused, cors: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": refused.message, "reason": refused.reason},
        status=refused.status,
        headers={**NO_STORE, **refused.headers, **(cors or {})},
    )


def caller_address(request: web.Request, settings: GatewaySettings) -> str:
    """The customer's address, through the proxies the settings trust."""
    return client_address(
        str(request.remote or "unknown"),
        request.headers.getall("X-Forwarded-For", []),
        settings.trusted_proxies,
    )


async def take_or_refuse(
    store: GatewayStore,
    scope: str,
    key: str,
    limit: RateLimit,
    *,
    too_often: str,
    unavailable: str,
) -> None:
    """Spend one token of `key`'s bucket in `scope`; Refused 429 ("{too_often} - try again in
    12 s", Retry-After) when it is empty, 503 (`unavailable`) when Redis cannot say."""
    try:
        retry_after = await store.take(scope, key, limit)
    except RedisUnavailable as error:
        log.error("%s: the rate limit could not be read: %s", scope, error)
        raise Refused(503, "unavailable", unavailable) from None
    if retry_after:
        message = f"{too_often} - try again in {wait_text(retry_after)}"
        wait = str(max(1, round(retry_after)))
        raise Refused(429, "rate_limited", message, **{"Retry-After": wait})


def preflight(
    refused_origin: str,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of the browser's CORS preflight for a widget POST from the company's site:
    204 with the CORS headers for an allowed origin, 403 saying `refused_origin` otherwise."""

    async def answer(request: web.Request) -> web.Response:
        headers = cors_headers(request, request.app[CUSTOMER_ROUTES].settings)
        if headers is None:
            return refusal(Refused(403, "origin", refused_origin))
        return web.Response(status=204, headers={**headers, **PREFLIGHT_HEADERS})

    return answer
