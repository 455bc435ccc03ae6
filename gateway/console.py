"""The agent console behind the public gateway: the page, the agent API proxy and live events.

    GET  /console                     the console page (gateway/static/console.html; its script
                                      and style are /static/console.js and .css, gateway/web.py)
    GET|POST|PUT /console/api/{path}  proxied to {service_url}/agent/{path} with the agent's own
                                      `Authorization: Bearer` header (the service checks it)
    GET  /console/api/events          Server-Sent Events of the agent's tickets (gateway/feed.py)

The gateway holds no agent state: the service authenticates every call (401 missing or wrong
token, 403 another team's ticket) and its status and error JSON come back unchanged, and so do
the supervisor's CSV exports (`text/csv` with their Content-Disposition); the query string is
passed on as the browser sent it. The proxy takes bodies of at most 64 KB (413 beyond), only
GET, POST and PUT (405 otherwise), paths of at most 5 plain segments (ids: letters, digits and
`._:@-`, so a review session's start time fits), and answers 503 JSON when the service cannot be
reached. It does not parse a
body: it passes it on as JSON, and the service reads it only after the token is checked (a
stranger gets 401 whatever the body; an agent's body that is not a JSON object gets the
service's 400, service/request_parsing.py). Every call, the event stream included, takes a
token from the caller address's bucket (scope `console`, the gateway's address limit; 429 with
Retry-After when empty). The token is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import aiohttp
from aiohttp import web
from yarl import URL

from gateway import feed
from gateway.client_address import client_address
from gateway.sessions import GatewayStore
from gateway.settings import GatewaySettings
from handoff.store.conversations import ConversationPort, RedisConversations
from helpdesk.enqueue import queue_events
from infra import redis_client
from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
ALLOWED_METHODS = ("GET", "POST", "PUT")
MAX_BODY_BYTES = 64 * 1024
MAX_SEGMENTS = 5  # review/conversations/{conversation_id}/{session}/verdict
SEGMENT = re.compile(r"^[A-Za-z0-9_:@-][A-Za-z0-9_.:@-]{0,127}$")  # no "." or ".." segments
PASSED_TYPES = ("application/json", "text/csv")
"""What the service may answer: JSON, or a supervisor's CSV export."""
SERVICE_TIMEOUT_SECONDS = 10.0
MAX_STREAMS = 500  # open event streams per gateway process (each holds a Redis connection)


@dataclass
class Console:
    settings: GatewaySettings
    http: aiohttp.ClientSession
    limits: GatewayStore
    conversations: ConversationPort
    heartbeat_seconds: float
    stream_seconds: float
    streams: set[asyncio.Task[object]] = field(default_factory=set)


CONSOLE = web.AppKey("console", Console)


def setup_console(
    app: web.Application,
    settings: GatewaySettings,
    *,
    heartbeat_seconds: float = 15.0,
    stream_seconds: float = 3600.0,
) -> None:
    """Add the console's routes, its HTTP client, its Redis connection (rate limits) and the
    handoff's port (the live feed), and close its event streams on shutdown (they would
    otherwise hold the shutdown for their heartbeat)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        client = redis_client.connect(settings.redis_url)
        conversations = RedisConversations(settings.redis_url, queue_events=queue_events)
        http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=SERVICE_TIMEOUT_SECONDS), auto_decompress=True
        )
        limits = GatewayStore(client, settings.session_ttl_seconds)
        app[CONSOLE] = Console(
            settings, http, limits, conversations, heartbeat_seconds, stream_seconds
        )
        yield
        await _close_streams(app)
        await http.close()
        await conversations.close()
        await client.aclose()

    app.cleanup_ctx.append(context)
    app.on_shutdown.append(_close_streams)
    app.router.add_get("/console", page)
    app.router.add_get("/content", content_page)
    app.router.add_route("*", "/console/api/events", events)
    app.router.add_route("*", "/console/api/{path:.+}", proxy)


async def page(request: web.Request) -> web.StreamResponse:
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}
    return web.FileResponse(STATIC / "console.html", headers=headers)


async def content_page(request: web.Request) -> web.StreamResponse:
    """The content team's page is the console's #content view."""
    raise web.HTTPFound("/console#content")


async def proxy(request: web.Request) -> web.StreamResponse:
    """One agent API call, passed to the service and its answer passed back."""
    if request.method not in ALLOWED_METHODS:
        return _method_not_allowed(ALLOWED_METHODS)
    refused = await _over_limit(request)
    if refused is not None:
        return refused
    segments = request.match_info["path"].split("/")
    if len(segments) > MAX_SEGMENTS or not all(SEGMENT.match(part) for part in segments):
        return json_error(404, "no such console API path")
    body = await _body(request)
    if isinstance(body, web.Response):
        return body
    console = request.app[CONSOLE]
    url = _service_url(console.settings.service_url, segments, request.rel_url.raw_query_string)
    headers = {"Accept": "application/json, text/csv"}
    if "Authorization" in request.headers:
        headers["Authorization"] = request.headers["Authorization"]
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        async with console.http.request(request.method, url, data=body, headers=headers) as answer:
            payload, status, content_type = await answer.read(), answer.status, answer.content_type
            disposition = answer.headers.get("Content-Disposition")
    except (aiohttp.ClientError, TimeoutError) as error:
        log.warning("console: the service did not answer %s: %s", request.method, error)
        return json_error(503, "the agent service is not available; try again shortly")
    if content_type not in PASSED_TYPES:
        return json_error(502, f"the agent service answered {status} without JSON")
    passed = {"Cache-Control": "no-store"}
    if disposition and content_type == "text/csv":
        passed["Content-Disposition"] = disposition
    return web.Response(
        body=payload,
        status=status,
        content_type=content_type,
        charset="utf-8" if content_type == "text/csv" else None,
        headers=passed,
    )


