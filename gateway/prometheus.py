"""The gateway's Prometheus metrics and its `/metrics` page. The gateway is the public port, so
the page answers only a bearer token equal to METRICS_TOKEN (compared in constant time; 401
otherwise); without METRICS_TOKEN there is no page (404). One registry per app, so tests can build
several gateways in one process. Names start with `support_`, times are in seconds, and no label
holds customer input or an id:

    support_reply_duration_seconds              a customer's message to Rasa's answer (the REST
                                                webhook on loopback; failed calls included)
    support_relay_duration_seconds{direction}   to_team: a customer's message into the open
                                                ticket; to_customer: an outbox entry (an agent's
                                                message, a notice) from Redis to the sockets
    support_connected_sockets                   widget sockets with a session on this gateway
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

REPLY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
RELAY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TO_TEAM = "to_team"
TO_CUSTOMER = "to_customer"


class GatewayMetrics:
    """The gateway's metrics in their own registry; gateway/server.py records through them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reply_seconds = Histogram(
            "support_reply_duration_seconds",
            "Seconds from a customer's message to Rasa's answer (failed calls included).",
            buckets=REPLY_BUCKETS,
            registry=self.registry,
        )
        self.relay_seconds = Histogram(
            "support_relay_duration_seconds",
            "Seconds to relay a live-chat message: to_team (customer message into the ticket), "
            "to_customer (outbox entry to the widget's sockets).",
            ["direction"],
            buckets=RELAY_BUCKETS,
            registry=self.registry,
        )
        self.sockets = Gauge(
            "support_connected_sockets",
            "Widget sockets with a confirmed session on this gateway.",
            registry=self.registry,
        )
        ProcessCollector(registry=self.registry)

    def count_sockets_with(self, count: Callable[[], int]) -> None:
        """`count` is read at every scrape (the gateway's in-memory members)."""
        self.sockets.set_function(count)

    def delivered(self, entry_id: str, now: float | None = None) -> None:
        """An outbox entry reached the sockets: its age, from the Redis stream id's
        milliseconds (the time Redis added it) to now."""
        milliseconds, _, _ = entry_id.partition("-")
        if milliseconds.isdigit():
            now = time.time() if now is None else now
            age = max(0.0, now - int(milliseconds) / 1000)
            self.relay_seconds.labels(TO_CUSTOMER).observe(age)

    def page(self) -> bytes:
        return generate_latest(self.registry)


def setup_metrics(app: web.Application, token: str, metrics: GatewayMetrics) -> None:
    """GET /metrics behind `token`; nothing is registered when the token is empty."""
    if not token:
        return
    expected = f"Bearer {token}".encode()

    async def metrics_page(request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": "missing or wrong metrics token"}),
                content_type="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return web.Response(
            body=metrics.page(),
            headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "Cache-Control": "no-store"},
        )

    app.router.add_get("/metrics", metrics_page)
