"""The agent console through the public gateway: the page, the agent API proxy and the live
events, with the real service and the real gateway on real ports over one real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis
import socketio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app as create_gateway
from gateway.console import setup_console
from handoff.store.conversations import append_customer_message
from handoff.store.tickets import RedisTicketStore
from stack.supervisor import free_port
from tests.conftest import TOKEN
from tests.gateway.console_support import EventStream, console_settings, service_app
from tests.gateway.support import ORIGIN, Widget, conversation_of
from tests.support.handoff import (
    HUB,
    PAYMENT,
    Topic,
    agent_headers,
    conversation,
    handoff_body,
    handoff_settings,
)

SECRET_WORDS = "my hub code is 4417 and it blinks"


@pytest.fixture
async def service(aiohttp_client, redis_url, articles_dir, embedder, redis_client, clock):  # type: ignore[no-untyped-def]
    """The real service with the QA review opened (the review paths reach it)."""
    app = service_app(handoff_settings(redis_url, articles_dir), embedder, clock)
    return await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def service_url(service: TestClient) -> str:
    return str(service.make_url("")).rstrip("/")


@pytest.fixture
async def gateway(aiohttp_client, redis_url, service_url):  # type: ignore[no-untyped-def]
    """The real gateway app, as `python -m gateway` builds it."""
    return await aiohttp_client(create_gateway(console_settings(redis_url, service_url)))


@pytest.fixture
async def agents(redis_url: str) -> dict[str, dict[str, str]]:
    """priya (technical) and maya (billing, general): tokens issued the way the CLI does."""
    return {name: await agent_headers(redis_url, name) for name in ("priya", "sam", "maya")}


async def open_ticket(service: TestClient, topic: Topic, conversation_id: str) -> str:
    body = handoff_body(conversation(topic, conversation_id=conversation_id))
    response = await service.post("/handoff/tickets", json=body)
    assert response.status == 201, await response.text()
    return str((await response.json())["ticket_id"])


async def call(
    gateway: TestClient, method: str, path: str, status: int, **kwargs: Any
) -> dict[str, Any]:
    response = await gateway.request(method, f"/console/api/{path}", **kwargs)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    answer: dict[str, Any] = await response.json()
    return answer


@pytest.fixture
async def streams(gateway: TestClient) -> AsyncIterator[Any]:
    """open(headers) -> an EventStream that is reading the feed; all closed afterwards."""
    opened: list[EventStream] = []

    async def open_stream(headers: dict[str, str]) -> EventStream:
        response = await gateway.get("/console/api/events", headers=headers)
        assert response.status == 200, await response.text()
        assert response.content_type == "text/event-stream"
        stream = EventStream(response)
        opened.append(stream)
        assert (await stream.next())[0] == "ready"
        return stream

    yield open_stream
    for stream in opened:
        stream.response.close()


async def test_the_console_page_is_served_without_inline_script_or_style(gateway) -> None:  # type: ignore[no-untyped-def]
    response = await gateway.get("/console")
    page = await response.text()

    assert response.status == 200
    assert response.content_type == "text/html"
    assert '<script type="module" src="/static/console.js"></script>' in page
    assert '<link rel="stylesheet" href="/static/console.css">' in page
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    modules = [f"/static/console-{part}.js" for part in ("api", "dom", "sound", "ticket")]
    for asset in ("/static/console.js", "/static/console.css", *modules):
        assert (await gateway.get(asset)).status == 200


async def test_the_proxy_refuses_missing_wrong_and_other_team_tokens_as_the_service_does(  # type: ignore[no-untyped-def]
    gateway, service, agents
) -> None:
    ticket_id = await open_ticket(service, HUB, "conv-hub")  # technical

    missing = await call(gateway, "GET", "me", 401)
    wrong = await call(gateway, "GET", "me", 401, headers={"Authorization": "Bearer nope"})
    other_team = await call(gateway, "GET", f"tickets/{ticket_id}", 403, headers=agents["maya"])
    claim_other = await call(
        gateway, "POST", f"tickets/{ticket_id}/claim", 403, headers=agents["maya"]
    )

    assert missing == {"error": "missing agent token"}
    assert wrong == {"error": "wrong or revoked agent token"}
    assert "belongs to team technical" in other_team["error"]
    assert "belongs to team technical" in claim_other["error"]
    me = await call(gateway, "GET", "me", 200, headers=agents["priya"])
    assert (me["id"], me["teams"]) == ("priya", ["technical"])
    assert {"id": "billing", "name": "Billing and payments"} in me["all_teams"]


async def test_agents_work_a_ticket_through_the_proxy_and_a_lost_claim_is_409(  # type: ignore[no-untyped-def]
    gateway, service, agents
) -> None:
    ticket_id = await open_ticket(service, HUB, "conv-hub")
    presence = await call(
        gateway, "PUT", "presence", 200, json={"presence": "away"}, headers=agents["priya"]
    )
    mine = await call(gateway, "POST", f"tickets/{ticket_id}/claim", 200, headers=agents["priya"])
    lost = await call(gateway, "POST", f"tickets/{ticket_id}/claim", 409, headers=agents["sam"])
    replied = await call(
        gateway,
        "POST",
        f"tickets/{ticket_id}/reply",
        200,
        json={"text": "Hi, I'm Priya. Let's fix that hub."},
        headers=agents["priya"],
    )
    listed = await call(gateway, "GET", "tickets?status=assigned", 200, headers=agents["priya"])

    assert presence == {"agent_id": "priya", "presence": "away"}
    assert (mine["ticket"]["status"], mine["agent_id"]) == ("assigned", "priya")
    assert "error" in lost
    assert replied["ticket"]["transcript"][-1]["text"] == "Hi, I'm Priya. Let's fix that hub."
    assert [ticket["ticket_id"] for ticket in listed["tickets"]] == [ticket_id]
    unknown = await call(gateway, "GET", "tickets?status=lost", 400, headers=agents["priya"])
    assert "status must be one of" in unknown["error"]


async def test_methods_outside_get_post_put_are_405_and_odd_paths_404(gateway, agents) -> None:  # type: ignore[no-untyped-def]
    for method in ("DELETE", "PATCH"):
        refused = await gateway.request(method, "/console/api/me", headers=agents["priya"])
        assert refused.status == 405
        assert refused.headers["Allow"] == "GET, POST, PUT"
        assert "error" in await refused.json()
    posted_events = await gateway.post("/console/api/events", headers=agents["priya"])
    assert posted_events.status == 405
    for odd in ("..%2F..%2Fhandoff%2Fcustomers%2Fc-1", "tickets/.hidden", "a/b/c/d/e/f"):
        answer = await call(gateway, "GET", odd, 404, headers=agents["priya"])
        assert answer == {"error": "no such console API path"}


async def test_csv_exports_and_query_strings_pass_through_and_agents_get_the_403(  # type: ignore[no-untyped-def]
    gateway, redis_url, agents
) -> None:
    supervisor = await agent_headers(redis_url, "dana")
    query = "view=agents&window=custom&from=2026-03-01&to=2026-03-07&tz=Europe%2FBerlin"

    exported = await gateway.get(f"/console/api/analytics/export.csv?{query}", headers=supervisor)
    metrics = await call(
        gateway, "GET", "analytics/metrics?window=30d&team=billing", 200, headers=supervisor
    )
    refused = await call(gateway, "GET", "analytics/metrics", 403, headers=agents["maya"])
    bad_window = await call(gateway, "GET", "analytics/metrics?window=9d", 400, headers=supervisor)
    twice = await call(gateway, "GET", "analytics/live?within=5&within=6", 400, headers=supervisor)

    assert exported.status == 200, await exported.text()
    assert exported.content_type == "text/csv"
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="agents-')
    assert exported.headers["Cache-Control"] == "no-store"
    assert (await exported.text()).splitlines()[0].startswith("agent_id,")
    assert metrics["window"]["name"] == "30d" and metrics["filters"]["team"] == "billing"
    assert "supervisor" in refused["error"]
    assert "window must be one of" in bad_window["error"]
    assert "more than once" in twice["error"]


async def test_review_paths_with_a_session_time_reach_the_service(gateway, redis_url) -> None:  # type: ignore[no-untyped-def]
    supervisor = await agent_headers(redis_url, "dana")
    path = "review/conversations/conv-1@shop:x/2026-03-14T09:20:00.000Z"

    case = await gateway.get(f"/console/api/{path}", headers=supervisor)
    verdict = await gateway.post(
        f"/console/api/{path}/verdict", json={"verdict": "right"}, headers=supervisor
    )

    for answer in (case, verdict):  # the service's own answer: no such case (not the proxy's)
        assert answer.status == 404, await answer.text()
        assert "no review case for conv-1@shop:x" in (await answer.json())["error"]


async def test_oversize_and_non_json_bodies_are_refused_with_json(gateway, service, agents) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await open_ticket(service, HUB, "conv-hub")
    path = f"tickets/{ticket_id}/note"
    big = b'{"text": "' + b"x" * (64 * 1024) + b'"}'

    too_big = await call(gateway, "POST", path, 413, data=big, headers=agents["priya"])
    not_json = await call(gateway, "POST", path, 400, data=b"text=hi", headers=agents["priya"])
    service_says = await call(
        gateway, "POST", path, 400, json={"text": ""}, headers=agents["priya"]
    )

    assert too_big == {"error": "the body can be at most 64 KB"}
    assert not_json == {"error": "the body must be JSON"}
    assert "text must be non-empty" in service_says["error"]


async def test_a_service_that_is_down_is_a_503_json_answer(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, redis_client, agents
) -> None:
    closed_port = f"http://127.0.0.1:{free_port()}"
    gateway = await aiohttp_client(create_gateway(console_settings(redis_url, closed_port)))

    api = await call(gateway, "GET", "me", 503, headers=agents["priya"])
    events = await gateway.get("/console/api/events", headers=agents["priya"])

    assert "not available" in api["error"]
    assert events.status == 503
    assert "not available" in (await events.json())["error"]


async def test_the_console_rate_limits_each_address(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, redis_client, service_url, agents
) -> None:
    settings = console_settings(
        redis_url, service_url, GATEWAY_ADDRESS_BURST="3", GATEWAY_ADDRESS_PER_MINUTE="1"
    )
    gateway = await aiohttp_client(create_gateway(settings))
    for _ in range(3):
        await call(gateway, "GET", "me", 200, headers=agents["priya"])

    refused = await gateway.get("/console/api/me", headers=agents["priya"])

    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "too many requests" in (await refused.json())["error"]


async def test_behind_a_trusted_proxy_each_agent_has_their_own_console_budget(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, redis_client, service_url, agents
) -> None:
    settings = console_settings(
        redis_url,
        service_url,
        GATEWAY_ADDRESS_BURST="2",
        GATEWAY_ADDRESS_PER_MINUTE="1",
        GATEWAY_TRUSTED_PROXIES="127.0.0.1/32",
    )
    gateway = await aiohttp_client(create_gateway(settings))
    first = {**agents["priya"], "X-Forwarded-For": "203.0.113.7"}
    second = {**agents["priya"], "X-Forwarded-For": "203.0.113.8"}
    for _ in range(2):
        await call(gateway, "GET", "me", 200, headers=first)

    assert (await gateway.get("/console/api/me", headers=first)).status == 429
    await call(gateway, "GET", "me", 200, headers=second)  # another office, another bucket


async def test_events_refuse_missing_and_wrong_tokens(gateway) -> None:  # type: ignore[no-untyped-def]
    missing = await gateway.get("/console/api/events")
    wrong = await gateway.get("/console/api/events", headers={"Authorization": "Bearer nope"})

    assert (missing.status, await missing.json()) == (401, {"error": "missing agent token"})
    assert (wrong.status, await wrong.json()) == (401, {"error": "wrong or revoked agent token"})


async def test_a_new_ticket_and_a_customer_message_reach_only_that_teams_agents(  # type: ignore[no-untyped-def]
    service, streams, agents, redis_client, clock
) -> None:
    priya = await streams(agents["priya"])  # technical
    maya = await streams(agents["maya"])  # billing, general

    hub_ticket = await open_ticket(service, HUB, "conv-hub")
    created = await priya.ticket_event(hub_ticket)
    await append_customer_message(
        RedisTicketStore(redis_client), "conv-hub", SECRET_WORDS, now=clock()
    )
    longer = created["transcript_length"] + 1
    message = await priya.ticket_event(hub_ticket, lambda e: e["transcript_length"] == longer)
    payment_ticket = await open_ticket(service, PAYMENT, "conv-pay")  # billing
    billing = await maya.ticket_event(payment_ticket)

    assert created["kind"] == "created"
    assert (created["team"], created["status"], created["priority"]) == (
        "technical",
        "waiting",
        "normal",
    )
    assert created["conversation_id"] == "conv-hub"
    assert (message["kind"], message["status"]) == ("updated", "waiting")
    assert billing["team"] == "billing"
    assert hub_ticket not in maya.seen_tickets()  # everything before the billing event was read
    assert payment_ticket not in priya.seen_tickets()
    assert not any("4417" in line for line in priya.raw)  # the feed carries no customer text


async def test_a_customer_typing_in_the_widget_reaches_the_agents_stream_live(  # type: ignore[no-untyped-def]
    gateway, service, streams, agents, redis_client
) -> None:
    """The whole path: socket.io message -> gateway -> ticket transcript -> feed -> console."""
    client = socketio.AsyncClient(reconnection=False)
    widget = Widget(client)
    client.on("session_confirm", widget.confirmed.append)
    await client.connect(
        str(gateway.make_url("")), headers={"Origin": ORIGIN}, transports=["websocket"]
    )
    try:
        session_id = await widget.start_session()
        ticket_id = await open_ticket(service, HUB, await conversation_of(redis_client, session_id))
        before = await call(gateway, "GET", f"tickets/{ticket_id}", 200, headers=agents["priya"])
        length = len(before["ticket"]["transcript"])
        priya = await streams(agents["priya"])
        await widget.say(SECRET_WORDS)
        changed = await priya.ticket_event(ticket_id, lambda e: e["transcript_length"] > length)
    finally:
        await client.disconnect()

    ticket = await call(gateway, "GET", f"tickets/{ticket_id}", 200, headers=agents["priya"])
    assert ticket["ticket"]["transcript"][-1]["text"] == SECRET_WORDS
    assert changed["transcript_length"] == len(ticket["ticket"]["transcript"]) == length + 1
    assert not any("4417" in line for line in priya.raw)


async def test_a_transferred_ticket_reaches_the_new_team_and_tells_the_old_one(  # type: ignore[no-untyped-def]
    gateway, service, streams, agents
) -> None:
    ticket_id = await open_ticket(service, HUB, "conv-hub")
    await call(gateway, "POST", f"tickets/{ticket_id}/claim", 200, headers=agents["priya"])
    priya = await streams(agents["priya"])
    maya = await streams(agents["maya"])

    await call(
        gateway,
        "POST",
        f"tickets/{ticket_id}/transfer",
        200,
        json={"team": "billing"},
        headers=agents["priya"],
    )
    to_maya = await maya.ticket_event(ticket_id)
    to_priya = await priya.ticket_event(ticket_id)

    assert (to_maya["team"], to_maya["previous_team"]) == ("billing", "technical")
    assert to_priya["previous_agent_id"] == "priya"


@pytest.fixture
async def quick_console(aiohttp_client, redis_url, redis_client, service_url) -> TestClient:  # type: ignore[no-untyped-def]
    """The console alone, with a heartbeat every 0.2 s and streams that end after 1.5 s."""
    app = web.Application()
    settings = console_settings(redis_url, service_url)
    setup_console(app, settings, heartbeat_seconds=0.2, stream_seconds=1.5)
    client: TestClient = await aiohttp_client(TestServer(app))
    return client


async def feed_connections(redis_client: redis.Redis) -> int:
    clients = await redis_client.client_list()
    return sum(1 for client in clients if client.get("name") == "console-feed")


async def test_a_quiet_stream_sends_heartbeats_and_its_redis_connection_closes_with_it(  # type: ignore[no-untyped-def]
    quick_console, redis_client, agents
) -> None:
    response = await quick_console.get("/console/api/events", headers=agents["priya"])
    stream = EventStream(response)
    assert (await stream.next())[0] == "ready"
    assert await feed_connections(redis_client) == 1

    heartbeats = 0
    while heartbeats < 2:
        line = await asyncio.wait_for(response.content.readline(), 2.0)
        heartbeats += line == b": heartbeat\n"
    response.close()

    for _ in range(50):  # noticed at the next heartbeat at the latest
        if await feed_connections(redis_client) == 0:
            break
        await asyncio.sleep(0.1)
    assert await feed_connections(redis_client) == 0


async def test_a_stream_ends_after_its_lifetime_so_the_token_is_checked_again(  # type: ignore[no-untyped-def]
    quick_console, redis_client, agents
) -> None:
    response = await quick_console.get("/console/api/events", headers=agents["priya"])

    body = await asyncio.wait_for(response.content.read(), 5.0)  # returns at the end

    assert body.startswith(b"event: ready\n")
    assert body.endswith(b": heartbeat\n\n")
    for _ in range(20):
        if await feed_connections(redis_client) == 0:
            break
        await asyncio.sleep(0.1)
    assert await feed_connections(redis_client) == 0
