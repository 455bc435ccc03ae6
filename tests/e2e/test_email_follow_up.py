"""Email follow-up on the real stack (Redis, service, action server, Rasa, gateway), a real
SMTP server (aiosmtpd) and two browsers: nobody in billing is online, so the handed-off customer
is asked for an email and leaves one; the agent who comes later replies in the console; the
mail reaches the SMTP server with a resume link that reopens the chat, with the agent's reply in
it, in a fresh browser; the customer answers the mail and the answer shows in the console,
marked "by email", with the reply's delivery state. Screenshots: var/results/browser/email/.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
from datetime import UTC, datetime

import pytest
import redis.asyncio as redis
from playwright.async_api import Browser, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from handoff import store as handoff_store
from stack.supervisor import Stack
from tests.e2e.browser import Screenshots
from tests.e2e.test_browser_journey import (
    FRUSTRATED,
    LIVE,
    QUESTION,
    agent_page,
    agent_token,
    customer_page,
    say,
    until,
)
from tests.mail.smtp_server import CapturingServer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

BILLING = ("maya", "theo", "dana")
EMAIL = "jane.follow@example.com"
REPLY = "Your second $89.99 charge is refunded today; it shows in 3-5 days."
ANSWER = "Thank you, I will keep an eye on it."
SYSTEM = "[data-testid=sw-message][data-sender=system]"


async def nobody_in_billing_online(stack: Stack) -> None:
    store = await handoff_store.create(stack.config.redis.url)
    try:
        for agent in BILLING:
            await store.agents.set_presence(agent, "offline", datetime.now(UTC))
    finally:
        await store.close()


async def ticket_with_follow_up_email(stack: Stack) -> str:
    """The ticket this test's customer gave the address for (earlier tests leave others)."""
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        async for key in client.scan_iter("handoff:ticket:*"):
            if EMAIL in (await client.hget(key, "follow_up_email") or ""):
                return str(key).removeprefix("handoff:ticket:")
    finally:
        await client.aclose()
    raise AssertionError(f"no ticket holds {EMAIL} as its follow-up email")


async def test_an_after_hours_promise_is_kept_by_email(
    browser: Browser, stack: Stack, mail: CapturingServer
) -> None:
    await nobody_in_billing_online(stack)
    try:
        await promise_kept_by_email(browser, stack, mail)
    finally:  # the tests after this one find the team as they expect it: nobody online
        await nobody_in_billing_online(stack)


async def claim_unless_routed(agent: Page) -> None:
    """The agent coming online may be routed the ticket while the page shows it as waiting
    (the claim button then hides under the click): claim it only while it still waits."""
    status = agent.get_by_test_id("ticket-status")
    claim = agent.get_by_test_id("claim")

    async def assigned() -> bool:
        if await status.inner_text() == "assigned":
            return True
        if await claim.is_visible():
            with contextlib.suppress(PlaywrightTimeout):
                await claim.click(timeout=1_000)
        return False

    await until(assigned)


async def promise_kept_by_email(browser: Browser, stack: Stack, mail: CapturingServer) -> None:
    shots = Screenshots("email")
    customer = await customer_page(browser, stack)
    await say(customer, QUESTION)
    for text in FRUSTRATED:
        await say(customer, text)
    await expect(customer.locator("#support-widget")).to_have_attribute(
        "data-handoff-state", "waiting", timeout=LIVE
    )
    await expect(customer.locator("#support-widget")).to_contain_text(
        "type your email address here", timeout=LIVE
    )
    await say(customer, EMAIL, bot_replies=False)
    confirmed = customer.locator(f"{SYSTEM}[data-event=follow_up_email]")
    await expect(confirmed).to_contain_text(f"we'll email our reply to {EMAIL}", timeout=LIVE)
    await shots.take(customer, "widget-email-given")

    ticket_id = await ticket_with_follow_up_email(stack)
    agent = await agent_page(browser, stack, await agent_token(stack))
    await agent.get_by_test_id("presence-select").select_option("online")
    await agent.get_by_test_id("list-team").click()
    ticket = agent.locator(f'[data-ticket-id="{ticket_id}"]').first
    await expect(ticket).to_be_visible(timeout=LIVE)
    await ticket.click()
    await expect(agent.get_by_test_id("ticket-id")).to_have_text(ticket_id)
    await expect(agent.get_by_test_id("follow-up-email")).to_contain_text(EMAIL, timeout=LIVE)
    await claim_unless_routed(agent)
    await agent.get_by_test_id("reply-text").fill(REPLY)
    await agent.get_by_test_id("reply-text").press("Enter")
    delivery = agent.get_by_test_id("email-delivery").last
    await expect(delivery).to_have_attribute("data-state", "sent", timeout=LIVE)
    await shots.take(agent, "console-reply-emailed")

    async def mailed() -> bool:
        return any(EMAIL in received.rcpt_tos for received in mail.received)

    await until(mailed)
    sent = next(received for received in mail.received if EMAIL in received.rcpt_tos)
    assert REPLY in sent.body
    resume = next(word for word in sent.body.split() if "#resume=" in word)
    assert resume.startswith(stack.config.gateway_url) and "?" not in resume  # no query

    elsewhere = await (await browser.new_context()).new_page()  # another device
    await elsewhere.goto(resume)
    await expect(elsewhere.locator("#support-widget")).to_contain_text(REPLY, timeout=LIVE)
    assert "#resume=" not in elsewhere.url
    await shots.take(elsewhere, "widget-resumed-from-the-email")

    reply_to = str(sent.message["Reply-To"])
    port = int(stack.config.mail["MAIL_INBOUND_PORT"])
    answer = (
        f"From: {EMAIL}\r\nTo: {reply_to}\r\nSubject: Re: {sent.message['Subject']}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{ANSWER}\r\n\r\n"
        f"On Sun, Hearthly Support wrote:\r\n> {REPLY}\r\n"
    )

    def send_answer() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as server:
            server.sendmail(EMAIL, [reply_to], answer)

    await asyncio.to_thread(send_answer)
    turn = agent.get_by_test_id("turn").filter(has_text=ANSWER)
    await expect(turn).to_contain_text("by email", timeout=LIVE)
    await expect(agent.get_by_test_id("transcript")).not_to_contain_text("wrote:")
    await shots.take(agent, "console-email-answer")
    await agent.get_by_test_id("resolve-submit").click()  # frees Maya's chat slot
    await expect(agent.get_by_test_id("ticket-status")).to_have_text("resolved", timeout=LIVE)
