"""An action on an order end to end, in two browsers on the real stack (Redis, service, action
server, Rasa with the trained model, the sample shop's order service, the gateway), as the
customer and a supervisor live it (issue 19):

a customer on the demo page asks for a refund of a delivered order worth more than the
assistant may refund alone, proves the order with its email and agrees to have it sent to a
supervisor; the conversation is handed off to the supervisors; the supervisor (dana) sees the
ticket arrive in the console with the action "needs approval" and a panel with the order, the
amount, the limit and the policy check, and approves in one click; the customer is told in the
chat that the refund is approved and issued; the shop holds exactly one new refund of that
amount for the order; opened again, the ticket shows the decision and never the buttons.
Screenshots: var/results/browser/orders-approval/ (tests/e2e/browser.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from actions import order_messages as m
from commerce.policy import load_policy
from handoff import store as handoff_store
from stack.supervisor import Stack
from tests.e2e.browser import Screenshots
from tests.e2e.test_browser_journey import BOT, LIVE, customer_page, say, until
from tests.e2e.test_orders import ASK_EMAIL, Shop, delivered_order, email_of

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

SUPERVISOR = "dana"  # handoff/routing/agents.yml: team supervisors, role supervisor
SUPERVISOR_NAME = "Dana Brooks"
ASK_A_SUPERVISOR = m.CONFIRM_BUTTONS["approval"][0]  # "Yes, ask a supervisor"


async def supervisor_page(browser: Browser, stack: Stack) -> Page:
    """The console signed in as the supervisor (token issued the way the CLI does)."""
    store = await handoff_store.create(stack.config.redis.url)
    try:
        token = await store.agents.issue_token(SUPERVISOR)
    finally:
        await store.close()
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{stack.config.gateway_url}/console")
    await page.get_by_test_id("sign-in-token").fill(token)
    await page.get_by_test_id("sign-in-submit").click()
    await expect(page.get_by_test_id("live-status")).to_have_text("Live", timeout=LIVE)
    await expect(page.get_by_test_id("agent-name")).to_have_text(SUPERVISOR_NAME)
    return page


async def press(page: Page, title: str) -> None:
    """Press one of the bot's quick replies and wait for its answer."""
    before = await page.locator(BOT).count()
    await page.locator("[data-testid=sw-quick-reply]", has_text=title).last.click()

    async def answered() -> bool:
        return await page.locator(BOT).count() > before

    await until(answered, timeout=60)


def supervisors_queue(page: Page) -> Locator:
    return page.locator("[data-testid=queue][data-team=supervisors] [data-testid=queue-ticket]")


async def waiting_ids(page: Page) -> set[str]:
    ids = await supervisors_queue(page).evaluate_all("all => all.map((t) => t.dataset.ticketId)")
    return {str(ticket_id) for ticket_id in ids if ticket_id}


async def arriving_ticket(page: Page, earlier: set[str]) -> str:
    """The ticket that arrives live in the supervisors' queue (others may wait there already:
    the e2e tests share one stack)."""
    arrived: set[str] = set()

    async def new_one() -> bool:
        arrived.update(await waiting_ids(page) - earlier)
        return bool(arrived)

    await until(new_one, timeout=LIVE / 1000)
    assert len(arrived) == 1, arrived
    return arrived.pop()