def _service_url(base: str, segments: list[str], raw_query: str) -> URL:
    """The agent API's URL: each (checked) segment quoted again, the query as it came."""
    path = "/".join(quote(segment, safe=":@") for segment in segments)
    return URL(f"{base}/agent/{path}" + (f"?{raw_query}" if raw_query else ""), encoded=True)


async def events(request: web.Request) -> web.StreamResponse:
    """The signed-in agent's live events (Server-Sent Events; see gateway/feed.py)."""
    if request.method != "GET":
        return _method_not_allowed(("GET",))
    refused = await _over_limit(request)
    if refused is not None:
        return refused
    console = request.app[CONSOLE]
    viewer = await _viewer(request)
    if isinstance(viewer, web.Response):
        return viewer
    if len(console.streams) >= MAX_STREAMS:
        return json_error(503, "too many live consoles on this gateway; try again shortly")
    task = asyncio.current_task()
    assert task is not None
    console.streams.add(task)
    try:
        return await _stream(request, console, viewer)
    finally:
        console.streams.discard(task)


async def _stream(
    request: web.Request, console: Console, viewer: feed.Viewer
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # a reverse proxy must not hold events back
        }
    )
    reader = console.conversations.open_feed(block_seconds=console.heartbeat_seconds)
    try:
        await response.prepare(request)
        await feed.pump(request, response, reader, viewer, stream_seconds=console.stream_seconds)
    except ConnectionResetError:
        pass  # the console went away: nothing to tell it
    except RedisUnavailable as error:
        log.warning("console events for %s stopped: %s", viewer.agent_id, error)
        with contextlib.suppress(ConnectionResetError):
            await response.write(b'event: unavailable\ndata: {"error": "live events paused"}\n\n')
    finally:
        await reader.close()
    return response


async def _viewer(request: web.Request) -> feed.Viewer | web.Response:
    """Who the token belongs to, asked once of the service (GET /agent/me)."""
    console = request.app[CONSOLE]
    headers = {"Accept": "application/json"}
    if "Authorization" in request.headers:
        headers["Authorization"] = request.headers["Authorization"]
    url = f"{console.settings.service_url}/agent/me"
    try:
        async with console.http.get(url, headers=headers) as answer:
            status, text = answer.status, await answer.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        log.warning("console: the service did not answer GET /agent/me: %s", error)
        return json_error(503, "the agent service is not available; try again shortly")
    try:
        me = json.loads(text)
        if status == 200:
            return feed.Viewer.from_me(me)
        error_text = str(me["error"])
    except (ValueError, KeyError, TypeError):
        return json_error(502, f"the agent service answered {status} unexpectedly")
    return json_error(status if 400 <= status < 500 else 503, error_text)


async def _body(request: web.Request) -> bytes | None | web.Response:
    """The body to pass on, unparsed: None when empty (or GET), else at most MAX_BODY_BYTES."""
    if request.method == "GET":
        return None
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _too_large()
    body = bytearray()
    try:
        async for chunk in request.content.iter_chunked(16 * 1024):
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return _too_large()
    except web.RequestPayloadError:  # e.g. a Content-Encoding the body is not in
        return json_error(400, "the body could not be read as its Content-Encoding says")
    if not body.strip():
        return None
    return bytes(body)


async def _over_limit(request: web.Request) -> web.Response | None:
    console = request.app[CONSOLE]
    # behind a trusted proxy, the agent's own address (gateway/client_address.py)
    address = client_address(
        request.remote or "unknown",
        request.headers.getall("X-Forwarded-For", []),
        console.settings.trusted_proxies,
    )
    try:
        retry_after = await console.limits.take("console", address, console.settings.address_rate)
    except RedisUnavailable as error:
        log.warning("console: rate limit not available: %s", error)
        return json_error(503, "the console is not available; try again shortly")
    if not retry_after:
        return None
    refused = json_error(429, f"too many requests; try again in {max(retry_after, 1):.0f} s")
    refused.headers["Retry-After"] = str(max(1, round(retry_after)))
    return refused


async def _close_streams(app: web.Application) -> None:
    console = app.get(CONSOLE)
    if console is None:
        return
    for task in list(console.streams):
        task.cancel()


def _too_large() -> web.Response:
    return json_error(413, f"the body can be at most {MAX_BODY_BYTES // 1024} KB")


def _method_not_allowed(allowed: tuple[str, ...]) -> web.Response:
    refused = json_error(405, f"use {', '.join(allowed)}")
    refused.headers["Allow"] = ", ".join(allowed)
    return refused


def json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
