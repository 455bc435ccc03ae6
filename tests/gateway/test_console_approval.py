"""A refund held for a supervisor, decided in the agent console: GET/POST
/console/api/tickets/{id}/approval through the real gateway to the real service, Redis and
sample order service (tests/service/order_fixtures.py), and the console's "Actions on orders"
and approval panel in Debian's chromium. Screenshots: var/results/browser/<test name>/."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, expect

from gateway.app import create_app as create_gateway
from tests.e2e.browser import Screenshots
from tests.gateway.console_support import console_settings
from tests.service.order_fixtures import service, service_env, shop_order, shop_server, shop_url
from tests.service.test_order_approvals import held_refund
from tests.support.handoff import agent_headers, decision
from tests.support.rasa_tracker import TrackerBuilder

__all__ = ["service", "service_env", "shop_server", "shop_url"]  # fixtures, used by name


@pytest.fixture
async def gateway(aiohttp_client, redis_url, service) -> TestClient:  # type: ignore[no-untyped-def]
    service_url = str(service.make_url("")).rstrip("/")
    client: TestClient = await aiohttp_client(
        create_gateway(console_settings(redis_url, service_url))
    )
    return client


async def call(
    gateway: TestClient, method: str, path: str, status: int, **kwargs: Any
) -> dict[str, Any]:
    response = await gateway.request(method, f"/console/api/{path}", **kwargs)
    assert response.status == status, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_a_supervisor_reads_and_decides_a_held_refund_through_the_gateway(  # type: ignore[no-untyped-def]
    gateway, service, shop_url, redis_url
) -> None:
    ticket_id, amount = await held_refund(service, shop_url, "conv-gateway")
    path = f"tickets/{ticket_id}/approval"
    dana = await agent_headers(redis_url, "dana")  # supervisors, billing; role supervisor
    luis = await agent_headers(redis_url, "luis")  # orders: not this ticket's team
    before = await shop_order(shop_url, "HL-100110")

    stranger = await call(gateway, "POST", path, 401, data=b"not json")  # token first
    other_team = await call(gateway, "GET", path, 403, headers=luis)
    held = await call(gateway, "GET", path, 200, headers=dana)
    unclear = await call(gateway, "POST", path, 400, json={"decision": "maybe"}, headers=dana)
    approved = await call(
        gateway, "POST", path, 200, json={"decision": "approve", "note": "Sorry!"}, headers=dana
    )
    too_late = await call(gateway, "POST", path, 400, json={"decision": "decline"}, headers=dana)
    again = await call(gateway, "GET", path, 200, headers=dana)

    assert stranger == {"error": "missing agent token"}
    assert "belongs to team supervisors" in other_team["error"]
    assert (held["approval"]["amount_cents"], held["approval"].get("decided")) == (amount, None)
    assert "decision must be one of approve, decline" in unclear["error"]
    refund = approved["approval"]["refund"]
    assert (approved["approval"]["decided"], refund["amount_cents"]) == ("approved", amount)
    ticket = approved["ticket"]
    assert (ticket["ticket_id"], ticket["agent_id"], ticket["ticket"]["status"]) == (
        ticket_id,
        "dana",
        "assigned",
    )
    told = ticket["ticket"]["transcript"][-1]
    assert "is approved and issued" in told["text"] and told["text"].endswith("Sorry!")
    assert "already approved by dana" in too_late["error"]
    assert again["approval"]["refund"] == refund
    after = await shop_order(shop_url, "HL-100110")
    new = after["refunds"][len(before["refunds"]) :]
    assert [(r["id"], r["amount_cents"]) for r in new] == [(refund["id"], amount)]


async def test_an_odd_ticket_id_stops_at_the_gateway(gateway, redis_url) -> None:  # type: ignore[no-untyped-def]
    dana = await agent_headers(redis_url, "dana")
    for odd in (".hidden", "t%20one", "t" * 200):
        path = f"tickets/{odd}/approval"
        answer = await call(gateway, "POST", path, 404, json={"decision": "approve"}, headers=dana)
        assert answer == {"error": "no such console API path"}


# The console in the browser ----------------------------------------------------------------


async def signed_in(browser: Browser, gateway: TestClient, token: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(str(gateway.make_url("/console")))
    await page.get_by_test_id("sign-in-token").fill(token)
    await page.get_by_test_id("sign-in-submit").click()
    await expect(page.get_by_test_id("live-status")).to_have_text("Live")
    return page


async def token_of(redis_url: str, agent_id: str) -> str:
    return (await agent_headers(redis_url, agent_id))["Authorization"].removeprefix("Bearer ")


async def open_from_queue(page: Page, ticket_id: str) -> None:
    await page.locator(f'[data-testid="queue-ticket"][data-ticket-id="{ticket_id}"]').click()
    await expect(page.get_by_test_id("ticket-id")).to_have_text(ticket_id)


async def test_a_supervisor_declines_in_one_click_and_is_never_asked_again(  # type: ignore[no-untyped-def]
    browser, gateway, service, shop_url, redis_url
) -> None:
    shots = Screenshots("console-approval-decline")
    ticket_id, amount = await held_refund(service, shop_url, "conv-decline")
    before = await shop_order(shop_url, "HL-100110")
    page = await signed_in(browser, gateway, await token_of(redis_url, "dana"))
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    await open_from_queue(page, ticket_id)

    action = page.get_by_test_id("order-action")
    await expect(action).to_have_text(
        "Refund of $429.96 needs approval (above the $100.00 limit) at turn 2 (order HL-100110)"
    )
    await expect(action).to_have_attribute("data-result", "needs_approval")
    await expect(page.get_by_test_id("approval-order")).to_have_text("HL-100110")
    await expect(page.get_by_test_id("approval-amount")).to_have_text("$429.96")
    await expect(page.get_by_test_id("approval-limit")).to_have_text("$100.00")
    await expect(page.get_by_test_id("approval-policy")).to_have_text(
        "Refund of USD 429.96 on order HL-100110 is above the assistant's USD 100.00 limit"
        " (commerce/policy.yml)"
    )
    await expect(page.get_by_test_id("approval-state")).to_have_attribute("data-state", "waiting")
    await expect(page.get_by_test_id("approve-refund")).to_have_text("Approve refund of $429.96")
    await shots.take(page, "waiting-for-the-supervisor")

    await page.get_by_test_id("approval-note").fill("<b>Not</b> within our policy, sorry.")
    await page.get_by_test_id("decline-refund").click()

    state = page.get_by_test_id("approval-state")
    await expect(state).to_have_attribute("data-state", "declined")
    await expect(state).to_contain_text("Declined by dana")
    await expect(page.get_by_test_id("approval-form")).to_be_hidden()
    await expect(page.get_by_test_id("ticket-owner")).to_have_text("with dana")  # taken
    told = page.locator('[data-testid="turn"][data-speaker="agent"]').last
    await expect(told).to_contain_text("I can't approve it. <b>Not</b> within our policy")
    await shots.take(page, "declined")

    await page.reload()  # opened again: the decision is read, the buttons never come back
    await expect(page.get_by_test_id("live-status")).to_have_text("Live")
    await page.locator(f'[data-testid="ticket-row"][data-ticket-id="{ticket_id}"]').click()
    await expect(state).to_have_attribute("data-state", "declined")
    await expect(page.get_by_test_id("approval-form")).to_be_hidden()
    assert await shop_order(shop_url, "HL-100110") == before  # nothing moved
    assert amount == 42996 and problems == []


async def test_an_agent_who_is_not_a_supervisor_sees_it_waiting_without_buttons(  # type: ignore[no-untyped-def]
    browser, gateway, service, shop_url, redis_url
) -> None:
    ticket_id, _ = await held_refund(service, shop_url, "conv-waiting")
    dana = await agent_headers(redis_url, "dana")
    moved = {"team": "billing"}  # a supervisor moves it to billing, where maya sees it
    await call(gateway, "POST", f"tickets/{ticket_id}/transfer", 200, json=moved, headers=dana)
    page = await signed_in(browser, gateway, await token_of(redis_url, "maya"))
    await open_from_queue(page, ticket_id)

    await expect(page.get_by_test_id("order-action")).to_contain_text("needs approval")
    state = page.get_by_test_id("approval-state")
    await expect(state).to_have_text("Waiting for a supervisor's approval.")
    await expect(page.get_by_test_id("approval-form")).to_be_hidden()
    await expect(page.get_by_test_id("approve-refund")).to_be_hidden()
    await Screenshots("console-approval-not-a-supervisor").take(page, "waiting")


ACTIONS = [  # one of each kind the assistant records (actions/orders.py _record)
    ("refund", "HL-100152", 8999, "issued", "RF-1A2B3C"),
    ("cancel", "HL-100231", None, "done", None),
    ("return", "HL-100152", None, "done", "RT-4D5E6F"),
    ("refund", "HL-100087", 50000, "refused", "exceeds_refundable"),
    ("refund", "HL-100110", 42996, "unavailable", None),
]
SAID = [
    "Refund of $89.99 issued at turn 1 (order HL-100152, ref RF-1A2B3C)",
    "Cancellation done at turn 2 (order HL-100231)",
    "Return started at turn 3 (order HL-100152, ref RT-4D5E6F)",
    "Refund of $500.00 refused: exceeds refundable at turn 4 (order HL-100087)",
    "Order service unavailable at turn 5 (refund of $429.96 for order HL-100110 not done)",
]


async def test_the_actions_on_orders_read_as_sentences(  # type: ignore[no-untyped-def]
    browser, gateway, service, redis_url
) -> None:
    records = [
        {"turn": turn, "action": action, "order_number": number, "amount_cents": cents}
        | {"currency": "USD", "result": result, "reference": reference}
        for turn, (action, number, cents, result, reference) in enumerate(ACTIONS, start=1)
    ]
    builder = TrackerBuilder(sender_id="conv-actions").session_start()
    builder.user("I need a person about my orders", "human_handoff").action("action_handoff")
    builder.slot("order_actions", records)
    tracker = builder.tracker()
    body = {
        "conversation_id": "conv-actions",
        "tracker": {"events": tracker["events"], "slots": tracker["slots"]},
        "decision": decision(1),
        "customer": None,
        "channel": "rest",
    }
    created = await service.post("/handoff/tickets", json=body)
    assert created.status == 201, await created.text()
    ticket_id = (await created.json())["ticket_id"]
    team = (await created.json())["team"]
    agent = {"general": "maya", "orders": "luis", "billing": "maya", "supervisors": "dana"}[team]
    page = await signed_in(browser, gateway, await token_of(redis_url, agent))
    await open_from_queue(page, ticket_id)

    await expect(page.get_by_test_id("order-action")).to_have_text(SAID)
    await expect(page.get_by_test_id("approval")).to_be_hidden()  # nothing needs approval
    await Screenshots("console-order-actions").take(page, "actions-on-orders")
