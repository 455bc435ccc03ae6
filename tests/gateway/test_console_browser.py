"""The agent console in Debian's chromium (Playwright), against the real gateway and service on
real ports over one real Redis: sign-in, a handoff arriving live, the ticket's context, claim,
a live chat both ways, notes, transfer, escalation and resolve, typed HTML staying text.
Screenshots go to var/results/browser/<test name>/ (tests/e2e/browser.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, expect

from gateway.app import create_app as create_gateway
from handoff.store.conversations import append_customer_message
from handoff.store.tickets import RedisTicketStore
from tests.e2e.browser import Screenshots
from tests.gateway.console_support import console_settings
from tests.support.handoff import (
    HUB,
    agent_headers,
    conversation,
    handoff_body,
)

XSS = (
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    '<svg onload="window.__xss=3"></svg>',
    "[help](javascript:window.__xss=4)",
    "javascript:window.__xss=5",
)


@pytest.fixture
def service(handoff_client: TestClient) -> TestClient:
    return handoff_client


@pytest.fixture
async def console_url(aiohttp_client, redis_url, service) -> str:  # type: ignore[no-untyped-def]
    service_url = str(service.make_url("")).rstrip("/")
    gateway: TestClient = await aiohttp_client(
        create_gateway(console_settings(redis_url, service_url))
    )
    return str(gateway.make_url("/console"))


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(request.node.name)


async def signed_in(browser: Browser, console_url: str, token: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(console_url)
    await page.get_by_test_id("sign-in-token").fill(token)
    await page.get_by_test_id("sign-in-submit").click()
    await expect(page.get_by_test_id("live-status")).to_have_text("Live")
    return page


# (article_version, article_updated) the hub article was served with
HUB_VERSION = ("c4d2e8a1907b", "2026-09-12")


async def open_ticket(service: Any, *last_words: str) -> str:
    tracker = conversation(HUB, *last_words, conversation_id="conv-hub", version=HUB_VERSION)
    body = handoff_body(tracker)
    response = await service.post("/handoff/tickets", json=body)
    assert response.status == 201, await response.text()
    return str((await response.json())["ticket_id"])


async def test_an_agent_works_a_live_handoff_in_the_console(  # type: ignore[no-untyped-def]
    browser, console_url, service, redis_url, redis_client, clock, shots
) -> None:
    priya = (await agent_headers(redis_url, "priya"))["Authorization"].removeprefix("Bearer ")
    page = await (await browser.new_context()).new_page()
    problems: list[str] = []  # script errors and anything the page's CSP blocked
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text))
    await page.goto(console_url)
    await page.get_by_test_id("sign-in-token").fill("not-a-token")
    await page.get_by_test_id("sign-in-submit").click()
    await expect(page.get_by_test_id("sign-in-error")).to_contain_text("not accepted")
    await page.get_by_test_id("sign-in-token").fill(priya)
    await page.get_by_test_id("sign-in-token").press("Enter")
    await expect(page.get_by_test_id("live-status")).to_have_text("Live")
    await expect(page.get_by_test_id("agent-name")).to_have_text("Priya Natarajan")
    await expect(page.get_by_test_id("agent-load")).to_have_text("0 of 3 chats")
    await shots.take(page, "signed-in")

    ticket_id = await open_ticket(service, *XSS)
    arrived = page.locator(f'[data-testid="queue-ticket"][data-ticket-id="{ticket_id}"]')
    await expect(arrived).to_be_visible()
    await expect(page.locator("li.is-new", has=arrived)).to_have_count(1)
    await expect(page).to_have_title("(1) Agent console")
    await shots.take(page, "handoff-arrived")

    await arrived.click()
    await expect(page.get_by_test_id("ticket-id")).to_have_text(ticket_id)
    await expect(page.get_by_test_id("ticket-summary")).to_contain_text(HUB.text)
    await expect(page.get_by_test_id("article")).to_contain_text(HUB.title)
    await expect(page.get_by_test_id("article")).to_contain_text(
        "version c4d2e8a1907b, updated 2026-09-12"
    )
    await expect(page.get_by_test_id("escalation-reason")).to_have_text(
        "Asked for a person at turn 9"
    )
    transcript = page.get_by_test_id("transcript")
    for payload in XSS:
        await expect(transcript).to_contain_text(payload)  # shown as the text it is
    assert await transcript.locator("img, script, svg, a").count() == 0
    assert await page.evaluate("window.__xss") is None
    await shots.take(page, "ticket-open")

    await page.get_by_test_id("claim").click()
    await expect(page.get_by_test_id("ticket-status")).to_have_text("assigned")
    await expect(page.get_by_test_id("agent-load")).to_have_text("1 of 3 chats")
    await page.get_by_test_id("reply-text").fill("Hi, Priya here. Is the hub's light amber now?")
    await page.get_by_test_id("reply-text").press("Enter")
    agent_turn = page.locator('[data-testid="turn"][data-speaker="agent"]')
    await expect(agent_turn.last).to_contain_text("Is the hub's light amber now?")
    await expect(page.get_by_test_id("reply-text")).to_have_value("")

    store = RedisTicketStore(redis_client)
    await append_customer_message(store, "conv-hub", "yes, still amber", now=clock())
    customer_turn = page.locator('[data-testid="turn"][data-speaker="customer"]')
    await expect(customer_turn.last).to_contain_text("yes, still amber")  # live, no reload

    await page.get_by_test_id("note-text").fill("Firmware 2.1 suspected")
    await page.get_by_test_id("note-add").click()
    await expect(page.get_by_test_id("note")).to_contain_text("Firmware 2.1 suspected")
    await shots.take(page, "chatting")

    await page.reload()  # the token survives a reload of the tab
    await expect(page.get_by_test_id("live-status")).to_have_text("Live")
    await page.get_by_test_id("list-mine").click()
    await page.locator(f'[data-testid="ticket-row"][data-ticket-id="{ticket_id}"]').click()
    await page.get_by_test_id("resolve-code").select_option("troubleshooting_fixed")
    await page.get_by_test_id("resolve-submit").click()
    await expect(page.get_by_test_id("ticket-status")).to_have_text("resolved")
    await expect(page.get_by_test_id("reply-form")).to_be_hidden()
    await expect(page.get_by_test_id("agent-load")).to_have_text("0 of 3 chats")
    await shots.take(page, "resolved")

    assert [text for text in problems if "Failed to load resource" not in text] == []
    await page.get_by_test_id("sign-out").click()
    await expect(page.get_by_test_id("sign-in")).to_be_visible()
    assert await page.evaluate("sessionStorage.length") == 0


async def test_presence_transfer_and_escalation_in_the_console(  # type: ignore[no-untyped-def]
    browser, console_url, service, redis_url, shots
) -> None:
    priya = (await agent_headers(redis_url, "priya"))["Authorization"].removeprefix("Bearer ")
    maya = (await agent_headers(redis_url, "maya"))["Authorization"].removeprefix("Bearer ")
    page = await signed_in(browser, console_url, priya)
    billing = await signed_in(browser, console_url, maya)
    await page.get_by_test_id("presence-select").select_option("away")
    await expect(page.get_by_test_id("announcer")).to_have_text("You are away.")

    ticket_id = await open_ticket(service, "it still blinks")
    await page.locator(f'[data-testid="queue-ticket"][data-ticket-id="{ticket_id}"]').click()
    await page.get_by_test_id("claim").click()
    await expect(page.get_by_test_id("ticket-status")).to_have_text("assigned")
    await page.get_by_test_id("transfer-team").select_option("billing")
    await page.get_by_test_id("transfer-submit").click()

    # priya is not in billing: the ticket leaves her view with a clear reason
    await expect(page.get_by_test_id("notice")).to_contain_text("no longer yours to see")
    await expect(page.get_by_test_id("notice")).to_contain_text("belongs to team billing")
    await expect(page.get_by_test_id("ticket-body")).to_be_hidden()
    # maya (billing) sees it arrive, live, with the cue and an announcement
    arrived = billing.locator(f'[data-testid="queue-ticket"][data-ticket-id="{ticket_id}"]')
    await expect(arrived).to_be_visible()
    await expect(billing.locator("li.is-new", has=arrived)).to_have_count(1)
    await expect(billing.get_by_test_id("announcer")).to_contain_text("handoff for Billing")
    await page.wait_for_timeout(1500)  # background refreshes leave the notice in place
    await expect(page.get_by_test_id("notice")).to_contain_text("no longer yours to see")
    await shots.take(page, "transferred-away")
    await shots.take(billing, "transferred-in")

    await arrived.click()
    await billing.get_by_test_id("claim").click()
    await expect(billing.get_by_test_id("ticket-owner")).to_have_text("with maya")
    await billing.get_by_test_id("escalate-reason").fill("asks for a refund above my limit")
    await billing.get_by_test_id("escalate-submit").click()
    # maya is not a supervisor: the escalated ticket leaves her view, saying where it went
    await expect(billing.get_by_test_id("notice")).to_contain_text("belongs to team supervisors")
    await expect(billing.get_by_test_id("agent-load")).to_have_text("0 of 3 chats")


async def test_why_it_escalated_reads_as_a_sentence_and_a_list(  # type: ignore[no-untyped-def]
    browser, console_url, service, redis_url, shots
) -> None:
    priya = (await agent_headers(redis_url, "priya"))["Authorization"].removeprefix("Bearer ")
    page = await signed_in(browser, console_url, priya)
    body = handoff_body(conversation(HUB, "THIS IS USELESS!!!", conversation_id="conv-angry"))
    body["decision"] = {
        **body["decision"],
        "reason": "frustration",
        "score": 2.62,
        "offer_at": 1.25,
        "handoff_at": 2.5,
        "signals": [
            {"name": "frustration_phrase", "contribution": 1.0, "turn": 4, "evidence": "'USELESS'"},
            {"name": "not_helpful", "contribution": 0.75, "turn": 3, "evidence": "turn 2"},
            {"name": "emphatic_punctuation", "contribution": 0.3, "turn": 4, "evidence": "'!!!'"},
            {"name": "shouting", "contribution": 0.5, "turn": 4, "evidence": "'USELESS'"},
            {"name": "negative_sentiment", "contribution": 0.04, "turn": 2, "evidence": "-0.3"},
            {"name": "sentiment_trend", "contribution": 0.03, "turn": 3, "evidence": "fell"},
        ],
        "explanation": "turn 5: handoff (frustration), score 2.62: negative_sentiment +0.04 ...",
    }
    response = await service.post("/handoff/tickets", json=body)
    assert response.status == 201, await response.text()
    ticket_id = str((await response.json())["ticket_id"])

    await page.locator(f'[data-testid="queue-ticket"][data-ticket-id="{ticket_id}"]').click()

    await expect(page.get_by_test_id("escalation-reason")).to_have_text(
        "The customer is frustrated"
    )
    await expect(page.get_by_test_id("escalation-reason-item")).to_have_text(
        [
            "frustrated wording: 'USELESS' (turn 4)",
            "said an answer did not help (turn 3)",
            "wrote in capitals: 'USELESS' (turn 4)",
            "emphatic punctuation: '!!!' (turn 4)",
        ]  # not the +0.04 and +0.03 left of earlier moods
    )
    summary = page.get_by_test_id("ticket-summary")
    await expect(summary).to_contain_text(f'Wants: help with a problem - "{HUB.text}"')
    await expect(summary).not_to_contain_text("Why:")  # said once, in its own section
    why = page.get_by_role("region", name="Why it escalated")
    assert "_" not in await why.inner_text()  # the decision record is folded away
    assert "+0.0" not in await why.inner_text()
    transcript = await page.get_by_test_id("transcript").inner_text()
    assert "_" not in transcript, transcript  # no intent labels next to what people said
    await expect(page.get_by_test_id("signal").first).to_be_hidden()
    await shots.take(page, "why-it-escalated")

    await page.get_by_test_id("decision-record").locator("summary").click()
    await expect(page.get_by_test_id("signal")).to_have_count(6)
    await expect(page.get_by_test_id("decision-explanation")).to_contain_text("+0.04")
    await expect(page.get_by_test_id("routing-reasons")).not_to_be_empty()
