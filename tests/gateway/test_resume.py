"""The resume link (`POST /widget/resume`, gateway/resume.py) end to end: the real gateway and
the real service app (real Redis, real model) on ports, a ticket stored as the service stores
it, and a socket.io client shaped like our widget that connects with the session the link gave."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis
import socketio
from aiohttp.test_utils import TestServer

from gateway.app import create_app as create_gateway
from gateway.sessions import conversation_key, session_key
from handoff.ticket.model import AgentTurn
from handoff.ticket_record import TicketRecord
from infra.env import SettingsError
from infra.signed_links import LinkClaims, Purpose, make_link_token
from tests.conftest import TOKEN
from tests.gateway.support import (
    ORIGIN,
    FakeRasa,
    Widget,
    conversation_of,
    gateway_settings,
    stand_in_rasa,
    wait_for,
)
from tests.support.handoff import PAYMENT, record

LINK_SECRET = "link-signing-secret-" + "l" * 24
AGENT = "maya"  # handoff/routing/agents.yml: Maya Okafor
AGENT_REPLY = "Your card was flagged by the bank; it is cleared now, please try again."


@pytest.fixture
def settings_extra() -> dict[str, str]:
    return {"LINK_SIGNING_SECRET": LINK_SECRET}


@pytest.fixture
async def gateway_url(
    redis_url: str, redis_client: redis.Redis, service_url: str, settings_extra: dict[str, str]
) -> AsyncIterator[str]:
    """The gateway; Redis is flushed after each test (`redis_client`), rate buckets too."""
    async with stand_in_rasa(FakeRasa().webhook) as rasa_url:
        settings = gateway_settings(
            redis_url, rasa_url, SERVICE_URL=service_url, SERVICE_TOKEN=TOKEN, **settings_extra
        )
        server = TestServer(create_gateway(settings), host="127.0.0.1")
        await server.start_server()
        yield str(server.make_url("")).rstrip("/")
        await server.close()


@pytest.fixture
async def connect(gateway_url: str) -> AsyncIterator[Any]:
    clients: list[socketio.AsyncClient] = []

    async def open_widget() -> Widget:
        client = socketio.AsyncClient(reconnection=False)
        widget = Widget(client)
        client.on("bot_uttered", widget.bot.append)
        client.on("session_confirm", widget.confirmed.append)
        client.on("gateway_error", widget.errors.append)
        clients.append(client)
        await client.connect(gateway_url, headers={"Origin": ORIGIN}, transports=["websocket"])
        return widget

    yield open_widget
    for client in clients:
        if client.connected:
            await client.disconnect()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _post(
    http: aiohttp.ClientSession, gateway_url: str, body: object, origin: str = ORIGIN
) -> tuple[int, dict[str, Any], Any]:
    async with http.post(
        f"{gateway_url}/widget/resume", json=body, headers={"Origin": origin}
    ) as response:
        return response.status, dict(response.headers), await response.json()


def _token(
    conversation_id: str,
    ticket_id: str = "tk-1",
    purpose: Purpose = "resume",
    expires_in: float = 3600,
    secret: str = LINK_SECRET,
) -> str:
    claims = LinkClaims(purpose, conversation_id, ticket_id, int(time.time() + expires_in))
    return make_link_token(secret.encode(), claims)


async def _ticket_with_agent_reply(store: Any, conversation_id: str) -> TicketRecord:
    """An after-hours conversation: the customer and the assistant, then the agent's reply."""
    ticket = record(PAYMENT, conversation_id)
    reply = AgentTurn(turn=4, text=AGENT_REPLY, at="2026-03-14T10:00:00.000Z", agent_id=AGENT)
    transcript = (*ticket.ticket.transcript, reply)
    ticket = dataclasses.replace(
        ticket, ticket=dataclasses.replace(ticket.ticket, transcript=transcript)
    )
    await store.tickets.add(ticket)
    return ticket


