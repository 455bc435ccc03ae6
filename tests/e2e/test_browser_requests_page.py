"""The customer's own requests page on the real stack (Redis, service, action server, Rasa with
the trained model, the gateway), in the browser as customer and agent live it: a customer is
handed off in the demo page's widget, opens "Your requests" from the widget, sees the request
with its status and the conversation, and adds a message that the agent reads in the console.
(The requests link of a follow-up email opens the same page with `#token=`: tests/gateway/
test_requests_page.py drives it in the browser against the real service and gateway.)
Screenshots: var/results/browser/requests-page/ (tests/e2e/browser.py).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from stack.supervisor import Stack
from tests.e2e.browser import Screenshots
from tests.e2e.test_browser_journey import (
    FRUSTRATED,
    LIVE,
    QUESTION,
    agent_page,
    agent_token,
    customer_page,
    handed_off_ticket,
    say,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

ADDED = "I have the bank statement showing both $89.99 charges, if that helps."


async def test_a_handed_off_customer_sees_their_request_and_adds_a_message(
    browser: Browser, stack: Stack
) -> None:
    shots = Screenshots("requests-page")
    agent = await agent_page(browser, stack, await agent_token(stack))
    customer = await customer_page(browser, stack)
    await say(customer, QUESTION)
    for text in FRUSTRATED:
        await say(customer, text)
    ticket_id = await handed_off_ticket(agent, customer)

    async with customer.context.expect_page() as opened:
        await customer.get_by_test_id("sw-requests").click()
    page = await opened.value

    card = page.locator(f'[data-testid=request][data-ticket-id="{ticket_id}"]')
    await expect(card).to_be_visible(timeout=LIVE)
    await expect(card.get_by_test_id("status")).to_have_text("Waiting for a person")
    await expect(card.get_by_test_id("transcript")).to_contain_text(QUESTION)
    await expect(card.get_by_test_id("transcript")).to_contain_text(FRUSTRATED[-1])
    assert "#session" not in page.url
    await shots.take(page, "requests-page")
    await card.get_by_test_id("message-input").fill(ADDED)
    await card.get_by_test_id("send").click()
    await expect(page.get_by_test_id("notice")).to_have_text("Your message was sent to our team.")
    await expect(card.get_by_test_id("transcript")).to_contain_text(ADDED)
    await shots.take(page, "message-added")

    await agent.locator(f'[data-testid=queue-ticket][data-ticket-id="{ticket_id}"]').click()
    await expect(agent.get_by_test_id("transcript")).to_contain_text(ADDED, timeout=LIVE)
    await shots.take(agent, "console-reads-it")
