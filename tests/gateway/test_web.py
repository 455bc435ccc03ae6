"""The gateway's web side: the demo page embeds the widget as a customer's site would, the
widget's files are served with the right types and cache headers, unknown paths are JSON 404s,
and every response carries the strict security headers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
import redis.asyncio as redis

from gateway.app import create_app
from gateway.web import CONTENT_SECURITY_POLICY, STATIC_DIR, WIDGET_FILES
from tests.gateway.support import ORIGIN, gateway_settings

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


@pytest.fixture
async def http(aiohttp_client, redis_url: str, redis_client: redis.Redis) -> Any:  # type: ignore[no-untyped-def]
    settings = gateway_settings(redis_url, "http://127.0.0.1:9")
    return await aiohttp_client(create_app(settings))


def assert_security_headers(response: Any) -> None:
    assert response.headers["Content-Security-Policy"] == STRICT_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


class Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[dict[str, str | None]] = []
        self.bodies: list[str] = []
        self.inline_handlers: list[str] = []
        self.styles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inline_handlers += [name for name, _ in attrs if name.startswith("on")]
        self.styles += tag == "style" or any(name == "style" for name, _ in attrs)
        if tag == "script":
            self.tags.append(dict(attrs))
            self.bodies.append("")
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.bodies[-1] += data


def test_the_policy_is_the_strict_one() -> None:
    assert CONTENT_SECURITY_POLICY == STRICT_CSP


async def test_the_demo_page_embeds_the_widget_with_one_script_tag_and_no_inline_code(http) -> None:  # type: ignore[no-untyped-def]
    response = await http.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    assert_security_headers(response)
    page = await response.text()
    assert "Hearthly" in page
    scripts = Scripts()
    scripts.feed(page)
    executable = [tag for tag in scripts.tags if tag.get("type") != "application/json"]
    assert executable == [
        {"src": "/widget/widget.js", "defer": None, "data-config": "support-widget-config"}
    ]
    assert scripts.bodies[scripts.tags.index(executable[0])].strip() == ""
    config_index = next(i for i, tag in enumerate(scripts.tags) if tag.get("type"))
    assert scripts.tags[config_index]["id"] == "support-widget-config"
    config = json.loads(scripts.bodies[config_index])
    assert config["title"] == "Hearthly Help"
    assert scripts.inline_handlers == [] and scripts.styles == 0  # CSP would block them


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/widget/widget.js", "text/javascript"),
        ("/widget/widget-chat.js", "text/javascript"),
        ("/widget/widget-socket.js", "text/javascript"),
        ("/widget/widget.css", "text/css"),
        ("/static/demo.css", "text/css"),
    ],
)
async def test_the_widget_files_are_served_with_types_and_cache_headers(
    http, path, content_type
) -> None:  # type: ignore[no-untyped-def]
    response = await http.get(path)
    assert response.status == 200
    assert response.content_type == content_type
    assert response.charset == "utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=300, must-revalidate"
    assert "ETag" in response.headers or "Last-Modified" in response.headers
    assert_security_headers(response)
    name = path.rsplit("/", 1)[1]
    assert await response.read() == (STATIC_DIR / name).read_bytes()
    # widget.js imports its modules: other sites' pages may read them (public, no cookies)
    cors = response.headers.get("Access-Control-Allow-Origin")
    assert cors == ("*" if path.startswith("/widget/") else None)


@pytest.mark.parametrize(
    "path",
    [
        "/widget/nope.js",
        "/widget/widget-nope.js",
        "/widget/index.html",
        "/widget/demo.css",
        "/static/widget.js",
        "/static/index.html",
        "/widget/..%2Fserver.py",
        "/widget/%2e%2e%2fsettings.py",
        "/static/..%2F..%2Fpyproject.toml",
        "/widget/",
        "/static/",
        "/nothing-here",
    ],
)
async def test_unknown_and_sneaky_paths_are_json_404s_with_the_headers(http, path) -> None:  # type: ignore[no-untyped-def]
    response = await http.get(path)
    assert response.status == 404
    body = await response.json()
    assert body["error"].startswith("Not Found")
    assert_security_headers(response)


async def test_every_response_has_the_headers_health_errors_and_socketio(http) -> None:  # type: ignore[no-untyped-def]
    health = await http.get("/health")
    assert health.status == 200
    assert_security_headers(health)
    wrong_method = await http.post("/")
    assert wrong_method.status == 405
    assert "error" in await wrong_method.json()
    assert_security_headers(wrong_method)
    handshake = await http.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": ORIGIN})
    assert handshake.status == 200
    assert (await handshake.text()).startswith("0{")  # engine.io's open packet, untouched
    assert_security_headers(handshake)


@pytest.mark.parametrize("name", sorted(WIDGET_FILES - {"widget.css"}))
def test_the_widget_never_parses_strings_as_html_or_code(name: str) -> None:
    """Customer and agent text goes through textContent; links are built as elements."""
    source = (STATIC_DIR / name).read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink
    assert not re.search(r"new Function\b", source)
    assert "javascript:" not in source.lower()


async def test_the_chart_library_is_served_from_web_node_modules_with_its_licence(http) -> None:  # type: ignore[no-untyped-def]
    library = await http.get("/vendor/uplot.js")
    style = await http.get("/vendor/uplot.css")
    licence = await http.get("/vendor/uplot-LICENSE.txt")
    unknown = await http.get("/vendor/uPlot.iife.js")

    assert library.status == 200, "run scripts/bootstrap.sh web"
    assert library.headers["Content-Type"].startswith("text/javascript")
    assert "export { uPlot as default }" in await library.text()
    assert_security_headers(library)
    assert style.status == 200 and style.headers["Content-Type"].startswith("text/css")
    assert licence.status == 200 and "MIT" in await licence.text()
    assert unknown.status == 404


def test_the_dashboards_tiles_name_metrics_that_exist() -> None:
    import re

    from metrics.definitions import DISTRIBUTIONS, GROUPED, RATES, SHARES

    script = (STATIC_DIR / "console-dashboard.js").read_text(encoding="utf-8")
    charts = (STATIC_DIR / "console-charts.js").read_text(encoding="utf-8")
    tiles = re.findall(r'^  \["([a-z_]+)", "', script, flags=re.MULTILINE)
    lines = re.findall(r'\["([a-z_]+)", "[^"]+", "#', charts)
    assert len(tiles) >= 20 and len(lines) == 6
    known = set(RATES) | set(DISTRIBUTIONS) | set(GROUPED) | set(SHARES)
    assert set(tiles + lines) <= known, set(tiles + lines) - known
