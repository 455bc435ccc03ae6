"""Fixtures shared by the service-env tests (service, gateway, knowledge_base, handoff, infra,
stack, benchmarks): a real throwaway Redis, the real sentence model, the sample help centre, the
service app, a headless chromium, a movable clock.

The bot env (tests/actions, tests/rasa_extensions; Python 3.10, Rasa's pinned packages) loads
this file too, so everything heavy is imported inside the fixture that needs it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import redis.asyncio as redis
    from playwright.async_api import Browser, Page

    from knowledge_base.embeddings import SentenceTransformerEmbedder
    from service.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token-" + "x" * 24
SAMPLE_ARTICLES = PROJECT_ROOT / "knowledge_base" / "articles"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.support.redis_server import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    import redis.asyncio as redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real model, loaded once for the whole session (about 5 s)."""
    from knowledge_base.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A private copy of the sample help centre, so tests can edit it."""
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_ARTICLES, folder)
    return folder


@pytest.fixture
def settings(tmp_path: Path, articles_dir: Path, redis_url: str) -> Settings:
    from service.settings import Settings

    return Settings.from_env(
        {
            "SERVICE_TOKEN": TOKEN,
            "REDIS_URL": redis_url,
            "KB_ARTICLES_DIR": str(articles_dir),
            "KB_EMBEDDING_CACHE_DIR": str(PROJECT_ROOT / "var" / "cache" / "embeddings"),
            "KB_RELOAD_INTERVAL": "0.2",
        }
    )


@pytest.fixture
async def client(aiohttp_client, settings: Settings, embedder, redis_client):  # type: ignore[no-untyped-def]
    from service.app import create_app

    app = create_app(settings, embedder_factory=lambda: embedder)
    return await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium for one browser test (tests/e2e/browser.py)."""
    from playwright.async_api import async_playwright

    from tests.e2e.browser import CHROMIUM_FLAGS, require_chromium

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=require_chromium(), args=CHROMIUM_FLAGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> Page:
    return await browser.new_page()


@pytest.fixture
def clock() -> Any:
    """A clock the handoff tests move by hand (starts inside the teams' open hours)."""
    from tests.support.handoff import MovableClock  # it imports TOKEN from here

    return MovableClock()


@pytest.fixture
async def handoff_client(aiohttp_client, redis_url, articles_dir, embedder, redis_client, clock):  # type: ignore[no-untyped-def]
    """The real service with the sample routing and agents, on the movable clock; its
    TestClient carries the internal service token."""
    from tests.support.handoff import handoff_settings, start_app

    return await start_app(
        aiohttp_client, handoff_settings(redis_url, articles_dir), embedder, clock
    )
