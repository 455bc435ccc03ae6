"""The widget in a real browser (Debian's chromium) on the gateway's demo page, with real Redis
and stand-in Rasas (one echoes the customer, one hands off like the action server and keeps
its tracker in Redis as Rasa does): what people type stays inert text, links are http(s) only,
quick replies send their payload, a reload continues the same chat; with the real service app:
the queue notice, cancelling, an agent's messages, and the survey (CSAT and effort) after an
agent resolved the chat and after "Yes, that helped", asked once. Screenshots go to
var/results/browser/widget-*.
(The whole customer/agent journey with the real stack is in tests/e2e.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Page

from gateway.app import create_app
from gateway.sessions import session_key
from gateway.surveys import HELPFUL_PAYLOAD
from handoff import lifecycle
from handoff import store as handoff_store
from outcomes import keys
from stack.supervisor import free_port
from tests.conftest import TOKEN
from tests.e2e.browser import Screenshots
from tests.gateway.console_support import service_app
from tests.gateway.support import conversation_of, gateway_settings, stand_in_rasa
from tests.outcomes.conversations import stored_form
from tests.support.handoff import OPEN_HOURS, PAYMENT, MovableClock, handoff_settings, record
from tests.support.rasa_tracker import TrackerBuilder

XSS = [
    "<script>alert('script')</script>",
    "<img src=x onerror=alert('img')>",
    "<svg onload=alert('svg')>",
    "[click me](javascript:alert('markdown'))",
    "javascript:alert('bare')",
]
ARTICLE = "https://help.hearthly.example/articles/refund-timeline"


@dataclass
class EchoRasa:
    received: list[str] = field(default_factory=list)

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body["message"])
        text = f"You said: {body['message']}\n\nMore in “Refunds”: {ARTICLE}."
        buttons = [{"title": "Yes, that helped", "payload": "/feedback_helpful"}]
        return web.json_response([{"text": text, "buttons": buttons}])


@pytest.fixture
async def site(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[tuple[str, EchoRasa]]:
    rasa = EchoRasa()
    async with stand_in_rasa(rasa.webhook) as rasa_url:
        port = free_port()
        settings = gateway_settings(
            redis_url,
            rasa_url,
            GATEWAY_PORT=str(port),
            GATEWAY_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
            SERVICE_URL=f"http://127.0.0.1:{free_port()}",  # not needed: never handed off here
        )
        gateway = TestServer(create_app(settings), host="127.0.0.1", port=port)
        await gateway.start_server()
        yield f"http://127.0.0.1:{port}", rasa
        await gateway.close()


async def _open_chat(page: Page, url: str) -> None:
    await page.goto(url + "/")
    await page.click("[data-testid=sw-launcher]")
    await page.wait_for_selector("#support-widget[data-connection=connected]")


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll from Python: the page's CSP (no eval) rules out wait_for_function with a string."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the page")
        await asyncio.sleep(0.05)


async def _count_at_least(page: Page, selector: str, count: int) -> None:
    async def enough() -> bool:
        return await page.locator(selector).count() >= count

    await _until(enough)


async def _session_id(page: Page) -> str:
    return str(await page.evaluate("window.supportWidget.store.data.sessionId"))


async def _conversation_id(page: Page, client: redis.Redis) -> str:
    return await conversation_of(client, await _session_id(page))


async def _send(page: Page, text: str, replies: int) -> None:
    await page.fill("[data-testid=sw-input]", text)
    await page.keyboard.press("Enter")
    await _count_at_least(page, "[data-testid=sw-message][data-sender=bot]", replies)


async def test_what_people_type_is_inert_text_and_links_are_http_only(
    site, page, redis_client
) -> None:  # type: ignore[no-untyped-def]
    url, rasa = site
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await _open_chat(page, url)
    await page.wait_for_selector("[data-testid=sw-message][data-sender=bot]")  # the greeting
    for number, payload in enumerate(XSS, start=1):
        await _send(page, payload, replies=2 * (number + 1))
    conversation_id = await _conversation_id(page, redis_client)
    for payload in XSS:
        await redis_client.xadd(
            f"handoff:outbox:{conversation_id}",
            {"type": "message", "text": payload, "agent_name": "<b>Maya</b>"},
        )
    await _count_at_least(page, "[data-sender=agent]", len(XSS))
    log = page.locator("[data-testid=sw-log]")
    customer = await log.locator("[data-sender=customer]").all_text_contents()
    agent = await log.locator("[data-sender=agent] .sw-text").all_text_contents()
    assert customer == XSS and agent == XSS  # shown exactly as typed
    assert set(await log.locator("[data-testid=sw-agent-name]").all_text_contents()) == {
        "<b>Maya</b>"
    }
    assert await log.locator("script, img, svg, b, iframe").count() == 0
    hrefs = await log.locator("a").evaluate_all(
        "links => links.map(a => [a.getAttribute('href'), a.target, a.rel])"
    )
    assert hrefs and all(
        href == [ARTICLE, "_blank", "noopener noreferrer"] for href in hrefs
    )  # only the bot's article link; never a javascript: one
    assert await log.locator("[data-sender=customer] a, [data-sender=agent] a").count() == 0
    assert dialogs == []
    assert rasa.received[0] == "/greet"


async def test_a_quick_reply_sends_its_payload_and_a_reload_continues_the_chat(  # type: ignore[no-untyped-def]
    site, page, redis_client
) -> None:
    url, rasa = site
    await _open_chat(page, url)
    await _send(page, "how long do refunds take?", replies=4)
    await page.click("[data-testid=sw-quick-reply]")
    await _count_at_least(page, "[data-sender=bot]", 6)
    assert rasa.received[-1] == "/feedback_helpful"
    customer = page.locator("[data-sender=customer]")
    assert await customer.all_text_contents() == ["how long do refunds take?", "Yes, that helped"]
    session_id = await _session_id(page)
    before = await page.locator("[data-testid=sw-message]").all_text_contents()

    await page.reload()
    await page.wait_for_selector("#support-widget[data-connection=connected]")
    await page.click("[data-testid=sw-launcher]")
    assert await page.locator("[data-testid=sw-message]").all_text_contents() == before
    assert await _session_id(page) == session_id
    await _send(page, "and one more thing", replies=8)
    assert rasa.received[-1] == "and one more thing"
    assert rasa.received.count("/greet") == 1  # a resumed chat is not greeted again

    # the session expired on the server: the stored history is cleared with the new session
    await redis_client.delete(session_key(session_id))
    await page.reload()
    await page.wait_for_selector("#support-widget[data-connection=connected]")

    async def new_session() -> bool:
        return await _session_id(page) not in (session_id, "None")

    await _until(new_session)
    assert await page.locator("[data-testid=sw-message]").count() == 0


async def test_a_refused_new_chat_is_asked_for_again_without_a_reload(  # type: ignore[no-untyped-def]
    redis_url, redis_client, browser, page
) -> None:
    """One new chat every 10 s from this address: the second tab's session request (within those
    10 s, even on a busy machine) is refused with retry_after, the widget says so once, and gets
    its session when the budget allows."""
    async with stand_in_rasa(EchoRasa().webhook) as rasa_url:
        port = free_port()
        settings = gateway_settings(
            redis_url,
            rasa_url,
            GATEWAY_PORT=str(port),
            GATEWAY_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
            SERVICE_URL=f"http://127.0.0.1:{free_port()}",
            GATEWAY_SESSION_CREATE_BURST="1",
            GATEWAY_SESSION_CREATE_PER_MINUTE="6",
        )
        gateway = TestServer(create_app(settings), host="127.0.0.1", port=port)
        await gateway.start_server()
        second = await browser.new_page()  # another customer behind the same address
        try:
            url = f"http://127.0.0.1:{port}"
            await _open_chat(page, url)
            await _until(lambda: _ready(page))
            await second.goto(url + "/")
            await second.click("[data-testid=sw-launcher]")
            await _count_at_least(second, "[data-testid=sw-error]", 1)
            assert "Too many new chats" in (
                await second.locator("[data-testid=sw-error]").inner_text()
            )
            shown = await second.locator("[data-sender=system]").all_inner_texts()
            assert len(shown) == 1, shown  # the error line, not the stock widgets' notice too

            await _until(lambda: _ready(second), timeout=20.0)
            await _send(second, "hello", replies=1)
        finally:
            # the pages' open websockets would hold the server's shutdown for its timeout
            await second.close()
            await page.goto("about:blank")
            await gateway.close()


async def _ready(page: Page) -> bool:
    return bool(await page.evaluate("window.supportWidget.sessionReady"))


async def test_the_widget_works_from_the_keyboard(site, page, redis_client) -> None:  # type: ignore[no-untyped-def]
    url, _ = site
    await page.goto(url + "/")
    await page.focus("[data-testid=sw-launcher]")
    await page.keyboard.press("Enter")
    panel = page.locator("[data-testid=sw-panel]")
    assert await panel.get_attribute("role") == "dialog"
    assert await panel.get_attribute("aria-label")
    assert await page.get_attribute("[data-testid=sw-log]", "role") == "log"
    assert await page.evaluate("document.activeElement.dataset.testid") == "sw-input"
    await page.wait_for_selector("#support-widget[data-connection=connected]")
    await page.keyboard.type("hello")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[data-sender=customer]")
    await _count_at_least(page, "[data-sender=bot]", 4)  # greeting and answer, 2 parts each
    await page.keyboard.press("Escape")
    assert await panel.is_hidden()
    assert await page.evaluate("document.activeElement.dataset.testid") == "sw-launcher"
    launcher = page.locator("[data-testid=sw-launcher]")
    assert await launcher.get_attribute("aria-expanded") == "false"
    # what arrives while the panel is closed is counted on the launcher
    assert await page.locator("[data-testid=sw-unread]").is_hidden()
    conversation_id = await _conversation_id(page, redis_client)
    await redis_client.xadd(f"handoff:outbox:{conversation_id}", {"type": "handed_back"})
    await page.wait_for_selector("[data-testid=sw-unread]:not([hidden])")
    assert await page.text_content("[data-testid=sw-unread]") == "1"
    assert "1 unread" in (await launcher.get_attribute("aria-label") or "")
    await page.keyboard.press("Enter")  # focus is on the launcher: opens again
    assert await panel.is_visible()
    assert await page.locator("[data-testid=sw-unread]").is_hidden()


@dataclass
class HandoffRasa:
    """Rasa whose handoff action opens a ticket (as the action server does) on "person", that
    answers a question with an article and the feedback buttons, and keeps its tracker in Redis
    (`tracker:{id}`, as Rasa's tracker store does: the service reads it for the survey)."""

    store: Any
    client: redis.Redis
    trackers: dict[str, TrackerBuilder] = field(default_factory=dict)

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, text = body["sender"], body["message"]
        start = (OPEN_HOURS - timedelta(minutes=10)).timestamp()
        builder = self.trackers.setdefault(sender, TrackerBuilder(sender, start).session_start())
        if "person" in text:
            await self.store.tickets.add(record(PAYMENT, sender))
            builder.user(text, "request_human").action("action_handoff").listen()
            reply: dict[str, Any] = {"text": "I'm passing you to our team."}
        elif text == HELPFUL_PAYLOAD:
            builder.feedback(helpful=True).bot("Glad that helped!").listen()
            reply = {"text": "Glad that helped!"}
        elif text.startswith("/"):
            builder.user(text, "greet").bot("Hi! How can I help?").listen()
            reply = {"text": "Hi! How can I help?"}
        else:
            builder.user(text, "refund_request")
            builder.kb_answer("refund-timeline", "When will I get my refund?", 0.82)
            helpful = [{"title": "Yes, that helped", "payload": HELPFUL_PAYLOAD}]
            reply = {"text": "Refunds take 3-5 business days.", "buttons": helpful}
        await self.client.set(keys.tracker(sender), json.dumps(stored_form(builder)))
        return web.json_response([reply])


@pytest.fixture
async def handoff_site(
    redis_url: str, redis_client: redis.Redis, articles_dir: Path, embedder: Any
) -> AsyncIterator[tuple[str, Any]]:
    """The demo page on a gateway in front of the real service app and a handing-off Rasa."""
    store = await handoff_store.create(redis_url)
    rasa_app = web.Application()
    rasa_app.router.add_post("/webhooks/rest/webhook", HandoffRasa(store, redis_client).webhook)
    service = service_app(handoff_settings(redis_url, articles_dir), embedder, MovableClock())
    servers = [TestServer(rasa_app, host="127.0.0.1"), TestServer(service, host="127.0.0.1")]
    for server in servers:
        await server.start_server()
    port = free_port()
    settings = gateway_settings(
        redis_url,
        str(servers[0].make_url("")).rstrip("/"),
        GATEWAY_PORT=str(port),
        GATEWAY_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
        SERVICE_URL=str(servers[1].make_url("")).rstrip("/"),
        SERVICE_TOKEN=TOKEN,
    )
    gateway = TestServer(create_app(settings), host="127.0.0.1", port=port)
    await gateway.start_server()
    yield f"http://127.0.0.1:{port}", store
    await gateway.close()
    for server in servers:
        await server.close()
    await store.close()


async def test_a_waiting_customer_sees_the_queue_and_can_cancel(  # type: ignore[no-untyped-def]
    handoff_site, page, redis_client
) -> None:
    url, store = handoff_site
    shots = Screenshots("widget-waiting-and-cancel")
    await _open_chat(page, url)
    await _send(page, "I want to talk to a person", replies=2)
    await page.wait_for_selector("#support-widget[data-handoff-state=waiting]")
    status = await page.text_content("[data-testid=sw-status-text]") or ""
    assert "number 1 in the queue" in status and "Expected wait: about" in status
    assert await page.locator("[data-testid=sw-typing]").is_hidden()
    await shots.take(page, "waiting")
    await page.click("[data-testid=sw-cancel-handoff]")
    await page.wait_for_selector("#support-widget[data-handoff-state=bot]")
    notice = page.locator("[data-sender=system][data-event=cancelled]")
    assert "cancelled" in (await notice.text_content() or "")
    assert await page.locator("[data-testid=sw-status]").is_hidden()
    ticket = await store.tickets.get(f"tk-{await _conversation_id(page, redis_client)}")
    assert ticket.status == "cancelled"
    await shots.take(page, "cancelled")


async def test_an_agent_joins_chats_resolves_and_the_customer_rates(  # type: ignore[no-untyped-def]
    handoff_site, page, redis_client
) -> None:
    url, store = handoff_site
    shots = Screenshots("widget-agent-and-csat")
    await _open_chat(page, url)
    await _send(page, "I want a person please", replies=2)
    await page.wait_for_selector("#support-widget[data-handoff-state=waiting]")
    conversation_id = await _conversation_id(page, redis_client)
    ticket_id = f"tk-{conversation_id}"
    outbox = f"handoff:outbox:{conversation_id}"
    await store.tickets.update(
        ticket_id, lambda r: lifecycle.assign(r, "maya", now=OPEN_HOURS, by="maya")
    )
    await redis_client.xadd(outbox, {"type": "agent_joined", "agent_name": "Maya Okafor"})
    await redis_client.xadd(
        outbox, {"type": "message", "text": "Hi, Maya here.", "agent_name": "Maya Okafor"}
    )
    await page.wait_for_selector("#support-widget[data-handoff-state=agent]")
    await page.wait_for_selector("[data-testid=sw-agent-name]")
    assert await page.text_content("[data-testid=sw-agent-name]") == "Maya Okafor"
    assert "chatting with Maya Okafor" in (await page.text_content("[data-testid=sw-status]") or "")
    await shots.take(page, "agent")
    await store.tickets.update(
        ticket_id, lambda r: lifecycle.resolve(r, "maya", "answered", now=OPEN_HOURS)
    )
    await redis_client.xadd(outbox, {"type": "resolved", "agent_name": "Maya Okafor"})
    survey = page.locator("[data-testid=sw-survey][data-audience=agent]")
    await survey.wait_for()
    submit = page.locator("[data-testid=sw-survey-submit]")
    assert await submit.is_disabled()  # choose first
    assert await page.locator("[data-testid=sw-csat-rating]").count() == 5
    assert await page.locator("[data-testid=sw-ces-rating]").count() == 7
    assert "How easy was it to get your issue handled?" in (await survey.text_content() or "")
    await page.click("[data-testid=sw-csat-rating][data-rating='5']")
    await page.click("[data-testid=sw-ces-rating][data-rating='6']")
    await page.fill("[data-testid=sw-csat-comment]", "Quick and kind.")
    await shots.take(page, "survey")
    await submit.click()
    await page.wait_for_selector("[data-testid=sw-survey-thanks][data-state=saved]")
    stored = await store.tickets.get(ticket_id)
    assert stored.csat is not None and stored.csat.rating == 5
    assert stored.csat.comment == "Quick and kind."
    await page.reload()  # the thank-you survives a reload, the question does not come back
    await page.click("[data-testid=sw-launcher]")
    assert await page.locator("[data-testid=sw-survey-thanks]").is_visible()
    assert await page.locator("[data-testid=sw-csat-rating]").count() == 0
    await shots.take(page, "thanks")


async def test_after_yes_that_helped_the_survey_is_answered_by_keyboard_once(  # type: ignore[no-untyped-def]
    handoff_site, page
) -> None:
    url, _ = handoff_site
    shots = Screenshots("widget-bot-survey")
    await _open_chat(page, url)
    await _send(page, "how long do refunds take?", replies=2)
    await page.click("[data-testid=sw-quick-reply]")
    survey = page.locator("[data-testid=sw-survey][data-audience=bot]")
    await survey.wait_for()
    assert await page.locator("[data-testid=sw-csat-comment]").count() == 0  # agent chats only
    await shots.take(page, "asked")
    await page.focus("[data-testid=sw-csat-rating][data-rating='4']")
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")  # to the effort question's buttons, in order
    for _ in range(6):
        await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.dataset.testid")
    assert focused == "sw-ces-rating"
    await page.keyboard.press("Space")
    pressed = survey.locator("[aria-pressed=true]")
    assert await pressed.count() == 2
    await page.focus("[data-testid=sw-survey-submit]")
    await page.keyboard.press("Enter")
    thanks = page.locator("[data-testid=sw-survey-thanks][data-state=saved]")
    await thanks.wait_for()
    await shots.take(page, "thanks")
    # the chat-text twins for stock widgets (the question with score buttons, the thanks) are
    # not shown here: the survey card says it all
    assert await page.get_by_text("Choose from 1 (very unsatisfied)").count() == 0
    assert await page.get_by_text("your answer is recorded").count() == 0

    # the same session: "Yes, that helped" again asks nothing
    await _send(page, "and for an exchange?", replies=4)  # greeting, answer, glad, answer
    await page.locator("[data-testid=sw-quick-reply]").last.click()
    await _count_at_least(page, "[data-sender=bot]", 5)
    await asyncio.sleep(0.5)  # time for a survey_request, had one been sent
    assert await page.locator("[data-testid=sw-survey]").count() == 0


async def test_the_survey_can_be_skipped(handoff_site, page) -> None:  # type: ignore[no-untyped-def]
    url, _ = handoff_site
    await _open_chat(page, url)
    await _send(page, "how long do refunds take?", replies=2)
    await page.click("[data-testid=sw-quick-reply]")
    await page.locator("[data-testid=sw-survey]").wait_for()
    await page.click("[data-testid=sw-survey-skip]")
    await page.locator("[data-testid=sw-survey]").wait_for(state="detached")
    stored = await page.evaluate("window.supportWidget.store.data.survey.state")
    assert stored == "skipped"
