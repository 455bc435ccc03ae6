"""The whole journey in two browsers on the real stack (Redis, service, action server, Rasa with
the trained model, the gateway), as customer and agent live it:

a customer on the demo page asks a question and gets an article, is not helped, gets
frustrated and is handed off, and sees the wait; an agent signed in to the console sees the
ticket arrive live with its context, claims it; they chat both ways (the bot stays silent); the
customer reloads mid-chat and the chat goes on; the agent resolves and the customer answers the
survey (CSAT and effort). Then the same customer asks for a person again, the agent hands the
chat back, and the bot answers again; the session ends in an outcome record with the survey
and without any of their words. During the chat the customer types a card number, an IBAN, a
password, an email address and a phone number: afterwards no log file, no Redis key or value
and not the append-only file holds the card, the IBAN or the password, and the email and phone
are held only in the customer's own conversation (its tracker and its two tickets).
Screenshots: var/results/browser/<test name>/ (tests/e2e/browser.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as redis
from playwright.async_api import Browser, Page, expect

from handoff import store as handoff_store
from stack.supervisor import Stack
from tests.e2e.browser import Screenshots
from tests.e2e.test_outcomes import assert_no_words_in_the_stream, folded_record, record_of
from tests.support.personal_data import Seeded, grouped, held_only_by

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

AGENT = "maya"  # billing and general: the double charge below goes to billing
AGENT_NAME = "Maya Okafor"
# An answer that does not help, a knowledge-base miss, then the customer asks for a person
# (the same conversation as tests/e2e/test_handoff.py).
QUESTION = "I was charged $89.99 twice for order HL-482913 on March 3rd"
FRUSTRATED = [
    "no, that didn't help at all",
    "can you send the second $89.99 back to my paypal account",
    "no, that's not it",  # to the assistant's "did you mean ...?": handed off here
]
BOT = "[data-testid=sw-message][data-sender=bot]"
LIVE = 15_000  # ms: what a person would call "live", with room for two busy cores


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Poll from Python: the demo page's CSP (no eval) rules out wait_for_function strings."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting for the page"
        await asyncio.sleep(0.1)


async def say(page: Page, text: str, *, bot_replies: bool = True) -> None:
    """Type and send like a customer; wait for the bot's answer when one is expected."""
    before = await page.locator(BOT).count()
    await page.get_by_test_id("sw-input").fill(text)
    await page.get_by_test_id("sw-input").press("Enter")
    mine = page.locator("[data-testid=sw-message][data-sender=customer]").last
    await expect(mine).to_have_text(text, timeout=LIVE)
    if bot_replies:

        async def answered() -> bool:
            return await page.locator(BOT).count() > before

        try:
            await until(answered, timeout=60)
        except AssertionError:
            log = await page.get_by_test_id("sw-log").inner_text()
            raise AssertionError(f"no answer to {text!r}; the chat reads:\n{log}") from None
        await expect(page.get_by_test_id("sw-typing")).to_be_hidden(timeout=LIVE)


async def customer_page(browser: Browser, stack: Stack) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{stack.config.gateway_url}/")
    await page.get_by_test_id("sw-launcher").click()
    await expect(page.locator("#support-widget")).to_have_attribute(
        "data-connection", "connected", timeout=LIVE
    )
    return page


