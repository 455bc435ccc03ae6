"""The gateway's aiohttp app: the socket.io server with its handlers (gateway/server.py's
`Gateway`), opened and closed with the app, and every HTTP route of the public gateway.

    /socket.io/                        the widget's socket.io channel (Rasa's protocol)
    GET /health[/live|/ready]          gateway/health.py
    /console, /console/api/...         the agent console and its API (gateway/console.py)
    GET /metrics                       with METRICS_TOKEN (gateway/prometheus.py)
    POST /widget/resume, /widget/transcript-email, /requests...
                                       the customer's HTTP routes (gateway/widget_http.py)
    /, /static/..., /widget/...        the demo page and the widget's files (gateway/web.py)

Security headers go on every response (gateway/web.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import socketio
from aiohttp import web

from gateway import packet_json, packets, requests_page, resume, transcript_email
from gateway.console import setup_console
from gateway.health import setup_health
from gateway.prometheus import GatewayMetrics, setup_metrics
from gateway.server import Gateway
from gateway.settings import GatewaySettings
from gateway.shared_rooms import listen_now, shared_rooms
from gateway.web import setup_web
from gateway.widget_http import CUSTOMER_ROUTES, CustomerRoutes
from handoff.store.conversations import RedisConversations
from helpdesk.enqueue import queue_events
from infra import redis_client
from infra.clock import Clock, utc_now

GATEWAY = web.AppKey("gateway", Gateway)


def create_app(settings: GatewaySettings, clock: Clock = utc_now) -> web.Application:
    """The gateway's app (see the module's docstring)."""
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=shared_rooms(settings),
        cors_allowed_origins=list(settings.allowed_origins),
        max_http_buffer_size=64 * 1024,
        serializer=packets.GatewayPacket,
        json=packet_json,
    )
    app = web.Application(client_max_size=64 * 1024)
    sio.attach(app)
    metrics = GatewayMetrics()

    async def context(app: web.Application) -> AsyncIterator[None]:
        client = await redis_client.connect_checked(settings.redis_url)
        conversations = RedisConversations(settings.redis_url, queue_events=queue_events)
        http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=settings.rasa_timeout_seconds)
        )
        gateway = Gateway(settings, sio, client, conversations, http, clock, metrics)
        app[GATEWAY] = gateway
        app[CUSTOMER_ROUTES] = CustomerRoutes(
            settings, gateway.store, gateway.service, http, gateway.moved
        )
        gateway.start()
        listen_now(sio)
        yield
        await gateway.close()
        await http.close()
        await conversations.close()
        await client.aclose()

    app.cleanup_ctx.append(context)
    setup_health(app, lambda app: app[GATEWAY])  # /health, /health/live, /health/ready
    setup_console(app, settings)
    setup_metrics(app, settings.metrics_token, metrics)
    resume.add_resume(app)  # POST /widget/resume (gateway/resume.py)
    transcript_email.add_transcript_email(app)  # POST /widget/transcript-email
    requests_page.add_requests_page(app)  # the customer's /requests page
    setup_web(app)
    return app
