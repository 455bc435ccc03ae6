"""A stock Rasa web widget on the real stack: rasa-webchat 1.0.1 from npm (web/package.json),
unmodified, on a shop's page of another origin than the gateway's, pointed at the gateway as
the README says (`socketUrl` the gateway, `initPayload` "/greet", the signed customer in
`customData`).

The customer is greeted, asks and gets an answer with its buttons, presses one ("Yes, that
helped") and rates the help with the survey's score buttons, asks for a
person and is handed off (as a verified VIP: the signed claims came through `customData`); an
agent in the console claims the chat and the widget shows who joined and what they write; the
customer reloads mid-chat and the chat goes on; the agent hands the chat back and the widget
shows the notice and the assistant answering again. Every one of those messages is a
plain text message of rasa-webchat's own (`.rw-response`): none is dropped as an unknown custom
component. Screenshots: var/results/browser/stock_widget/ (tests/e2e/browser.py).

The page and the widget's script are served by the test itself (Playwright's routing), at
http://localhost:<gateway port>, which the gateway allows by default and which is another origin
than http://127.0.0.1:<gateway port>, where the widget connects: cross-origin, as on a real site.
"""

from __future__ import annotations

import json
import re

import pytest
import redis.asyncio as redis
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from gateway.sessions import GatewayStore
from handoff.privacy.identity import sign_customer
from stack.config import ROOT
from stack.supervisor import Stack
from tests.e2e.browser import Screenshots
from tests.e2e.test_browser_journey import (
    AGENT_NAME,
    LIVE,
    agent_page,
    agent_token,
    stored_ticket,
    until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

WEBCHAT = ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
BOT = ".rw-response .rw-message-text"  # rasa-webchat's text messages from the bot's side
CUSTOMER = ".rw-client .rw-message-text"
LOOPBACK = ("http://127.0.0.1:", "http://localhost:", "ws://127.0.0.1:")
QUESTION = "can I pay with amex or apple pay?"  # the payment-methods article: billing, Maya's
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hearthly - stock widget</title></head>
<body>
<h1>Hearthly</h1>
<p>A shop's page with an unmodified rasa-webchat pointed at the support gateway.</p>
<script src="/rasa-webchat.js"></script>
<script>
  WebChat.default({
    socketUrl: %(gateway)s,
    socketPath: "/socket.io/",
    initPayload: "/greet",
    customData: %(custom_data)s,
    title: "Hearthly Help",
    subtitle: "rasa-webchat 1.0.1, unmodified",
    params: {storage: "local"}
  }, null);
</script>
</body>
</html>
"""


def shop_origin(stack: Stack) -> str:
    """Another origin than the gateway's (localhost, not 127.0.0.1), allowed by default."""
    return f"http://localhost:{stack.config.gateway_port}"


async def serve_shop(context: BrowserContext, stack: Stack, custom_data: dict) -> None:
    """The shop's page and rasa-webchat's script, answered by the test, never by the gateway."""
    if not WEBCHAT.is_file():
        pytest.fail(f"{WEBCHAT} is missing: run scripts/bootstrap.sh web (make test does)")
    shop = shop_origin(stack)
    page = PAGE % {
        "gateway": json.dumps(stack.config.gateway_url),
        "custom_data": json.dumps(custom_data),
    }

    async def answer(route: Route) -> None:
        path = route.request.url[len(shop) :].split("?")[0]
        if path == "/":
            await route.fulfill(body=page, content_type="text/html; charset=utf-8")
        elif path == "/rasa-webchat.js":
            await route.fulfill(path=WEBCHAT, content_type="text/javascript; charset=utf-8")
        else:
            await route.fulfill(status=404, body="")

    await context.route(lambda url: url.startswith(shop + "/"), answer)
    # the widget's stylesheet imports a web font: nothing leaves this machine
    await context.route(lambda url: not url.startswith(LOOPBACK), lambda route: route.abort())


async def open_chat(page: Page) -> None:
    """Open the widget with its launcher unless it is open already (it remembers)."""
    await expect(page.locator(".rw-launcher")).to_be_visible(timeout=LIVE)
    if not await page.locator(".rw-conversation-container").is_visible():
        await page.locator(".rw-launcher").click()
    await expect(page.locator(".rw-new-message")).to_be_visible(timeout=LIVE)


async def say(page: Page, text: str) -> None:
    await page.locator(".rw-new-message").fill(text)
    await page.locator(".rw-new-message").press("Enter")
    await expect(page.locator(CUSTOMER).last).to_have_text(text, timeout=LIVE)


async def bot_says(page: Page, text: str, timeout: float = 60_000) -> None:
    """A text message of the widget's own containing `text` appears."""
    await expect(page.locator(BOT).filter(has_text=text).last).to_be_visible(timeout=timeout)


async def conversation_of(page: Page, stack: Stack) -> str:
    """The conversation the gateway gave the widget's session (rasa-webchat keeps the session
    id in localStorage under `chat_session`)."""
    stored = await page.evaluate("localStorage.getItem('chat_session')")
    session_id = json.loads(stored)["session_id"]
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        found = await GatewayStore(client, 60).conversation_id(session_id)
    finally:
        await client.aclose()
    assert found, "the gateway has no session for the widget"
    return found


async def survey_of(stack: Stack, conversation_id: str) -> int | None:
    """The CSAT the outcome store kept for the conversation's session (outcomes/store.py)."""
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        (key,) = [key async for key in client.scan_iter(f"outcomes:survey:{conversation_id}:*")]
        return json.loads(await client.get(key))["survey"]["csat"]
    finally:
        await client.aclose()


async def ticket_of(stack: Stack, conversation_id: str) -> str:
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    ticket_id = ""

    async def opened() -> bool:
        nonlocal ticket_id
        ticket_id = await client.hget(f"handoff:conversation:{conversation_id}", "ticket_id") or ""
        return bool(ticket_id)

    try:
        await until(opened)
    finally:
        await client.aclose()
    return ticket_id


async def test_a_stock_rasa_widget_goes_through_the_whole_journey(
    browser: Browser, stack: Stack
) -> None:
    shots = Screenshots("stock_widget")
    secret = stack.config.customer_signing_secret
    signed = sign_customer({"id": "cust-stock-1", "tier": "vip"}, secret)
    # a page the test serves has no address, so Chromium counts it as public and asks before
    # it reaches a loopback address (Local Network Access): granted, as a site's visitor would
    context = await browser.new_context(permissions=["local-network-access"])
    await serve_shop(context, stack, {"customer": signed, "language": "en"})
    manifest = json.loads((WEBCHAT.parents[1] / "package.json").read_text(encoding="utf-8"))
    assert manifest["version"] == "1.0.1"  # the file npm installed, as shipped
    customer = await context.new_page()
    await customer.goto(f"{shop_origin(stack)}/")

    # Greeting: the init payload, sent when the chat is first opened.
    await open_chat(customer)
    await bot_says(customer, "Hearthly's assistant")
    await shots.take(customer, "greeting")

    # An answer with its buttons; a button sends its payload.
    await say(customer, QUESTION)
    helped = customer.locator(".rw-reply", has_text="Yes, that helped")
    await expect(helped).to_be_visible(timeout=60_000)
    answers = customer.locator(BOT).filter(has_text="help.hearthly.example")
    await expect(answers).not_to_have_count(0)  # the article's link
    await shots.take(customer, "answer-with-buttons")
    await helped.click()
    await bot_says(customer, "glad that helped")
    await shots.take(customer, "button-pressed")

    # The survey "Yes, that helped" brings, as rasa-webchat shows it: the question with a button
    # per score (gateway/survey_in_chat.py); the score pressed is kept as the session's CSAT.
    await bot_says(customer, "How satisfied are you with the help you got?")
    await customer.locator(".rw-reply", has_text=re.compile(r"^\s*5\s*$")).click()
    await bot_says(customer, "Thank you: your answer is recorded.")
    assert await survey_of(stack, await conversation_of(customer, stack)) == 5
    await shots.take(customer, "survey-answered")

    # Handoff: the assistant's answer says where the customer stands: a place in the queue or,
    # with nobody online, a reply by a time (the queue updates: tests/gateway/test_handoff_events).
    agent = await agent_page(browser, stack, await agent_token(stack))
    await say(customer, "I want to talk to a real person")
    told = re.compile(r"in the queue|will reply")
    await expect(customer.locator(BOT).filter(has_text=told).last).to_be_visible(timeout=60_000)
    # and the notice after it offers to withdraw the request with a button (not pressed here:
    # tests/gateway/test_handoff_events.py presses it)
    await bot_says(customer, "you can cancel the request", timeout=LIVE)
    await expect(customer.locator(".rw-reply", has_text="Cancel my request")).to_be_visible()
    conversation_id = await conversation_of(customer, stack)
    ticket_id = await ticket_of(stack, conversation_id)
    ticket = json.loads((await stored_ticket(stack, ticket_id))["ticket"])
    assert (ticket["customer"]["tier"], ticket["customer"]["verified"]) == ("vip", True)
    await shots.take(customer, "handed-off")

    # The agent claims it in the console: the widget shows who joined and what they write.
    queued = agent.locator(f'[data-testid=queue-ticket][data-ticket-id="{ticket_id}"]')
    await expect(queued).to_be_visible(timeout=LIVE)
    await queued.click()
    await expect(agent.get_by_test_id("ticket-id")).to_have_text(ticket_id, timeout=LIVE)
    await agent.get_by_test_id("claim").click()
    await expect(agent.get_by_test_id("ticket-status")).to_have_text("assigned", timeout=LIVE)
    await bot_says(customer, f"{AGENT_NAME} joined the chat.", timeout=LIVE)
    await agent_reply(agent, "Hi, I'm Maya. Happy to help with the payment options.")
    await bot_says(customer, "Happy to help with the payment options.", timeout=LIVE)
    await say(customer, "thanks, can I split the payment?")
    customer_turn = agent.locator('[data-testid=turn][data-speaker="customer"]').last
    await expect(customer_turn).to_contain_text("can I split the payment?", timeout=LIVE)
    await shots.take(customer, "agent-chat")
    await shots.take(agent, "console-agent-chat")

    # A reload mid-chat: the history is still there and the chat goes on, same session.
    await customer.reload()
    await open_chat(customer)
    await bot_says(customer, "Happy to help with the payment options.", timeout=LIVE)
    await agent_reply(agent, "Yes: Klarna lets you pay in 4.")
    await bot_says(customer, "Klarna lets you pay in 4.", timeout=LIVE)
    assert await conversation_of(customer, stack) == conversation_id
    await shots.take(customer, "after-reload")

    # Hand-back: the notice, then the assistant is back and answers again.
    await agent.get_by_test_id("hand-back").click()
    await bot_says(customer, f"{AGENT_NAME} handed the chat back to the assistant.", timeout=LIVE)
    await bot_says(customer, "You're back with Hearthly's assistant", timeout=LIVE)
    await shots.take(customer, "handed-back")
    await say(customer, "do you take paypal")
    await expect(customer.locator(".rw-reply", has_text="Yes, that helped")).to_be_visible(
        timeout=60_000
    )
    await shots.take(customer, "bot-answers-again")


async def agent_reply(agent: Page, text: str) -> None:
    await agent.get_by_test_id("reply-text").fill(text)
    await agent.get_by_test_id("reply-text").press("Enter")
    sent = agent.locator('[data-testid=turn][data-speaker="agent"]').last
    await expect(sent).to_contain_text(text, timeout=LIVE)