async def agent_page(browser: Browser, stack: Stack, token: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{stack.config.gateway_url}/console")
    await page.get_by_test_id("sign-in-token").fill(token)
    await page.get_by_test_id("sign-in-submit").click()
    await expect(page.get_by_test_id("live-status")).to_have_text("Live", timeout=LIVE)
    await expect(page.get_by_test_id("agent-name")).to_have_text(AGENT_NAME)
    return page


async def agent_token(stack: Stack) -> str:
    store = await handoff_store.create(stack.config.redis.url)
    try:
        return await store.agents.issue_token(AGENT)
    finally:
        await store.close()


async def stored_ticket(stack: Stack, ticket_id: str) -> dict:
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        fields = await client.hgetall(f"handoff:ticket:{ticket_id}")
    finally:
        await client.aclose()
    assert fields, f"ticket {ticket_id} is not in Redis"
    return fields


async def handed_off_ticket(agent: Page, customer: Page) -> str:
    """The ticket that arrives live in the agent's queue once the customer is handed off."""
    await expect(customer.locator("#support-widget")).to_have_attribute(
        "data-handoff-state", "waiting", timeout=LIVE
    )
    # The one that arrived while the console was open, not a ticket an earlier test left.
    arrived = agent.locator("li.is-new [data-testid=queue-ticket]").first
    await expect(arrived).to_be_visible(timeout=LIVE)
    ticket_id = await arrived.get_attribute("data-ticket-id")
    assert ticket_id
    return ticket_id


async def claim(agent: Page, customer: Page, ticket_id: str) -> None:
    await agent.locator(f'[data-testid=queue-ticket][data-ticket-id="{ticket_id}"]').click()
    await expect(agent.get_by_test_id("ticket-id")).to_have_text(ticket_id)
    await agent.get_by_test_id("claim").click()
    await expect(agent.get_by_test_id("ticket-status")).to_have_text("assigned", timeout=LIVE)
    await expect(customer.locator("#support-widget")).to_have_attribute(
        "data-handoff-state", "agent", timeout=LIVE
    )


async def agent_says(agent: Page, customer: Page, text: str) -> None:
    await agent.get_by_test_id("reply-text").fill(text)
    await agent.get_by_test_id("reply-text").press("Enter")
    last = customer.locator("[data-testid=sw-message][data-sender=agent]").last
    await expect(last).to_contain_text(text, timeout=LIVE)


async def test_customer_and_agent_journey(browser: Browser, stack: Stack) -> None:
    shots = Screenshots("journey")
    agent = await agent_page(browser, stack, await agent_token(stack))
    await shots.take(agent, "console-signed-in")
    customer = await customer_page(browser, stack)
    await shots.take(customer, "widget-open")

    # Asks, gets an article.
    await say(customer, QUESTION)
    link = customer.locator(f"{BOT} [data-testid=sw-link]").last
    await expect(link).to_be_visible()
    assert (await link.get_attribute("href") or "").startswith(
        "https://help.hearthly.example/articles/"
    )
    await shots.take(customer, "widget-article")

    # Is not helped, gets frustrated, is handed off and sees the wait.
    for text in FRUSTRATED:
        await say(customer, text)
    ticket_id = await handed_off_ticket(agent, customer)
    status = customer.get_by_test_id("sw-status-text")
    await expect(status).not_to_be_empty()
    wait_text = await status.text_content() or ""
    assert "queue" in wait_text or "reply" in wait_text, wait_text
    await shots.take(customer, "widget-waiting")

    # The agent sees it arrive live, with its context.
    await expect(agent.locator("li.is-new")).to_have_count(1, timeout=LIVE)
    await shots.take(agent, "console-handoff-arrived")
    await agent.locator(f'[data-testid=queue-ticket][data-ticket-id="{ticket_id}"]').click()
    await expect(agent.get_by_test_id("ticket-summary")).to_contain_text("HL-482913")
    await expect(agent.get_by_test_id("context")).to_contain_text("HL-482913")
    await expect(agent.get_by_test_id("context")).to_contain_text("89.99")
    await expect(agent.get_by_test_id("escalation-reason")).not_to_be_empty()
    await expect(agent.get_by_test_id("escalation-reason-item").first).to_be_visible()
    await agent.get_by_test_id("decision-record").locator("summary").click()
    await expect(agent.get_by_test_id("signal").first).to_be_visible()
    await expect(agent.get_by_test_id("article").first).to_be_visible()
    transcript = agent.get_by_test_id("transcript")
    first_turn = transcript.get_by_test_id("turn").first  # the widget's "/greet", in words
    await expect(first_turn).to_contain_text("opened the chat")
    await expect(first_turn).not_to_contain_text("/greet")
    await expect(transcript).to_contain_text(QUESTION)
    await expect(transcript).to_contain_text(FRUSTRATED[-1])
    await shots.take(agent, "console-ticket")

    # Claims it; they chat both ways; the bot stays silent.
    await claim(agent, customer, ticket_id)
    joined = customer.locator(
        "[data-testid=sw-message][data-sender=system][data-event=agent_joined]"
    )
    await expect(joined).to_contain_text(AGENT_NAME, timeout=LIVE)
    bot_messages = await customer.locator(BOT).count()
    await agent_says(agent, customer, "Hi, I'm Maya. I can see the second $89.99 charge.")
    await expect(customer.get_by_test_id("sw-agent-name").last).to_have_text(AGENT_NAME)
    typed = "thanks! <img src=x onerror=alert(1)> is what the bank shows"
    await say(customer, typed, bot_replies=False)
    customer_turn = agent.locator('[data-testid=turn][data-speaker="customer"]').last
    await expect(customer_turn).to_contain_text(typed, timeout=LIVE)
    assert await transcript.locator("img").count() == 0  # typed HTML stays text
    await shots.take(customer, "widget-live-chat")
    await shots.take(agent, "console-live-chat")

    # A reload mid-chat: the conversation is still there and goes on.
    await customer.reload()
    await customer.get_by_test_id("sw-launcher").click()
    await expect(customer.locator("#support-widget")).to_have_attribute(
        "data-connection", "connected", timeout=LIVE
    )
    await expect(customer.get_by_test_id("sw-log")).to_contain_text("I can see the second $89.99")
    await agent_says(agent, customer, "I've refunded it; you'll see it in 3-5 business days.")
    seeded = Seeded()
    await say(
        customer,
        f"it was card {grouped(seeded.card)}, IBAN {seeded.iban}, my login password is "
        f"{seeded.password}; email {seeded.email} or call {seeded.phone}",
        bot_replies=False,
    )
    await say(customer, "great, thank you", bot_replies=False)
    await expect(agent.locator('[data-testid=turn][data-speaker="customer"]').last).to_contain_text(
        "great, thank you", timeout=LIVE
    )
    await asyncio.sleep(1.0)  # time for a bot reply, had one been sent
    assert await customer.locator(BOT).count() == bot_messages, "the bot spoke during the takeover"
    await shots.take(customer, "widget-after-reload")

    # The agent resolves; the customer answers the survey (CSAT and effort) about the agent.
    await agent.get_by_test_id("resolve-code").select_option("refund_issued")
    await agent.get_by_test_id("resolve-submit").click()
    await expect(agent.get_by_test_id("ticket-status")).to_have_text("resolved", timeout=LIVE)
    survey = customer.locator("[data-testid=sw-survey][data-audience=agent]")
    await expect(survey).to_be_visible(timeout=LIVE)
    await customer.locator("[data-testid=sw-csat-rating][data-rating='5']").click()
    await customer.locator("[data-testid=sw-ces-rating][data-rating='6']").click()
    await customer.get_by_test_id("sw-csat-comment").fill("Maya sorted it in minutes.")
    await shots.take(customer, "widget-csat")
    await customer.get_by_test_id("sw-survey-submit").click()
    thanks = customer.locator("[data-testid=sw-survey-thanks][data-state=saved]")
    await expect(thanks).to_be_visible(timeout=LIVE)
    csat = json.loads((await stored_ticket(stack, ticket_id))["csat"])
    assert (csat["rating"], csat["comment"]) == (5, "Maya sorted it in minutes.")
    await shots.take(customer, "widget-csat-thanks")

    # The same customer asks for a person again; this time the agent hands back to the bot.
    await say(customer, "sorry, one more thing: can I talk to a person again?")
    second = await handed_off_ticket(agent, customer)
    assert second != ticket_id
    await claim(agent, customer, second)
    await agent_says(agent, customer, "The assistant can help with that one; handing you back.")
    before = await customer.locator(BOT).count()
    await agent.get_by_test_id("hand-back").click()
    await expect(customer.locator("#support-widget")).to_have_attribute(
        "data-handoff-state", "bot", timeout=LIVE
    )
    await expect(customer.locator(BOT).nth(before)).to_contain_text("back", timeout=LIVE)
    await shots.take(customer, "widget-handed-back")
    await say(customer, "how do I reset my hub?")
    answer = customer.locator(BOT).last
    await expect(answer).not_to_be_empty()
    assert await customer.locator(f"{BOT} [data-testid=sw-link]").count() >= 2
    await shots.take(customer, "widget-bot-answers-again")

    # The session ends in an outcome record (the stack ends sessions after a few idle seconds):
    # the handoff with its ticket and the survey, and nothing the customer or the agent wrote.
    ticket = json.loads((await stored_ticket(stack, ticket_id))["ticket"])
    record = await record_of(stack, ticket["conversation_id"])
    assert record.escalation is not None and record.ticket is not None
    assert record.ticket.ticket_id in (ticket_id, second)
    surveyed = await folded_record(stack, record.key)  # in the record, or appended after it
    assert surveyed.survey is not None
    assert (surveyed.survey.audience, surveyed.survey.csat, surveyed.survey.ces) == ("agent", 5, 6)
    await assert_no_words_in_the_stream(stack, QUESTION, typed, *FRUSTRATED, "Maya sorted it")

    # What the customer typed during the chat: the secrets nowhere, the contacts only in their
    # own conversation.
    holders = await held_only_by(stack, seeded)
    own = {f"tracker:{ticket['conversation_id']}"} | {
        f"handoff:ticket:{one}" for one in (ticket_id, second)
    }
    assert f"handoff:ticket:{ticket_id}" in holders and holders <= own, holders
