"""The browser pages get the handoff's words from handoff/vocabulary.py, never a copy: the
gateway serves them as an ES module (`/widget/vocabulary.js`) with the widget files' headers, a
real browser imports exactly Python's values from it, and no script in gateway/static/ spells
out a list of those words itself."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import redis.asyncio as redis
from playwright.async_api import Page

from gateway.app import create_app
from gateway.web import STATIC_DIR, VOCABULARY_PATH
from handoff import vocabulary
from tests.gateway.support import gateway_settings
from tests.gateway.test_web import assert_security_headers

EXPORT = re.compile(r"^export const (\w+) = (?:Object\.freeze\((.*)\)|(.*));$")
STRING_ARRAY = re.compile(r"\[\s*(\"[\w-]*\"(?:\s*,\s*\"[\w-]*\")+)\s*,?\s*\]")


def python_values() -> dict[str, Any]:
    """Every public name of handoff/vocabulary.py as JSON would carry it (tuples as lists)."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in vars(vocabulary).items()
        if name.isupper() and not name.startswith("_")
    }


@pytest.fixture
async def http(aiohttp_client, redis_url: str, redis_client: redis.Redis) -> Any:  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(gateway_settings(redis_url, "http://127.0.0.1:9")))


async def test_the_vocabulary_is_served_like_the_widget_files(http) -> None:  # type: ignore[no-untyped-def]
    response = await http.get(VOCABULARY_PATH)
    assert response.status == 200
    assert response.content_type == "text/javascript" and response.charset == "utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=300, must-revalidate"
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # imported on other sites
    assert_security_headers(response)
    exported: dict[str, Any] = {}
    for line in (await response.text()).splitlines():
        if line.startswith("export "):
            name, frozen, plain = EXPORT.fullmatch(line).groups()  # type: ignore[union-attr]
            exported[name] = json.loads(frozen or plain)
    assert exported == python_values()
    assert {"CONVERSATION_STATES", "WITH_PEOPLE", "OPEN_TICKET_STATUSES"} <= exported.keys()

    etag = response.headers["ETag"]
    again = await http.get(VOCABULARY_PATH, headers={"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    assert again.headers["ETag"] == etag
    assert_security_headers(again)


async def test_a_browser_imports_exactly_pythons_values(http, page: Page) -> None:  # type: ignore[no-untyped-def]
    await page.goto(str(http.make_url("/")))  # the demo page: strict CSP, same origin
    imported = await page.evaluate(
        """async (path) => {
            const module = await import(path);
            const frozen = Object.keys(module).filter((name) => Array.isArray(module[name]))
              .every((name) => Object.isFrozen(module[name]));
            return { values: { ...module }, frozen };
        }""",
        VOCABULARY_PATH,
    )
    assert imported == {"values": python_values(), "frozen": True}


def vocabulary_words() -> set[str]:
    return {
        word
        for value in vars(vocabulary).values()
        if isinstance(value, tuple)
        for word in value
        if isinstance(word, str)
    }


@pytest.mark.parametrize("name", sorted(path.name for path in STATIC_DIR.glob("*.js")))
def test_no_script_keeps_its_own_copy_of_the_words(name: str) -> None:
    """A list of two or more vocabulary words in a script is a copy that can drift: import the
    name from vocabulary.js instead."""
    source = (STATIC_DIR / name).read_text(encoding="utf-8")
    words = vocabulary_words()
    copies = [
        match.group(0)
        for match in STRING_ARRAY.finditer(source)
        if set(json.loads(f"[{match.group(1)}]")) <= words
    ]
    assert copies == []


def test_the_copy_check_would_catch_the_old_copies() -> None:
    for old in ('const OPEN = ["waiting", "assigned"];', '["bot", "waiting", "agent", "closed"]'):
        match = STRING_ARRAY.search(old)
        assert match is not None and set(json.loads(f"[{match.group(1)}]")) <= vocabulary_words()