async def test_a_resume_link_gives_a_new_session_for_the_conversation_and_its_history(  # type: ignore[no-untyped-def]
    connect, store, http, gateway_url, redis_client: redis.Redis
) -> None:
    first = await connect()
    old_session = await first.start_session()
    conversation_id = await conversation_of(redis_client, old_session)
    ticket = await _ticket_with_agent_reply(store, conversation_id)
    await first.client.disconnect()

    status, headers, answer = await _post(
        http, gateway_url, {"token": _token(conversation_id, ticket.ticket_id)}
    )

    assert status == 200, answer
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Cache-Control"] == "no-store"
    assert answer["conversation_id"] == conversation_id
    new_session = answer["session_id"]
    assert new_session != old_session
    messages = answer["messages"]
    assert messages[0] == {"from": "customer", "text": "hi"}
    assert {"from": "customer", "text": "No, it didn't"} in messages  # the button's title
    assert all(not message["text"].startswith("/") for message in messages)
    assert {"from": "bot", "text": "Connecting you to a person."} in messages
    assert messages[-1] == {"from": "agent", "text": AGENT_REPLY, "agent_name": "Maya Okafor"}
    # the widget connects with the new session: the same conversation, resumed
    other_device = await connect()
    assert await other_device.start_session(new_session) == new_session
    assert await conversation_of(redis_client, new_session) == conversation_id
    # the old session no longer opens the conversation: it gets a new one
    old_device = await connect()
    assert await old_device.start_session(old_session) != old_session
    assert await conversation_of(redis_client, old_device.session_id) != conversation_id
    assert not await redis_client.exists(session_key(old_session))
    live = await redis_client.hget(conversation_key(conversation_id), "session")
    assert live == session_key(new_session)  # erasure finds the live record


async def test_a_device_still_connected_is_told_and_gets_no_more_of_the_chat(  # type: ignore[no-untyped-def]
    connect, store, http, gateway_url, redis_client: redis.Redis
) -> None:
    old_device = await connect()
    conversation_id = await conversation_of(redis_client, await old_device.start_session())
    ticket = await _ticket_with_agent_reply(store, conversation_id)

    token = _token(conversation_id, ticket.ticket_id)
    status, _, answer = await _post(http, gateway_url, {"token": token})
    assert status == 200, answer
    new_device = await connect()
    await new_device.start_session(answer["session_id"])

    def told(widget: Widget) -> bool:
        return any(m.get("metadata", {}).get("event") == "session_moved" for m in widget.bot)

    await wait_for(lambda: told(old_device))
    assert "continues there" in next(m["text"] for m in old_device.bot if told(old_device))
    assert not told(new_device)  # it joined after the notice
    await old_device.say("this is the old laptop speaking")
    await wait_for(lambda: bool(old_device.errors))
    assert old_device.errors[-1]["code"] == "session_ended"
    ended = old_device.bot[-1]  # as chat text too, for stock widgets
    assert ended["text"].startswith("This chat session has ended")
    stored = await store.tickets.get(ticket.ticket_id)
    said = [turn.text for turn in stored.ticket.transcript]
    assert "this is the old laptop speaking" not in said
    await new_device.say("and this is my phone")
    for _ in range(100):  # the new device's message reaches the ticket
        stored = await store.tickets.get(ticket.ticket_id)
        if "and this is my phone" in [turn.text for turn in stored.ticket.transcript]:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the new device's message never reached the ticket")
    assert not new_device.errors


async def test_only_the_newest_link_opening_holds_the_chat(  # type: ignore[no-untyped-def]
    store, http, gateway_url, redis_client: redis.Redis
) -> None:
    ticket = await _ticket_with_agent_reply(store, "conv-resumed-twice")
    token = _token("conv-resumed-twice", ticket.ticket_id)
    _, _, first = await _post(http, gateway_url, {"token": token})
    _, _, second = await _post(http, gateway_url, {"token": token})
    assert first["session_id"] != second["session_id"]
    assert not await redis_client.exists(session_key(first["session_id"]))
    assert await conversation_of(redis_client, second["session_id"]) == "conv-resumed-twice"


