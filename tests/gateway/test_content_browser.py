"""The content team's page in Debian's chromium (Playwright), against the real gateway and service
on real ports over one real Redis and a copy of the sample help centre: the content editor signs
in and lands on the page without touching the ticket APIs or the live events, sees a gap topic of
three differently phrased missed questions, makes a draft of an agent's answer, tries it and
publishes it. Screenshots go to var/results/browser/<test name>/ (tests/e2e/browser.py)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from gateway.app import create_app as create_gateway
from tests.e2e.browser import Screenshots
from tests.gateway.console_support import console_settings
from tests.support.handoff import HUB, agent_headers, conversation, go_online, handoff_body

# Nobody's article answers these (tests/service/test_gap_topics_api.py)
JOBS = ["are you hiring", "is your company hiring", "any job openings at your company?"]
REPLY = "Unplug the hub for ten seconds, then hold its button until it blinks white."


@pytest.fixture
async def gateway(aiohttp_client, redis_url, handoff_client) -> TestClient:  # type: ignore[no-untyped-def]
    service_url = str(handoff_client.make_url("")).rstrip("/")
    return await aiohttp_client(create_gateway(console_settings(redis_url, service_url)))  # type: ignore[no-any-return]


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def seed(service: TestClient, redis_url: str) -> None:
    """Three missed questions (one gap topic) and an agent's resolved chat (one suggestion)."""
    for number, question in enumerate(JOBS):
        body = {"query": question, "conversation_id": f"gap-{number}"}
        assert not (await ok(await service.post("/kb/search", json=body)))["answered"]
    priya = await agent_headers(redis_url, "priya")
    await go_online(service, priya)
    body = handoff_body(conversation(HUB, conversation_id="conv-suggested"))
    ticket_id = (await ok(await service.post("/handoff/tickets", json=body), 201))["ticket_id"]
    path = f"/agent/tickets/{ticket_id}"
    await ok(await service.post(f"{path}/reply", json={"text": REPLY}, headers=priya))
    await ok(
        await service.post(f"{path}/resolve", json={"resolution_code": "answered"}, headers=priya)
    )


async def test_gateway_content_redirects_to_the_console_view(gateway) -> None:  # type: ignore[no-untyped-def]
    response = await gateway.get("/content", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/console#content"


async def test_a_content_editor_finds_a_gap_and_publishes_a_draft(  # type: ignore[no-untyped-def]
    browser, gateway, handoff_client, redis_url, request
) -> None:
    shots = Screenshots(request.node.name)
    await seed(handoff_client, redis_url)
    cleo = (await agent_headers(redis_url, "cleo"))["Authorization"].removeprefix("Bearer ")
    page = await (await browser.new_context()).new_page()
    problems: list[str] = []  # page errors and failed calls (the refused edit's 400 aside)
    called: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda got: (
            problems.append(f"{got.request.method} {got.status} {got.url}")
            if got.status >= 400
            else None
        ),
    )
    page.on("request", lambda sent: called.append(sent.url))
    await page.goto(str(gateway.make_url("/content")))
    await page.get_by_test_id("sign-in-token").fill(cleo)
    await page.get_by_test_id("sign-in-submit").click()

    await expect(page.get_by_test_id("content-view")).to_be_visible()
    await expect(page.get_by_test_id("nav-tickets")).to_be_hidden()
    await expect(page.get_by_test_id("nav-content")).to_be_visible()
    await expect(page.get_by_test_id("presence-select")).to_be_hidden()
    await expect(page.get_by_test_id("live-status")).to_be_hidden()
    topic = page.get_by_test_id("content-topic")
    await expect(topic).to_have_count(1)
    await expect(topic).to_contain_text("3 questions; 3 in 7 days, 3 in 30 days")
    await expect(topic).to_contain_text("hiring")
    suggestion = page.get_by_test_id("content-suggestion")
    await expect(suggestion).to_contain_text(REPLY)
    await shots.take(page, "content-page")

    # the jobs topic as a draft, before a re-clustering gives the topics new ids
    await topic.get_by_test_id("content-topic-draft").click()
    notice = page.get_by_test_id("content-notice")
    await expect(notice).to_contain_text("made with the topic's questions: write its answer")
    hiring = page.get_by_test_id("content-draft").filter(has_text="hiring")
    await expect(hiring).to_have_count(1)
    await page.get_by_test_id("content-recluster").click()
    await expect(topic).to_have_count(1)
    await suggestion.get_by_test_id("content-make-draft").click()
    await expect(page.get_by_test_id("content-notice")).to_contain_text("made")
    draft = page.get_by_test_id("content-draft").filter(has_text=HUB.text)  # titled by the question
    await expect(draft).to_have_count(1)
    article_id = await draft.get_attribute("data-article-id")

    await draft.get_by_test_id("content-edit").click()  # an edit whose date does not parse
    text = draft.get_by_test_id("content-draft-text")
    markdown = await text.input_value()
    await text.fill(markdown.replace("updated: ", "updated: soon ", 1))
    await draft.get_by_test_id("content-save").click()
    await expect(page.get_by_test_id("content-notice")).to_contain_text("The draft was not saved:")
    await expect(text).to_have_value(markdown.replace("updated: ", "updated: soon ", 1))  # kept
    await shots.take(page, "edit-refused")

    await page.get_by_test_id("content-topic-choice").select_option(index=1)  # the jobs topic
    await draft.get_by_test_id("content-try").click()
    result = draft.get_by_test_id("content-try-result")
    await expect(result).to_contain_text("replayed")
    await expect(result).to_contain_text("On the labelled questions: top-1 accuracy")
    await expect(result).to_contain_text("Changed: ")  # the hub question moves to the draft
    await shots.take(page, "draft-tried")

    await draft.get_by_test_id("content-publish").click()
    await expect(page.get_by_test_id("content-notice")).to_contain_text("Published")
    await expect(draft).to_have_count(0)
    await shots.take(page, "draft-published")

    async with aiohttp.ClientSession() as session:  # the service lists it as published now
        listing = await session.get(
            str(handoff_client.make_url("/agent/content/drafts")),
            headers={"Authorization": f"Bearer {cleo}"},
        )
        assert article_id not in [d["article_id"] for d in (await listing.json())["drafts"]]
    assert not [
        url
        for url in called
        if "/console/api/" in url and "/content/" not in url and not url.endswith("/me")
    ]
    refused_edit = f"PUT 400 {gateway.make_url('/console/api/content/drafts/' + article_id)}"
    assert problems == [refused_edit]
