"""The real stack for end-to-end tests: project-owned Redis, the service, the action server and
Rasa with the trained model, each on its own free loopback port, state in a temporary folder.
`make test` trains the model before these tests run."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from stack.config import MODEL_DIR, StackConfig
from stack.processes import public_stack_specs
from stack.supervisor import Stack, free_port
from tests.e2e.browser import CHROMIUM_FLAGS, Screenshots, require_chromium
from tests.e2e.client import Widget
from tests.mail.smtp_server import CapturingServer, mail_server

ARTICLES = Path(__file__).resolve().parents[2] / "knowledge_base" / "articles"


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def mail() -> AsyncIterator[CapturingServer]:
    """The mail server the stack's service sends through (a real aiosmtpd one, keeping every
    mail it takes): tests/e2e/test_email_follow_up.py reads it."""
    async with mail_server() as running:
        yield running


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, mail: CapturingServer
) -> AsyncIterator[Stack]:
    if not any(MODEL_DIR.glob("*.tar.gz")):
        pytest.fail("no trained Rasa model in bot/models: run `make train` (make test does)")
    var_dir = tmp_path_factory.mktemp("stack-var")
    articles = var_dir / "articles"
    shutil.copytree(ARTICLES, articles)
    config = StackConfig.from_env(
        {
            "REDIS_PORT": str(free_port()),
            "SERVICE_PORT": str(free_port()),
            "ACTIONS_PORT": str(free_port()),
            "RASA_PORT": str(free_port()),
            "GATEWAY_PORT": str(free_port()),
            "ORDER_SERVICE_PORT": str(free_port()),
            "KB_ARTICLES_DIR": str(articles),
            "KB_RELOAD_INTERVAL": "0.25",
            # a session ends after a few idle seconds, so tests see outcome records (a handoff
            # must be claimed within this, or the watchdog records it as waited for in vain)
            "OUTCOME_INACTIVITY_SECONDS": "5",
            "OUTCOME_WATCHDOG_INTERVAL": "0.5",
            # email follow-up (docs/email.md): sent to the test's mail server, replies taken on
            # a port of their own
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mail.port),
            "SMTP_TLS": "off",
            "MAIL_FROM": "Hearthly Support <support@hearthly.test>",
            "MAIL_REPLY_DOMAIN": "reply.hearthly.test",
            "MAIL_INBOUND_PORT": str(free_port()),
            "MAIL_RETRY_SECONDS": "0.5",
        },
        var_dir=var_dir,
    )
    async with Stack(config, public_stack_specs(config), echo=None) as running:
        yield running


@pytest.fixture(scope="package")
def chromium() -> str:
    return require_chromium()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    """One headless chromium for the browser tests; each test opens its own contexts."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(request.node.name)


@pytest_asyncio.fixture(loop_scope="package")
async def widget(stack: Stack) -> AsyncIterator[Widget]:
    """A web widget connected to the stack's gateway, with a session."""
    opened = Widget()
    await opened.open(stack.config.gateway_url)
    yield opened
    await opened.client.disconnect()
