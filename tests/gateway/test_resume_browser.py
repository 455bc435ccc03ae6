"""The resume link in a real browser (Debian's chromium): the gateway's demo page opened as
`/#resume=<token>` (as a follow-up email links to it), with the real gateway and the real service
app over real Redis and a stand-in Rasa. The widget takes the token out of the address bar,
shows the conversation so far, opens and is connected to that conversation; a refused link says
why in the chat. Screenshots go to var/results/browser/resume-*.
(The email itself, with the whole stack, is the e2e follow-up test's.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, expect

from gateway.app import create_app
from infra.signed_links import LinkClaims, make_link_token
from stack.supervisor import free_port
from tests.conftest import TOKEN
from tests.e2e.browser import Screenshots
from tests.gateway.console_support import service_app
from tests.gateway.support import FakeRasa, conversation_of, gateway_settings, stand_in_rasa
from tests.gateway.test_resume import AGENT_REPLY, LINK_SECRET, _ticket_with_agent_reply
from tests.support.handoff import MovableClock, handoff_settings


@pytest.fixture
async def site(
    redis_url: str, redis_client: redis.Redis, articles_dir: Path, embedder: Any
) -> AsyncIterator[str]:
    service = TestServer(
        service_app(handoff_settings(redis_url, articles_dir), embedder, MovableClock()),
        host="127.0.0.1",
    )
    await service.start_server()
    async with stand_in_rasa(FakeRasa().webhook) as rasa_url:
        port = free_port()
        settings = gateway_settings(
            redis_url,
            rasa_url,
            GATEWAY_PORT=str(port),
            GATEWAY_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
            SERVICE_URL=str(service.make_url("")).rstrip("/"),
            SERVICE_TOKEN=TOKEN,
            LINK_SIGNING_SECRET=LINK_SECRET,
        )
        gateway = TestServer(create_app(settings), host="127.0.0.1", port=port)
        await gateway.start_server()
        yield f"http://127.0.0.1:{port}"
        await gateway.close()
    await service.close()


def _link(site: str, conversation_id: str, ticket_id: str, expires_in: float = 3600) -> str:
    claims = LinkClaims("resume", conversation_id, ticket_id, int(time.time() + expires_in))
    return f"{site}/#resume={make_link_token(LINK_SECRET.encode(), claims)}"


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll from Python: the page's CSP (no eval) rules out wait_for_function with a string."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the page")
        await asyncio.sleep(0.05)


async def _texts(page: Page, selector: str = "[data-testid=sw-message]") -> list[str]:
    return [text.strip() for text in await page.locator(selector).all_inner_texts()]


async def test_a_resume_link_reopens_the_conversation_in_the_widget(  # type: ignore[no-untyped-def]
    site: str, page: Page, store, redis_client: redis.Redis, request: pytest.FixtureRequest
) -> None:
    shots = Screenshots(f"resume-{request.node.name}")
    ticket = await _ticket_with_agent_reply(store, "conv-from-email")
    link = _link(site, "conv-from-email", ticket.ticket_id)

    await page.goto(link)
    await page.wait_for_selector("#support-widget[data-resume=resumed]")
    await page.wait_for_selector("#support-widget[data-connection=connected]")
    await page.wait_for_selector("[data-testid=sw-status][data-state=waiting]")
    agent = page.locator("[data-testid=sw-message][data-sender=agent]").last
    await expect(agent).to_be_in_viewport()  # the agent's reply is in view, under the banner
    await shots.take(page, "resumed")

    assert page.url == f"{site}/"  # the token left the address bar
    assert "resume=" not in str(await page.evaluate("window.location.href"))
    assert await page.locator("[data-testid=sw-panel]").is_visible()
    texts = await _texts(page)
    assert texts[0] == "hi"
    assert "my card keeps getting declined at checkout" in texts
    assert AGENT_REPLY in texts[-1]
    assert await agent.locator("[data-testid=sw-agent-name]").inner_text() == "Maya Okafor"
    session_id = str(await page.evaluate("window.supportWidget.store.data.sessionId"))
    assert await conversation_of(redis_client, session_id) == "conv-from-email"

    # connected to that conversation: what the customer writes reaches the open ticket
    await page.fill("[data-testid=sw-input]", "Thanks, it works now")
    await page.click("[data-testid=sw-send]")

    async def reached_the_ticket() -> bool:
        found = await store.tickets.get(ticket.ticket_id)
        return any(turn.text == "Thanks, it works now" for turn in found.ticket.transcript)

    await _until(reached_the_ticket)
    # a reload continues the resumed chat, not the link
    await page.reload()
    await page.wait_for_selector("#support-widget[data-connection=connected]")
    assert str(await page.evaluate("window.supportWidget.store.data.sessionId")) == session_id
    await shots.take(page, "after-reload")


async def test_an_expired_link_says_so_in_the_chat(  # type: ignore[no-untyped-def]
    site: str, page: Page, store, request: pytest.FixtureRequest
) -> None:
    shots = Screenshots(f"resume-{request.node.name}")
    ticket = await _ticket_with_agent_reply(store, "conv-expired")

    await page.goto(_link(site, "conv-expired", ticket.ticket_id, expires_in=-60))
    await page.wait_for_selector("#support-widget[data-resume=refused]")
    await page.wait_for_selector("#support-widget[data-connection=connected]")
    notice = page.locator("[data-testid=sw-message][data-event=resume_refused]")
    await notice.wait_for()
    await shots.take(page, "expired")

    assert page.url == f"{site}/"
    assert await notice.inner_text() == "This link has expired - start a new chat and ask again."
    assert AGENT_REPLY not in await _texts(page)  # nothing of the conversation is shown
