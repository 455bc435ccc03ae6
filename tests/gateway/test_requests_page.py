"""The customer's own requests page through the public gateway, with the real service and the
real gateway over one real Redis: what a customer with the link in our email, or with the
widget's session, sees and does, and what is refused with which reason."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import expect

from gateway.app import create_app as create_gateway
from gateway.sessions import GatewayStore
from infra.signed_links import LinkClaims, make_link_token
from stack.supervisor import free_port
from tests.conftest import TOKEN
from tests.e2e.browser import Screenshots
from tests.gateway.console_support import UNUSED_RASA, service_app
from tests.gateway.support import FakeRasa, conversation_of, gateway_settings, stand_in_rasa
from tests.support.handoff import (
    HUB,
    REFUND,
    MovableClock,
    agent_headers,
    conversation,
    handoff_body,
    handoff_settings,
)

SECRET = "requests-link-secret-" + "g" * 12
API = "/requests/api"


@pytest.fixture
async def service(aiohttp_client, redis_url, articles_dir, embedder, redis_client, clock):  # type: ignore[no-untyped-def]
    settings = handoff_settings(redis_url, articles_dir, LINK_SIGNING_SECRET=SECRET)
    app = service_app(settings, embedder, clock)
    return await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def gateway_extra() -> dict[str, str]:
    return {}


@pytest.fixture
async def gateway(aiohttp_client, redis_url, service, gateway_extra):  # type: ignore[no-untyped-def]
    env = {
        "SERVICE_URL": str(service.make_url("")).rstrip("/"),
        "SERVICE_TOKEN": TOKEN,
        "LINK_SIGNING_SECRET": SECRET,
        **gateway_extra,
    }
    settings = gateway_settings(redis_url, UNUSED_RASA, **env)
    return await aiohttp_client(create_gateway(settings))


def link(
    clock: MovableClock,
    conversation_id: str,
    ticket_id: str,
    *,
    purpose: Any = "requests",
    expires_at: int | None = None,
    secret: str = SECRET,
) -> str:
    expires = expires_at if expires_at is not None else int(clock.now.timestamp() + 3600)
    claims = LinkClaims(purpose, conversation_id, ticket_id, expires)
    return make_link_token(secret.encode(), claims)


async def open_ticket(service: TestClient, conversation_id: str, topic: Any = HUB) -> str:
    body = handoff_body(conversation(topic, conversation_id=conversation_id))
    response = await service.post("/handoff/tickets", json=body)
    assert response.status == 201, await response.text()
    return str((await response.json())["ticket_id"])


async def post(gateway: TestClient, path: str, body: Any, status: int = 200) -> Any:
    response = await gateway.post(path, json=body)
    assert response.status == status, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    return await response.json()


async def test_the_page_is_served_with_its_files_and_no_inline_script(gateway) -> None:  # type: ignore[no-untyped-def]
    response = await gateway.get("/requests")
    page = await response.text()

    assert response.status == 200 and response.content_type == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert '<script type="module" src="/requests/requests.js"></script>' in page
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    script = await (await gateway.get("/requests/requests.js")).text()
    assert (await gateway.get("/requests/requests.css")).status == 200
    assert "innerHTML" not in script and "textContent" in script
    assert (await gateway.get("/requests/other.js")).status == 404


async def test_with_the_emailed_link_a_customer_sees_adds_to_and_withdraws_a_request(  # type: ignore[no-untyped-def]
    gateway, service, clock, redis_url
) -> None:
    ticket_id = await open_ticket(service, "conv-mail", REFUND)
    token = link(clock, "conv-mail", ticket_id)

    listed = await post(gateway, f"{API}/list", {"token": token})
    added = await post(
        gateway, f"{API}/{ticket_id}/messages", {"token": token, "text": "Any news?"}, 201
    )
    withdrawn = await post(gateway, f"{API}/{ticket_id}/close", {"token": token})

    [request] = listed["requests"]
    assert (request["ticket_id"], request["status"]) == (ticket_id, "waiting")
    assert request["promised_reply_by"]  # nobody online: the promised reply time
    assert REFUND.text in [turn["text"] for turn in request["transcript"]]
    assert added["request"]["transcript"][-1] == {"from": "customer", "text": "Any news?"}
    agent_view = await service.get(
        f"/agent/tickets/{ticket_id}", headers=await agent_headers(redis_url, "dana")
    )
    assert (await agent_view.json())["ticket"]["transcript"][-1]["text"] == "Any news?"
    assert withdrawn["request"]["status_text"] == "Withdrawn"
    again = await post(gateway, f"{API}/{ticket_id}/close", {"token": token}, 409)
    assert again == {"error": "this request is withdrawn already", "reason": "conflict"}


async def test_the_widget_session_opens_its_own_conversations_requests(  # type: ignore[no-untyped-def]
    gateway, service, redis_client: redis.Redis
) -> None:
    session = await GatewayStore(redis_client, 3600).issue()
    mine = await open_ticket(service, session.conversation_id)
    await open_ticket(service, "conv-someone-else", REFUND)

    listed = await post(gateway, f"{API}/list", {"session_id": session.session_id})
    unknown = await post(gateway, f"{API}/list", {"session_id": "x" * 32}, 403)

    assert [request["ticket_id"] for request in listed["requests"]] == [mine]
    assert unknown["reason"] == "session_ended"
    assert unknown["error"].startswith("this chat session has ended")


@pytest.mark.parametrize(
    ("change", "status", "reason", "words"),
    [
        ({"expires_at": 1}, 410, "expired", "this link has expired - "),
        ({"secret": "someone-else-secret-" + "z" * 10}, 403, "forged", "not one of ours"),
        ({"purpose": "resume"}, 400, "wrong_purpose", "not a requests link"),
    ],
)
async def test_an_expired_forged_or_other_link_gets_nothing_but_the_reason(  # type: ignore[no-untyped-def]
    gateway, service, clock, caplog, change, status, reason, words
) -> None:
    ticket_id = await open_ticket(service, "conv-bad")
    token = link(clock, "conv-bad", ticket_id, **change)
    caplog.set_level(logging.DEBUG)

    refused = await post(gateway, f"{API}/list", {"token": token}, status)
    message = await post(
        gateway, f"{API}/{ticket_id}/messages", {"token": token, "text": "hi"}, status
    )

    assert refused["reason"] == reason and words in refused["error"]
    assert message == refused  # nothing added either
    assert token not in caplog.text  # the link's token is in no log line
    assert ticket_id not in str(refused)


async def test_another_customers_request_is_not_found_like_one_that_does_not_exist(  # type: ignore[no-untyped-def]
    gateway, service, clock
) -> None:
    mine = await open_ticket(service, "conv-mine")
    theirs = await open_ticket(service, "conv-theirs", REFUND)
    token = link(clock, "conv-mine", mine)

    taken = await post(gateway, f"{API}/{theirs}/close", {"token": token}, 404)
    missing = await post(gateway, f"{API}/tk-nothing/close", {"token": token}, 404)

    assert taken == {"error": f"no request {theirs}", "reason": "not_found"}
    assert missing == {"error": "no request tk-nothing", "reason": "not_found"}
    state = await (await service.get("/handoff/conversations/conv-theirs")).json()
    assert state["status"] == "waiting"


@pytest.mark.parametrize(
    ("body", "reason", "words"),
    [
        ({}, "no_access", "open this page from the link in our email"),
        ([1, 2], "invalid", "send a JSON object"),
        ({"token": "not-a-link"}, "malformed", "copy the whole link"),
    ],
)
async def test_a_request_without_a_way_in_is_a_400_with_the_reason(  # type: ignore[no-untyped-def]
    gateway, body, reason, words
) -> None:
    refused = await post(gateway, f"{API}/list", body, 400)
    assert refused["reason"] == reason and words in refused["error"]


async def test_an_empty_message_is_a_400_saying_why(gateway, service, clock) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await open_ticket(service, "conv-empty")
    body = {"token": link(clock, "conv-empty", ticket_id), "text": "  "}

    refused = await post(gateway, f"{API}/{ticket_id}/messages", body, 400)

    assert refused == {
        "error": "text must be non-empty text of at most 1000 chars",
        "reason": "invalid",
    }


@pytest.mark.parametrize("gateway_extra", [{"GATEWAY_ADDRESS_BURST": "2"}])
async def test_too_many_calls_from_one_address_are_refused_with_when_to_retry(gateway) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        await post(gateway, f"{API}/list", {}, 400)

    response = await gateway.post(f"{API}/list", json={})

    assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
    refused = await response.json()
    assert refused["reason"] == "rate_limited"
    assert refused["error"].startswith("too many requests from your network - try again in")


@pytest.mark.parametrize("gateway_extra", [{"SERVICE_URL": "http://127.0.0.1:9"}])
async def test_a_service_that_cannot_answer_is_a_503_never_a_500(gateway, clock) -> None:  # type: ignore[no-untyped-def]
    refused = await post(gateway, f"{API}/list", {"token": link(clock, "conv-x", "tk-x")}, 503)
    assert refused == {
        "error": "your requests can't be shown right now - try again in a few minutes",
        "reason": "unavailable",
    }


XSS = ('<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>")


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(request.node.name)


async def test_in_a_browser_the_emailed_link_shows_the_request_and_takes_a_message(  # type: ignore[no-untyped-def]
    browser, gateway, service, clock, redis_url, shots
) -> None:
    body = handoff_body(conversation(REFUND, *XSS, conversation_id="conv-browser"))
    opened = await service.post("/handoff/tickets", json=body)
    ticket_id = str((await opened.json())["ticket_id"])
    page = await (await browser.new_context()).new_page()
    problems: list[str] = []  # script errors and anything the page's CSP blocked
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text))

    await page.goto(
        str(gateway.make_url("/requests")) + "#token=" + link(clock, "conv-browser", ticket_id)
    )

    card = page.get_by_test_id("request")
    await expect(card).to_have_count(1)
    await expect(card.get_by_test_id("status")).to_have_text("Waiting for a person")
    await expect(card.get_by_test_id("promise")).to_contain_text("We promised to reply by")
    transcript = card.get_by_test_id("transcript")
    await expect(transcript).to_contain_text(REFUND.text)
    for words in XSS:  # what the customer typed stays text
        await expect(transcript).to_contain_text(words)
    assert await page.evaluate("window.__xss") is None
    assert "#token" not in page.url  # the link's secret is out of the address bar
    await shots.take(page, "requests-page")

    await card.get_by_test_id("message-input").fill("It arrived broken, photos on request.")
    await card.get_by_test_id("send").click()

    await expect(page.get_by_test_id("notice")).to_have_text("Your message was sent to our team.")
    await expect(page.get_by_test_id("transcript")).to_contain_text("photos on request")
    agent_view = await service.get(
        f"/agent/tickets/{ticket_id}", headers=await agent_headers(redis_url, "dana")
    )
    last = (await agent_view.json())["ticket"]["transcript"][-1]
    assert last["text"] == "It arrived broken, photos on request."
    await page.get_by_test_id("withdraw").click()
    await page.get_by_test_id("withdraw").click()  # the second click confirms
    await expect(page.get_by_test_id("status")).to_have_text("Withdrawn")
    await shots.take(page, "withdrawn")
    await page.reload()  # the link is kept in the tab: a reload shows the request again
    await expect(page.get_by_test_id("status")).to_have_text("Withdrawn")
    assert problems == []


async def test_in_a_browser_an_expired_link_shows_nothing_but_why(  # type: ignore[no-untyped-def]
    browser, gateway, service, clock, shots
) -> None:
    ticket_id = await open_ticket(service, "conv-old")
    token = link(clock, "conv-old", ticket_id, expires_at=int(clock.now.timestamp()) - 60)
    page = await (await browser.new_context()).new_page()

    await page.goto(str(gateway.make_url("/requests")) + "#token=" + token)

    await expect(page.get_by_test_id("notice")).to_have_text(
        "This link has expired - start a new chat and ask again."
    )
    await expect(page.get_by_test_id("request")).to_have_count(0)
    await shots.take(page, "expired-link")
    fresh = await (await browser.new_context()).new_page()
    await fresh.goto(str(gateway.make_url("/requests")))  # no link, no session: how to get in
    await expect(fresh.get_by_test_id("notice")).to_contain_text("Open this page from the link")


@pytest.fixture
async def site(redis_url, service) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """The gateway on a port known in advance, so the demo page's widget may connect."""
    async with stand_in_rasa(FakeRasa().webhook) as rasa_url:
        port = free_port()
        settings = gateway_settings(
            redis_url,
            rasa_url,
            GATEWAY_PORT=str(port),
            GATEWAY_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
            SERVICE_URL=str(service.make_url("")).rstrip("/"),
            SERVICE_TOKEN=TOKEN,
        )
        server = TestServer(create_gateway(settings), host="127.0.0.1", port=port)
        await server.start_server()
        yield f"http://127.0.0.1:{port}"
        await server.close()


async def test_in_a_browser_the_widgets_link_opens_the_requests_of_its_own_chat(  # type: ignore[no-untyped-def]
    browser, site, service, redis_client, shots
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(site + "/")
    await page.click("[data-testid=sw-launcher]")
    await page.wait_for_selector("#support-widget[data-connection=connected]")
    session_id = str(await page.evaluate("window.supportWidget.store.data.sessionId"))
    ticket_id = await open_ticket(service, await conversation_of(redis_client, session_id))
    await open_ticket(service, "conv-not-this-chat", REFUND)

    async with context.expect_page() as opened:
        await page.get_by_test_id("sw-requests").click()
    requests_page = await opened.value

    card = requests_page.get_by_test_id("request")
    await expect(card).to_have_count(1)
    await expect(card).to_have_attribute("data-ticket-id", ticket_id)
    await expect(card.get_by_test_id("status")).to_have_text("Waiting for a person")
    assert "#session" not in requests_page.url  # the session id is out of the address bar
    await shots.take(requests_page, "from-the-widget")
    await context.close()  # the widget's socket closes before the gateway does