async def test_a_supervisor_approves_a_refund_over_the_limit_and_the_customer_is_told(
    browser: Browser, stack: Stack
) -> None:
    shots = Screenshots("orders-approval")
    shop = Shop(stack)
    # chosen from what the shop says now: tests/e2e/test_orders.py may have acted on orders
    case, number, before = await delivered_order(shop, over_the_limit=True)
    amount_cents = before["refundable_cents"]
    amount, limit = m.money(amount_cents), m.money(load_policy().refund_limit_cents(None))
    supervisor = await supervisor_page(browser, stack)
    await expect(supervisor.locator("[data-testid=queue][data-team=supervisors]")).to_be_visible()
    earlier = await waiting_ids(supervisor)
    customer = await customer_page(browser, stack)

    # The customer asks, proves the order with its email and agrees to ask a supervisor.
    await say(customer, f"I want a refund for {number}")
    await expect(customer.locator(BOT).last).to_contain_text(ASK_EMAIL)
    await say(customer, email_of(case))
    question = customer.locator(BOT).last
    await expect(question).to_contain_text(f"A refund of {amount} is more than I can approve")
    await shots.take(customer, "widget-asks-about-a-supervisor")
    await press(customer, ASK_A_SUPERVISOR)
    log = customer.get_by_test_id("sw-log")
    await expect(log).to_contain_text(f"Your refund of {amount} for order {number} needs a")
    await expect(customer.locator("#support-widget")).to_have_attribute(
        "data-handoff-state", "waiting", timeout=LIVE
    )
    await shots.take(customer, "widget-waiting-for-a-supervisor")

    # The supervisor sees it arrive with the action and the panel.
    ticket_id = await arriving_ticket(supervisor, earlier)
    await supervisor.locator(f'[data-testid=queue-ticket][data-ticket-id="{ticket_id}"]').click()
    await expect(supervisor.get_by_test_id("ticket-id")).to_have_text(ticket_id)
    action = supervisor.get_by_test_id("order-action")
    await expect(action).to_have_count(1)
    await expect(action).to_have_text(
        re.compile(
            re.escape(f"Refund of {amount} needs approval (above the {limit} limit) at turn ")
            + rf"\d+ \(order {number}\)"
        )
    )
    await expect(supervisor.get_by_test_id("approval-order")).to_have_text(number)
    await expect(supervisor.get_by_test_id("approval-amount")).to_have_text(amount)
    await expect(supervisor.get_by_test_id("approval-limit")).to_have_text(limit)
    await expect(supervisor.get_by_test_id("approval-policy")).to_contain_text(
        f"on order {number} is above the assistant's USD {limit.removeprefix('$')} limit"
    )
    state = supervisor.get_by_test_id("approval-state")
    await expect(state).to_have_attribute("data-state", "waiting")
    await expect(supervisor.get_by_test_id("approve-refund")).to_be_visible()
    await shots.take(supervisor, "console-needs-approval")

    # One click: approved, the refund issued, the chat taken, the customer told.
    await supervisor.get_by_test_id("approve-refund").click()
    await expect(state).to_have_attribute("data-state", "approved", timeout=LIVE)
    await expect(state).to_contain_text(f"Approved by {SUPERVISOR}")
    reference = re.search(r"ref (RF-[0-9A-F]+)", await state.inner_text())
    assert reference, await state.inner_text()
    await expect(supervisor.get_by_test_id("approval-form")).to_be_hidden()
    await expect(supervisor.get_by_test_id("ticket-owner")).to_have_text(f"with {SUPERVISOR}")
    told = customer.locator("[data-testid=sw-message][data-sender=agent]").last
    await expect(told).to_contain_text(
        f"your refund of {amount} for order {number} is approved and issued "
        f"(reference {reference.group(1)})",
        timeout=LIVE,
    )
    await expect(customer.get_by_test_id("sw-agent-name").last).to_have_text(SUPERVISOR_NAME)
    await shots.take(supervisor, "console-approved")
    await shots.take(customer, "widget-told-approved")

    # The shop: exactly one new refund, of that amount, for that order.
    after = await shop.order(number)
    new = after["refunds"][len(before["refunds"]) :]
    assert [(r["id"], r["amount_cents"]) for r in new] == [(reference.group(1), amount_cents)]
    assert after["refundable_cents"] == 0

    # Opened again later: the decision is read back, the buttons never return.
    await supervisor.reload()
    await expect(supervisor.get_by_test_id("live-status")).to_have_text("Live", timeout=LIVE)
    await supervisor.locator(f'[data-testid=ticket-row][data-ticket-id="{ticket_id}"]').click()
    await expect(state).to_have_attribute("data-state", "approved", timeout=LIVE)
    await expect(state).to_contain_text(reference.group(1))
    await expect(supervisor.get_by_test_id("approval-form")).to_be_hidden()
    await shots.take(supervisor, "console-reopened")

    # The supervisor resolves the chat (dana's load is back to 0 for the tests after this one).
    await supervisor.get_by_test_id("resolve-code").select_option("refund_issued")
    await supervisor.get_by_test_id("resolve-submit").click()
    await expect(supervisor.get_by_test_id("ticket-status")).to_have_text("resolved", timeout=LIVE)
    assert len((await shop.order(number))["refunds"]) == len(before["refunds"]) + 1