@pytest.mark.parametrize(
    ("token", "status", "reason", "message"),
    [
        (
            _token("conv-a", expires_in=-1),
            410,
            "expired",
            "this link has expired - start a new chat and ask again",
        ),
        (_token("conv-a", secret="another-secret-" + "x" * 24), 403, "forged", "not one of ours"),
        (_token("conv-a", purpose="reply"), 400, "wrong_purpose", "not a resume link"),
        ("not-a-token", 400, "malformed", "copy the whole link"),
        (None, 400, "malformed", "copy the whole link"),
    ],
    ids=["expired", "forged", "wrong-purpose", "malformed", "missing"],
)
async def test_a_bad_link_is_refused_saying_why(  # type: ignore[no-untyped-def]
    http, gateway_url, redis_client: redis.Redis, token, status, reason, message
) -> None:
    got_status, _, answer = await _post(http, gateway_url, {"token": token})
    assert (got_status, answer["reason"]) == (status, reason)
    assert message in answer["error"]
    assert "session_id" not in answer
    assert not await redis_client.exists(conversation_key("conv-a"))


async def test_a_body_that_is_not_json_is_malformed_not_a_server_error(  # type: ignore[no-untyped-def]
    http, gateway_url
) -> None:
    async with http.post(f"{gateway_url}/widget/resume", data=b"{token") as response:
        assert response.status == 400
        assert (await response.json())["reason"] == "malformed"


async def test_a_link_to_an_erased_conversation_is_gone(  # type: ignore[no-untyped-def]
    http, gateway_url, redis_client: redis.Redis
) -> None:
    status, _, answer = await _post(http, gateway_url, {"token": _token("conv-erased")})
    assert (status, answer["reason"]) == (410, "gone")
    assert "no longer available" in answer["error"]
    assert not await redis_client.exists(conversation_key("conv-erased"))  # no session made


@pytest.mark.parametrize(
    "settings_extra",
    [
        {
            "LINK_SIGNING_SECRET": LINK_SECRET,
            "GATEWAY_RESUME_BURST": "2",
            "GATEWAY_RESUME_PER_MINUTE": "0.1",
        }
    ],
)
async def test_links_opened_from_one_address_are_rate_limited(  # type: ignore[no-untyped-def]
    http, gateway_url
) -> None:
    for _ in range(2):
        status, _, answer = await _post(http, gateway_url, {"token": "guess"})
        assert answer["reason"] == "malformed"
    status, headers, answer = await _post(http, gateway_url, {"token": _token("conv-a")})
    assert (status, answer["reason"]) == (429, "rate_limited")
    assert int(headers["Retry-After"]) > 0
    assert "try again in" in answer["error"]


@pytest.mark.parametrize("settings_extra", [{}])
async def test_without_a_link_secret_resume_links_are_not_set_up(  # type: ignore[no-untyped-def]
    http, gateway_url
) -> None:
    status, _, answer = await _post(http, gateway_url, {"token": _token("conv-a")})
    assert (status, answer) == (
        404,
        {"error": "resume links are not set up", "reason": "links_not_set_up"},
    )


async def test_only_allowed_sites_may_call_it_from_a_page(  # type: ignore[no-untyped-def]
    http, gateway_url
) -> None:
    url = f"{gateway_url}/widget/resume"
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    async with http.options(url, headers=preflight) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    async with http.options(
        url, headers={**preflight, "Origin": "https://evil.example"}
    ) as refused:
        assert refused.status == 403
        assert "Access-Control-Allow-Origin" not in refused.headers
    status, _, answer = await _post(
        http, gateway_url, {"token": _token("conv-a")}, origin="https://evil.example"
    )
    assert (status, answer["reason"]) == (403, "origin")


async def test_the_token_is_in_no_log_line(  # type: ignore[no-untyped-def]
    store, http, gateway_url, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = await _ticket_with_agent_reply(store, "conv-logged")
    token = _token("conv-logged", ticket.ticket_id)
    with caplog.at_level(logging.DEBUG):
        status, _, answer = await _post(http, gateway_url, {"token": token})
        await _post(http, gateway_url, {"token": token[:-3] + "AAA"})  # forged: refused
    assert status == 200
    lines = [record.getMessage() for record in caplog.records]
    assert any("conv-logged" in line for line in lines)  # the resume was logged, by its id
    assert not any(token in line or token[:-3] in line for line in lines)
    assert not any(answer["session_id"] in line for line in lines)


def test_a_short_link_secret_stops_the_gateway_at_start(redis_url: str) -> None:
    with pytest.raises(SettingsError, match="LINK_SIGNING_SECRET must be a secret of at least 24"):
        gateway_settings(redis_url, "http://127.0.0.1:9", LINK_SIGNING_SECRET="too-short")
