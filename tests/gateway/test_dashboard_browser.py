"""The supervisor dashboard and the QA review in Debian's chromium, against the real gateway and
service over one real Redis holding generated outcome records: the tiles show the API's
figures, a rate drills down to its conversations and opens one's QA review, the charts are drawn
with uPlot, the live queue and the agents' figures show, every view exports CSV; a verdict is
saved once (the second is refused in words, bad input too), a scorecard is saved and its agent
sees it; an agent gets the 403 in words and the API refuses them. Keyboard only where it
matters. Screenshots: var/results/browser/<test name>/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, expect

from benchmarks.outcome_records import generate_records
from gateway.app import create_app as create_gateway
from handoff import lifecycle
from outcomes import store as outcome_store
from outcomes.record import Escalation, OutcomeRecord, TicketTimes
from service.keys import HANDOFF, REVIEW
from tests.conftest import TOKEN
from tests.e2e.browser import Screenshots
from tests.gateway.console_support import console_settings, service_app
from tests.review.support import EXCHANGES_VERSION, two_misses_tracker
from tests.support.handoff import OPEN_HOURS, PAYMENT, agent_headers, handoff_settings, record

SESSION = "2026-03-09T09:20:05.000Z"
LIVE = 15_000


def sampled(conversation_id: str = "conv-7") -> OutcomeRecord:
    """An escalated session the agent marked "not needed": always sampled for review."""
    return OutcomeRecord(
        conversation_id=conversation_id,
        session=SESSION,
        started_at=SESSION,
        ended_at="2026-03-09T09:50:00.000Z",
        outcome="escalated",
        turns=3,
        first_intent="ask_question",
        escalation=Escalation("unresolved", "functional", "general", "normal", 3, False),
        ticket=TicketTimes("tk-7", "2026-03-09T09:22:00.000Z", escalation_not_needed=True),
    )


@pytest.fixture
async def service(aiohttp_client, redis_url, articles_dir, embedder, redis_client, clock):  # type: ignore[no-untyped-def]
    app = service_app(handoff_settings(redis_url, articles_dir), embedder, clock)
    client: TestClient = await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})
    records = [*generate_records(400, seed=5, end=OPEN_HOURS, days=6), sampled()]
    await outcome_store.append_many(redis_client, records)
    await app[REVIEW].capture(sampled(), two_misses_tracker("conv-7").tracker())
    waiting = record(PAYMENT, "conv-waiting", at=OPEN_HOURS - timedelta(minutes=25))
    await app[HANDOFF].store.tickets.add(waiting)  # its first response is due within 15 min
    return client


@pytest.fixture
async def console_url(aiohttp_client, redis_url, service) -> str:  # type: ignore[no-untyped-def]
    service_url = str(service.make_url("")).rstrip("/")
    gateway: TestClient = await aiohttp_client(
        create_gateway(console_settings(redis_url, service_url))
    )
    return str(gateway.make_url("/console"))


def keep_problem(text: str, problems: list[str]) -> None:
    """Script errors and CSP violations; chromium's "Failed to load resource" lines are the
    statuses refused calls got (the tests assert those) and the favicon nobody serves."""
    if not text.startswith("Failed to load resource"):
        problems.append(text)


async def signed_in(browser: Browser, url: str, token: str, problems: list[str]) -> Page:
    page = await (await browser.new_context(accept_downloads=True)).new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: keep_problem(message.text, problems))
    await page.goto(url)
    await page.get_by_test_id("sign-in-token").fill(token)
    await page.get_by_test_id("sign-in-token").press("Enter")
    await expect(page.get_by_test_id("live-status")).to_have_text("Live", timeout=LIVE)
    return page


async def token_of(redis_url: str, agent_id: str) -> str:
    return (await agent_headers(redis_url, agent_id))["Authorization"].removeprefix("Bearer ")


async def test_a_supervisor_reads_the_dashboard_drills_down_and_exports(  # type: ignore[no-untyped-def]
    browser, console_url, service, redis_url
) -> None:
    shots = Screenshots("dashboard-supervisor")
    problems: list[str] = []
    dana = await token_of(redis_url, "dana")
    page = await signed_in(browser, console_url, dana, problems)
    await expect(page.get_by_test_id("nav-dashboard")).to_be_visible()
    await page.get_by_test_id("nav-dashboard").click()
    tiles = page.get_by_test_id("tiles")
    await expect(tiles).to_have_attribute("data-painted", "1", timeout=LIVE)

    answer = await service.get(
        "/agent/analytics/metrics?window=7d&tz=UTC", headers={"Authorization": f"Bearer {dana}"}
    )
    metrics = await answer.json()
    containment = metrics["rates"]["containment"]
    shown = tiles.locator("[data-metric=containment] [data-testid=tile-value]")
    await expect(shown).to_have_text(f"{containment['value'] * 100:.1f} %")
    acted = metrics["rates"]["action_containment"]  # next to containment: resolved by acting
    assert acted["numerator"] > 0
    by_acting = tiles.locator("[data-testid=tile]").nth(1)
    await expect(by_acting).to_have_attribute("data-metric", "action_containment")
    await expect(by_acting.get_by_test_id("tile-value")).to_have_text(
        f"{acted['value'] * 100:.1f} %"
    )
    await expect(by_acting).to_contain_text(f"{acted['numerator']} of {acted['denominator']}")
    actions = page.locator("[data-testid=breakdown][data-breakdown=actions_by_result]")
    await expect(actions.get_by_test_id("breakdown-row")).to_have_count(
        len(metrics["breakdowns"]["actions_by_result"])
    )
    issued = metrics["breakdowns"]["actions_by_result"]["refund_issued"]
    row = actions.get_by_test_id("breakdown-row").filter(has_text="refund issued")
    await expect(row).to_contain_text(f"{issued['numerator']} of {issued['denominator']}")
    await expect(page.get_by_test_id("scope-summary")).to_contain_text(
        f"{metrics['sessions']} sessions"
    )
    await expect(page.get_by_test_id("chart").first).to_have_attribute("data-drawn", "true")
    await expect(page.get_by_test_id("chart")).to_have_count(3)
    await expect(page.get_by_test_id("live-queue").first).to_be_visible()
    await expect(page.get_by_test_id("at-risk-ticket")).to_have_count(1)
    await expect(page.get_by_test_id("agent-row").first).to_be_visible()
    await expect(page.get_by_test_id("breakdown").first).to_be_visible()
    await shots.take(page, "dashboard")

    # a rate, from the keyboard: its conversations, then one's QA review
    await tiles.locator("[data-metric=escalation]").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("drill-title")).to_be_focused()
    escalated = metrics["rates"]["escalation"]["numerator"]
    await expect(page.get_by_test_id("drill-summary")).to_contain_text(f"{escalated} sessions")
    await expect(page.get_by_test_id("drill-row")).to_have_count(min(50, escalated))
    await shots.take(page, "drill-down")
    async with page.expect_download() as download:
        await page.get_by_test_id("export-conversations").click()
    assert (await download.value).suggested_filename.startswith("conversations-7d-")
    async with page.expect_download() as download:
        await page.get_by_test_id("export-metrics").click()
    saved = await (await download.value).path()
    assert (await download.value).suggested_filename.startswith("metrics-7d-")
    assert saved is not None and "containment" in saved.read_text()
    async with page.expect_download() as download:
        await page.get_by_test_id("export-agents").click()
    assert (await download.value).suggested_filename.startswith("agents-7d-")

    # the window and a filter change the figures
    await page.get_by_test_id("scope-window").select_option("30d")
    await expect(page.get_by_test_id("scope-summary")).to_contain_text("sessions", timeout=LIVE)
    await page.get_by_test_id("scope-team").select_option("billing")
    await page.get_by_test_id("scope-apply").click()
    await expect(page.get_by_test_id("scope-summary")).to_contain_text("team billing")
    assert problems == []


async def test_a_supervisor_reviews_a_conversation_and_scores_an_agent(  # type: ignore[no-untyped-def]
    browser, console_url, service, redis_url
) -> None:
    shots = Screenshots("qa-review")
    problems: list[str] = []
    tickets = service.server.app[HANDOFF].store.tickets
    chat = record(PAYMENT, "conv-scored", at=OPEN_HOURS)
    await tickets.add(chat)
    await tickets.update(
        chat.ticket_id, lambda r: lifecycle.assign(r, "maya", now=OPEN_HOURS, by="maya")
    )
    await tickets.update(
        chat.ticket_id, lambda r: lifecycle.resolve(r, "maya", "answered", now=OPEN_HOURS)
    )
    page = await signed_in(browser, console_url, await token_of(redis_url, "dana"), problems)
    await page.get_by_test_id("nav-review").click()
    await expect(page.get_by_test_id("review-waiting")).to_have_text("1")
    await page.get_by_test_id("review-entry").click()
    await expect(page.get_by_test_id("review-case-title")).to_contain_text("conv-7")
    turns = page.get_by_test_id("review-turn")
    await expect(turns.first).to_be_visible()
    await expect(page.get_by_test_id("review-decision").first).to_contain_text("Decision:")
    await expect(page.get_by_test_id("review-sample")).to_contain_text("escalation not needed")
    version, updated = EXCHANGES_VERSION
    await expect(page.get_by_test_id("review-article")).to_have_text(
        f"Article suggested: Exchanges (version {version}, updated {updated})"
    )
    await shots.take(page, "review")

    await page.get_by_test_id("verdict-late").check()
    await page.get_by_test_id("verdict-submit").click()
    await expect(page.get_by_test_id("verdict-message")).to_contain_text("at which turn")
    await page.get_by_test_id("verdict-turn").fill("99")
    await page.get_by_test_id("verdict-submit").click()
    await expect(page.get_by_test_id("verdict-message")).to_contain_text("Check the form")
    await page.get_by_test_id("verdict-over").check()
    await page.get_by_test_id("verdict-turn").fill("")
    await page.get_by_test_id("verdict-note").fill("The article answered it; no person needed.")
    await page.get_by_test_id("verdict-submit").click()
    await expect(page.get_by_test_id("verdict-message")).to_contain_text("Verdict saved: over")
    await expect(page.get_by_test_id("review-waiting")).to_have_text("0")
    await page.get_by_test_id("verdict-submit").click()
    await expect(page.get_by_test_id("verdict-message")).to_contain_text("Already done")
    await shots.take(page, "verdict")

    await page.get_by_test_id("scorecard-ticket").fill(chat.ticket_id)
    for name, score in (
        ("resolved_need", "5"),
        ("accurate", "4"),
        ("no_reask", "2"),
        ("empathy", "5"),
    ):
        await page.get_by_test_id(f"scorecard-{name}").select_option(score)
    await page.get_by_test_id("scorecard-submit").click()
    await expect(page.get_by_test_id("scorecard-message")).to_contain_text("Check the form")
    await page.get_by_test_id("scorecard-followed_policy").select_option("4")
    await page.get_by_test_id("scorecard-submit").click()
    await expect(page.get_by_test_id("scorecard-message")).to_contain_text("saved for maya")
    await page.get_by_test_id("scorecard-submit").click()
    await expect(page.get_by_test_id("scorecard-message")).to_contain_text("Already done")
    await shots.take(page, "scorecard")

    maya = await signed_in(browser, console_url, await token_of(redis_url, "maya"), problems)
    await maya.get_by_test_id("nav-scorecards").click()
    await expect(maya.get_by_test_id("scorecard")).to_have_count(1)
    await expect(maya.get_by_test_id("scorecards-overall")).to_contain_text("overall 4")
    await shots.take(maya, "own-scorecards")
    assert problems == []


async def test_an_agent_is_refused_the_dashboard_in_words_and_by_the_api(  # type: ignore[no-untyped-def]
    browser, console_url, service, redis_url
) -> None:
    shots = Screenshots("dashboard-agent-refused")
    problems: list[str] = []
    maya = await token_of(redis_url, "maya")
    page = await signed_in(browser, console_url, maya, problems)
    await expect(page.get_by_test_id("nav-dashboard")).to_be_hidden()
    await expect(page.get_by_test_id("nav-review")).to_be_hidden()
    await page.goto(console_url + "#dashboard")
    refused = page.get_by_test_id("dashboard-refused")
    await expect(refused).to_be_visible(timeout=LIVE)
    await expect(refused).to_contain_text("for supervisors")
    await expect(page.get_by_test_id("dashboard-body")).to_be_hidden()
    await shots.take(page, "refused")
    await page.goto(console_url + "#review")
    await expect(page.get_by_test_id("review-refused")).to_contain_text("for supervisors")

    for path in ("metrics", "series?metric=containment", "conversations", "agents", "live"):
        answer = await service.get(
            f"/agent/analytics/{path}", headers={"Authorization": f"Bearer {maya}"}
        )
        assert answer.status == 403, path
    assert problems == []
