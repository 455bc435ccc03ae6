"""What the customer-facing HTTP routes of the gateway share (the resume link, gateway/resume.py;
the transcript by email, gateway/transcript_email.py; the customer's own requests page,
gateway/requests_page.py): how they refuse and how they limit a caller.

Every refusal is JSON `{"error": what the customer reads, "reason": why, in one word}` with
`Cache-Control: no-store`, never a bare 500; `take_or_refuse` spends one token of a rate-limit
bucket (gateway/rate_limits.py) and refuses with 429 and Retry-After when it is empty, or 503
when Redis cannot say.
"""

from __future__ import annotations

import logging

from aiohttp import web

from gateway.client_address import client_address
from gateway.rate_limits import wait_text
from gateway.sessions import GatewayStore
from gateway.settings import GatewaySettings, RateLimit
from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


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
