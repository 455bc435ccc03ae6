"""The gateway's web side: the demo page at `/`, the widget's files under `/widget/`, other
browser files of gateway/static/ under `/static/` (an explicit allow-list), the browser
libraries scripts/bootstrap.sh installs with npm under `/vendor/` (uPlot for the supervisor
dashboard's charts, with its licence; web/node_modules, never committed), the handoff's
vocabulary as an ES module for both (`/widget/vocabulary.js`, made from handoff/vocabulary.py),
security headers on every response, and JSON errors instead of aiohttp's plain-text pages.

Every response carries a strict Content-Security-Policy (nothing inline, nothing from other
origins), `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`. The widget
script can still be loaded by other sites: a `<script src>` is not subject to this header; the
Origin allow-list (GATEWAY_ALLOWED_ORIGINS) decides which sites' widgets may connect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path

from aiohttp import web

from handoff import vocabulary
from infra.http_errors import error_message, kept_headers

STATIC_DIR = Path(__file__).resolve().parent / "static"
WEB_LIBRARIES = Path(__file__).resolve().parents[1] / "web" / "node_modules"
VENDOR_FILES = {
    "uplot.js": "uplot/dist/uPlot.esm.js",
    "uplot.css": "uplot/dist/uPlot.min.css",
    "uplot-LICENSE.txt": "uplot/LICENSE",
}
"""The libraries' files a browser may fetch under /vendor/, by name (web/package.json)."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
# The files a browser may fetch, by URL folder. The agent console adds its own names here.
WIDGET_FILES = frozenset(
    {"widget.js", "widget.css"}
    | {
        f"widget-{part}.js"
        for part in (
            "chat", "dom", "http", "panel", "render", "resume", "socket", "store", "survey",
            "transcript",
        )
    }
)  # fmt: skip
# widget.js imports its modules; on another site's page that import is cross-origin (CORS).
# They are public files without credentials, so any origin may read them.
WIDGET_HEADERS = {"Access-Control-Allow-Origin": "*"}
STATIC_FILES = frozenset(
    {"demo.css", "console.js", "console.css"}
    | {
        f"console-{part}.js"
        for part in (
            "api", "dom", "sound", "ticket", "views", "dashboard", "board", "charts", "review",
            "orders", "approval", "content", "queues",
        )
    }
)  # fmt: skip
# The widget's and the console's modules import the handoff's words from here: no copies.
VOCABULARY_PATH = "/widget/vocabulary.js"
# Embedding sites fetch the widget on every page view: a short cache, revalidated by ETag.
ASSET_CACHE = "public, max-age=300, must-revalidate"
PAGE_CACHE = "no-cache"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def setup_web(app: web.Application) -> None:
    """Register the pages, the files, the JSON error middleware and the security headers."""
    app.middlewares.append(json_errors)
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/", demo_page)
    app.router.add_get(VOCABULARY_PATH, vocabulary_file)  # before /widget/{name}
    app.router.add_get("/widget/{name}", widget_file)
    app.router.add_get("/static/{name}", static_file)
    app.router.add_get("/vendor/{name}", vendor_file)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """4xx/5xx raised by routing or a view become `{"error": ...}` (the socket.io endpoint
    answers in its own protocol and is left alone)."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if (
            error.status < 400
            or error.content_type == "application/json"  # a view's own JSON error stands
            or request.path.startswith("/socket.io")
        ):
            raise
        if isinstance(error, web.HTTPMethodNotAllowed):
            message = error_message(request, error)
        else:
            message = f"{error.reason}: {request.method} {request.path}"
        return web.json_response(
            {"error": message}, status=error.status, headers=kept_headers(error)
        )


async def demo_page(request: web.Request) -> web.StreamResponse:
    return _file("index.html", PAGE_CACHE)


async def widget_file(request: web.Request) -> web.StreamResponse:
    return _allowed(request.match_info["name"], WIDGET_FILES, WIDGET_HEADERS)


async def static_file(request: web.Request) -> web.StreamResponse:
    return _allowed(request.match_info["name"], STATIC_FILES)


async def vendor_file(request: web.Request) -> web.StreamResponse:
    """A browser library installed by `scripts/bootstrap.sh web` (404 until it has run)."""
    relative = VENDOR_FILES.get(request.match_info["name"])
    if relative is None:
        raise web.HTTPNotFound()
    path = WEB_LIBRARIES / relative
    if not path.is_file():
        return web.json_response(
            {"error": "the browser libraries are not installed: run scripts/bootstrap.sh web"},
            status=404,
        )
    headers = {
        "Content-Type": CONTENT_TYPES.get(path.suffix, "text/plain; charset=utf-8"),
        "Cache-Control": ASSET_CACHE,
    }
    return web.FileResponse(path, headers=headers)


async def vocabulary_file(request: web.Request) -> web.StreamResponse:
    """handoff/vocabulary.py for the browser, cached and revalidated like the widget's files."""
    body, digest = _vocabulary()
    headers = {"Content-Type": CONTENT_TYPES[".js"], "Cache-Control": ASSET_CACHE, **WIDGET_HEADERS}
    if any(tag.value == digest for tag in request.if_none_match or ()):
        response = web.Response(status=304, headers=headers)
    else:
        response = web.Response(body=body, headers=headers)
    response.etag = digest
    return response


def vocabulary_module() -> str:
    """Every public name of handoff/vocabulary.py as a frozen `export const` of an ES module."""
    lines = [
        "// The handoff's vocabulary, made by the gateway from handoff/vocabulary.py:",
        "// change the words there, never here.",
    ]
    for name, value in vars(vocabulary).items():
        if not name.isupper() or name.startswith("_"):
            continue
        if isinstance(value, tuple):
            lines.append(f"export const {name} = Object.freeze({json.dumps(list(value))});")
        elif isinstance(value, str | int):
            lines.append(f"export const {name} = {json.dumps(value)};")
        else:
            raise TypeError(f"handoff.vocabulary.{name}: no JavaScript form for {value!r}")
    return "\n".join(lines) + "\n"


@cache
def _vocabulary() -> tuple[bytes, str]:
    body = vocabulary_module().encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:32]


def _allowed(
    name: str, allowed: frozenset[str], extra_headers: dict[str, str] | None = None
) -> web.StreamResponse:
    if name not in allowed:
        raise web.HTTPNotFound()
    return _file(name, ASSET_CACHE, extra_headers)


def _file(
    name: str, cache_control: str, extra_headers: dict[str, str] | None = None
) -> web.StreamResponse:
    path = STATIC_DIR / name
    if not path.is_file():
        raise web.HTTPNotFound()
    headers = {
        "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
        "Cache-Control": cache_control,
        **(extra_headers or {}),
    }
    return web.FileResponse(path, headers=headers)
