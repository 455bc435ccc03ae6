"""The supervisor dashboard and the QA review on the real stack (gateway, Rasa with the trained
model, action server, service, Redis), after real conversations ended in outcome records (the
stack ends a session after a few idle seconds, tests/e2e/conftest.py): a customer's question
answered and thanked for (contained) and a handoff an agent resolved (escalated). A supervisor
sees them on the dashboard, drills down from the escalation rate to the handed-off
conversation and opens its QA review; an agent's token gets 403 from the dashboard's API and
the page says so. Screenshots: var/results/browser/dashboard-e2e/ (tests/e2e/browser.py)."""

from __future__ import annotations

import re

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from stack.supervisor import Stack
from tests.e2e.browser import Screenshots
from tests.e2e.client import Widget
from tests.e2e.test_handback import ESCALATION, Team
from tests.e2e.test_outcomes import record_of

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

LIVE = 15_000
QUESTION = "how do I reset my hub?"
SEEN: dict[str, str] = {}  # what the dashboard test leaves for the QA review test


async def console(browser: Browser, stack: Stack, token: str, view: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{stack.config.gateway_url}/console#{view}")
    await page.get_by_test_id("sign-in-token").fill(token)
    await page.get_by_test_id("sign-in-token").press("Enter")
    await expect(page.get_by_test_id("live-status")).to_have_text("Live", timeout=LIVE)
    return page


async def handed_off_and_resolved(stack: Stack, widget: Widget, team: Team) -> str:
    _, agent = await team.agent_for("billing")
    for message in ESCALATION:
        await widget.say(message)
    conversation_id = await widget.conversation_id(stack)
    state = await team.handed_off(conversation_id, timeout=30)
    if state["team"] != "billing":
        _, agent = await team.agent_for(state["team"])
    ticket = f"/agent/tickets/{state['ticket_id']}"
    await team.call("POST", f"{ticket}/claim", agent)
    await team.call("POST", f"{ticket}/reply", agent, {"text": "Refunded; 3-5 business days."})
    body = {"resolution_code": "refund_issued", "escalation_needed": True}
    await team.call("POST", f"{ticket}/resolve", agent, body)
    return conversation_id


async def test_a_supervisor_sees_real_conversations_on_the_dashboard(
    stack: Stack, browser: Browser
) -> None:
    team = Team(stack)
    contained = Widget()
    await contained.open(stack.config.gateway_url)
    escalated = Widget()
    await escalated.open(stack.config.gateway_url)
    try:
        await contained.say(QUESTION)
        await contained.say("thanks, that helps!")
        contained_id = await contained.conversation_id(stack)
        escalated_id = await handed_off_and_resolved(stack, escalated, team)
    finally:
        await contained.client.disconnect()
        await escalated.client.disconnect()
    await record_of(stack, contained_id)
    await record_of(stack, escalated_id)
    supervisor = (await team.agent_for("supervisors"))[1]["Authorization"].removeprefix("Bearer ")
    shots = Screenshots("dashboard-e2e")

    page = await console(browser, stack, supervisor, "dashboard/today")
    await expect(page.get_by_test_id("tiles")).to_have_attribute("data-painted", "1", timeout=LIVE)
    # a count of sessions that is not 0 (Playwright trims a plain string: " 0 sessions" would
    # match "10 sessions")
    summary = page.get_by_test_id("scope-summary")
    await expect(summary).to_have_text(re.compile(r"^[1-9]\d* sessions"))
    await expect(page.get_by_test_id("chart").first).to_have_attribute(
        "data-drawn", "true", timeout=LIVE
    )
    await shots.take(page, "dashboard")
    await page.locator("[data-testid=tile][data-metric=escalation]").click()
    row = page.locator(f'[data-testid=drill-row][data-key^="{escalated_id}:"]')
    await expect(row).to_have_count(1, timeout=LIVE)
    await shots.take(page, "drill-down")
    link = await row.get_by_test_id("drill-review").get_attribute("href")
    assert link and link.startswith("#review/")
    SEEN.update(supervisor=supervisor, review=link, conversation_id=escalated_id)


async def test_the_handed_off_conversation_opens_in_the_qa_review(
    stack: Stack, browser: Browser
) -> None:
    assert SEEN, "runs after the dashboard test"
    page = await console(browser, stack, SEEN["supervisor"], SEEN["review"].lstrip("#"))
    await expect(page.get_by_test_id("review-view")).to_be_visible()
    await expect(page.get_by_test_id("review-case-title")).to_contain_text(SEEN["conversation_id"])
    await expect(page.get_by_test_id("review-turn").first).to_be_visible(timeout=LIVE)
    await expect(page.get_by_test_id("review-decision").first).to_contain_text("Decision:")
    await Screenshots("dashboard-e2e-review").take(page, "qa-review")


async def test_an_agent_gets_403_from_the_dashboard_api_and_sees_it(
    stack: Stack, browser: Browser
) -> None:
    name, headers = await Team(stack).agent_for("technical")
    async with aiohttp.ClientSession() as http:
        for path in ("metrics", "live", "agents", "export.csv?view=metrics"):
            url = f"{stack.config.gateway_url}/console/api/analytics/{path}"
            async with http.get(url, headers=headers) as answer:
                assert answer.status == 403, (path, await answer.text())
                assert "supervisor" in (await answer.json())["error"]

    page = await console(
        browser, stack, headers["Authorization"].removeprefix("Bearer "), "dashboard"
    )
    await expect(page.get_by_test_id("nav-dashboard")).to_be_hidden()
    refused = page.get_by_test_id("dashboard-refused")
    await expect(refused).to_contain_text("for supervisors", timeout=LIVE)
    await expect(page.get_by_test_id("dashboard-body")).to_be_hidden()
    await Screenshots("dashboard-e2e-agent").take(page, "refused")
    assert name
