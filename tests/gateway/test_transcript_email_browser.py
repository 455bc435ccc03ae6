""" "Email me this chat" in a real browser (Debian's chromium): the gateway's demo page with the
real gateway, the real service app (after hours, mailing to a real aiosmtpd server) over real
Redis and a stand-in Rasa. The customer opens the form from the widget's header with the
keyboard, is told there is nothing to send before the chat was passed to the team, and then that
the transcript is on its way, which reaches the mail server. Screenshots go to
var/results/browser/transcript-email-*."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestServer
from playwright.async_api import Page

from gateway.app import create_app
from stack.supervisor import free_port
from tests.conftest import TOKEN
from tests.e2e.browser import Screenshots
from tests.gateway.console_support import service_app
from tests.gateway.support import FakeRasa, conversation_of, gateway_settings, stand_in_rasa
from tests.gateway.test_transcript_email import MAIL_SETTINGS, mails, pass_to_team
from tests.mail.smtp_server import CapturingServer, mail_server
from tests.support.handoff import AFTER_HOURS, MovableClock, handoff_settings


@pytest.fixture
async def smtp() -> AsyncIterator[CapturingServer]:
    async with mail_server() as server:
        yield server


@pytest.fixture
async def service_url(
    redis_url: str, articles_dir: Path, embedder: Any, smtp: CapturingServer
) -> AsyncIterator[str]:
    mail = {**MAIL_SETTINGS, "SMTP_PORT": str(smtp.port)}
    settings = handoff_settings(redis_url, articles_dir, **mail)
    service = TestServer(
        service_app(settings, embedder, MovableClock(AFTER_HOURS)), host="127.0.0.1"
    )
    await service.start_server()
    yield str(service.make_url("")).rstrip("/")
    await service.close()


@pytest.fixture
async def site(service_url: str, redis_url: str, redis_client: redis.Redis) -> AsyncIterator[str]:
    async with stand_in_rasa(FakeRasa().webhook) as rasa_url:
        port = free_port()
        settings = gateway_settings(
            redis_url,
            rasa_url,
            GATEWAY_PORT=str(port),
            GATEWAY_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
            SERVICE_URL=service_url,
            SERVICE_TOKEN=TOKEN,
        )
        gateway = TestServer(create_app(settings), host="127.0.0.1", port=port)
        await gateway.start_server()
        yield f"http://127.0.0.1:{port}"
        await gateway.close()


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll from Python: the page's CSP (no eval) rules out wait_for_function with a string."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the page")
        await asyncio.sleep(0.05)


async def _focused(page: Page) -> str:
    return str(await page.evaluate("document.activeElement.getAttribute('data-testid')"))


async def test_the_customer_emails_themselves_the_chat_from_the_widget(  # type: ignore[no-untyped-def]
    site: str,
    service_url: str,
    page: Page,
    smtp: CapturingServer,
    redis_client: redis.Redis,
    request: pytest.FixtureRequest,
) -> None:
    shots = Screenshots(f"transcript-email-{request.node.name}")
    await page.goto(f"{site}/")
    await page.get_by_test_id("sw-launcher").click()
    await page.wait_for_selector("#support-widget[data-connection=connected]")

    async def has_session() -> bool:
        return bool(await page.evaluate("window.supportWidget.store.data.sessionId"))

    await _until(has_session)
    toggle = page.get_by_test_id("sw-transcript")
    form = page.get_by_test_id("sw-transcript-form")
    notices = page.locator("[data-testid=sw-message][data-event=transcript_email]")
    assert await toggle.inner_text() == "Email me this chat"
    assert await form.is_hidden()

    # the keyboard: the control opens the form and puts the cursor in the address
    await toggle.focus()
    await page.keyboard.press("Enter")
    assert await toggle.get_attribute("aria-expanded") == "true"
    assert await _focused(page) == "sw-transcript-email"
    assert "only to send this transcript" in await form.inner_text()
    await page.keyboard.type("jane@example.com")
    await page.keyboard.press("Enter")  # nobody on the team has this chat: nothing to send
    await notices.first.wait_for()
    await shots.take(page, "nothing-to-send")
    assert (await notices.first.inner_text()).startswith("There is nothing to send yet")
    assert await form.is_visible()  # still open, to try again later

    session_id = str(await page.evaluate("window.supportWidget.store.data.sessionId"))
    async with aiohttp.ClientSession() as http:
        await pass_to_team(http, service_url, await conversation_of(redis_client, session_id))
    await page.get_by_test_id("sw-transcript-send").click()
    await notices.nth(1).wait_for()
    await shots.take(page, "on-its-way")

    assert await notices.nth(1).inner_text() == "The transcript is on its way to jane@example.com"
    assert await form.is_hidden() and await _focused(page) == "sw-transcript"
    mail = (await mails(smtp))[0]
    assert mail.rcpt_tos == ["jane@example.com"]
    assert "my card keeps getting declined at checkout" in mail.body

    # Escape closes the form and leaves the chat open
    await page.keyboard.press("Enter")
    assert await _focused(page) == "sw-transcript-email"
    await page.keyboard.press("Escape")
    assert await form.is_hidden() and await page.get_by_test_id("sw-panel").is_visible()
