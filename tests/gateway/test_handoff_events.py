"""The gateway's handoff events (`handoff_status`, `cancel_handoff`) end to end: real
socket.io clients, the real gateway, the real service app (real model, real Redis) on a
port, and a stand-in Rasa whose "action" opens the ticket as the action server would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis.asyncio as redis
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.app import create_app as create_gateway
from gateway.notices import CANCEL_OFFER, CANCEL_REPLY
from handoff import lifecycle
from handoff.ticket_record import TicketRecord
from stack.supervisor import free_port
from tests.conftest import TOKEN
from tests.gateway.support import (
    ORIGIN,
    Widget,
    conversation_of,
    gateway_settings,
    stand_in_rasa,
    wait_for,
)
from tests.support.handoff import OPEN_HOURS, PAYMENT, record

AGENT = "maya"  # handoff/routing/agents.yml: Maya Okafor, billing


@dataclass
class HandoffWidget(Widget):
    statuses: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ScriptedRasa:
    """Rasa's REST webhook; `on_message` runs first (e.g. the handoff action opening a ticket)."""

    on_message: Callable[[str], Awaitable[None]] | None = None
    url: str = ""

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.on_message is not None:
            await self.on_message(body["sender"])
        return web.json_response([{"recipient_id": body["sender"], "text": "Passing you on."}])


@pytest.fixture
async def rasa() -> AsyncIterator[ScriptedRasa]:
    fake = ScriptedRasa()
    async with stand_in_rasa(fake.webhook) as url:
        fake.url = url
        yield fake


async def _gateway(redis_url: str, rasa_url: str, service_url: str) -> TestServer:
    settings = gateway_settings(
        redis_url,
        rasa_url,
        SERVICE_URL=service_url,
        SERVICE_TOKEN=TOKEN,
        GATEWAY_STATUS_INTERVAL="0.2",
    )
    server = TestServer(create_gateway(settings), host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def connect(redis_url: str, rasa: ScriptedRasa, service_url: str) -> AsyncIterator[Any]:
    """connect() -> a HandoffWidget on a gateway that reaches the real service."""
    server = await _gateway(redis_url, rasa.url, service_url)
    clients: list[socketio.AsyncClient] = []

    async def open_widget() -> HandoffWidget:
        client = socketio.AsyncClient(reconnection=False)
        widget = HandoffWidget(client)
        client.on("bot_uttered", widget.bot.append)
        client.on("gateway_error", widget.errors.append)
        client.on("session_confirm", widget.confirmed.append)
        client.on("handoff_status", widget.statuses.append)
        clients.append(client)
        url = str(server.make_url("")).rstrip("/")
        await client.connect(url, headers={"Origin": ORIGIN}, transports=["websocket"])
        return widget

    yield open_widget
    for client in clients:
        if client.connected:
            await client.disconnect()
    await server.close()


def _at(minutes: float) -> Any:
    return OPEN_HOURS.replace(minute=int(minutes))


async def _waiting_ticket(store: Any, conversation_id: str, minute: int = 0) -> TicketRecord:
    ticket = record(PAYMENT, conversation_id, at=_at(minute))
    await store.tickets.add(ticket)
    return ticket


async def test_a_customer_handed_off_sees_the_queue_position_and_it_updates(  # type: ignore[no-untyped-def]
    connect, rasa, store
) -> None:
    ahead = await _waiting_ticket(store, "someone-ahead", minute=0)
    widget = await connect()
    session_id = await widget.start_session()

    async def open_ticket(sender: str) -> None:  # what action_handoff does through the service
        await _waiting_ticket(store, sender, minute=5)

    rasa.on_message = open_ticket
    await widget.say("I want to talk to a person")
    await wait_for(lambda: widget.statuses)
    status = widget.statuses[-1]
    assert widget.bot[0]["text"] == "Passing you on."
    assert status["state"] == "waiting"
    assert status["position"] == 2
    assert isinstance(status["expected_wait"], str) and status["expected_wait"]
    assert status["team_name"] and status["agent_name"] is None
    assert "number 2" in status["message"]
    # the ticket ahead is taken: the next refresh (every 0.2 s here) says so unasked
    await store.tickets.update(ahead.ticket_id, lambda r: lifecycle.cancel(r, now=OPEN_HOURS))
    await wait_for(lambda: widget.statuses[-1]["position"] == 1)
    assert session_id == widget.session_id


async def test_a_stock_widget_reads_a_new_place_in_the_queue_once_as_text(  # type: ignore[no-untyped-def]
    connect, rasa, store
) -> None:
    ahead = await _waiting_ticket(store, "someone-ahead", minute=0)
    widget = await connect()
    await widget.start_session()

    async def open_ticket(sender: str) -> None:
        await _waiting_ticket(store, sender, minute=5)

    rasa.on_message = open_ticket
    await widget.say("I want to talk to a person")
    await wait_for(lambda: len(widget.statuses) >= 3)  # the answer's status and two refreshes
    # the assistant's handoff answer told the place in the queue: no update repeats it; the
    # notice after it offers to cancel (our widget has its own button: also_sent_as)
    assert [message["text"] for message in widget.bot] == ["Passing you on.", CANCEL_OFFER]
    assert widget.bot[1]["quick_replies"] == [CANCEL_REPLY]
    assert widget.bot[1]["metadata"]["also_sent_as"] == "handoff_status"
    await store.tickets.update(ahead.ticket_id, lambda r: lifecycle.cancel(r, now=OPEN_HOURS))
    await wait_for(lambda: len(widget.bot) == 3)
    update = widget.bot[2]
    assert set(update) == {"text", "quick_replies", "metadata"}  # text and a button in any widget
    assert update["quick_replies"] == [CANCEL_REPLY]
    assert update["text"].startswith("You're next in the queue for ")
    assert "the expected wait is about" in update["text"]
    assert update["metadata"] == {
        "sender": "system",
        "event": "queue_update",
        "also_sent_as": "handoff_status",  # our widget shows it in its status banner instead
    }
    refreshes = len(widget.statuses)
    await wait_for(lambda: len(widget.statuses) >= refreshes + 3)
    assert len(widget.bot) == 3  # refreshes that change nothing say nothing


async def test_a_stock_widget_cancels_the_request_with_its_button(  # type: ignore[no-untyped-def]
    connect, rasa, store, redis_client
) -> None:
    """The "Cancel my request" button sends its payload as a chat message: the gateway takes it
    as `cancel_handoff`, not as words for the team or Rasa; a second press is told in the chat
    that there is nothing to cancel."""
    widget = await connect()
    session_id = await widget.start_session()
    conversation_id = await conversation_of(redis_client, session_id)
    opened: list[TicketRecord] = []

    async def open_ticket(sender: str) -> None:
        opened.append(await _waiting_ticket(store, sender))

    rasa.on_message = open_ticket
    await widget.say("I want to talk to a person")
    await wait_for(lambda: any(m.get("quick_replies") == [CANCEL_REPLY] for m in widget.bot))
    rasa.on_message = None
    await widget.say(CANCEL_REPLY["payload"])  # the button pressed
    await wait_for(lambda: widget.bot[-1]["metadata"].get("event") == "cancelled")
    await wait_for(lambda: widget.statuses[-1]["state"] == "bot")
    stored = await store.tickets.get(opened[0].ticket_id)
    assert stored.status == "cancelled"
    assert CANCEL_REPLY["payload"] not in json.dumps(stored.ticket.to_dict())  # not a message
    assert opened[0].conversation_id == conversation_id

    await widget.say(CANCEL_REPLY["payload"])  # pressed again
    await wait_for(lambda: widget.errors)
    assert widget.errors[-1]["code"] == "cancel_not_open"
    await wait_for(lambda: widget.bot[-1]["text"] == "There is no request for a person to cancel.")
    assert [m["text"] for m in widget.bot].count("Passing you on.") == 1  # Rasa got neither


async def test_a_resumed_session_gets_its_status_and_outbox_events_update_it(  # type: ignore[no-untyped-def]
    connect, store, redis_client: redis.Redis
) -> None:
    first = await connect()
    session_id = await first.start_session()
    conversation_id = await conversation_of(redis_client, session_id)
    assert first.statuses == []  # a new session: nothing to tell
    ticket = await _waiting_ticket(store, conversation_id)
    await first.client.disconnect()
    second = await connect()
    await second.start_session(session_id)
    await wait_for(lambda: second.statuses)
    assert second.statuses[0]["state"] == "waiting" and second.statuses[0]["position"] == 1
    await store.tickets.update(
        ticket.ticket_id, lambda r: lifecycle.assign(r, AGENT, now=OPEN_HOURS, by=AGENT)
    )
    await redis_client.xadd(
        f"handoff:outbox:{conversation_id}", {"type": "agent_joined", "agent_name": "Maya Okafor"}
    )
    await wait_for(lambda: second.statuses[-1]["state"] == "agent")
    assert second.bot[-1]["metadata"]["event"] == "agent_joined"
    assert second.statuses[-1]["agent_name"] == "Maya Okafor"
    assert second.statuses[-1]["position"] is None


async def test_a_waiting_customer_can_cancel_the_request(  # type: ignore[no-untyped-def]
    connect, store, redis_client
) -> None:
    widget = await connect()
    session_id = await widget.start_session()
    ticket = await _waiting_ticket(store, await conversation_of(redis_client, session_id))
    await widget.client.emit("cancel_handoff", {})
    await wait_for(lambda: widget.bot and widget.statuses)
    assert widget.bot[-1]["metadata"] == {"sender": "system", "event": "cancelled"}
    assert "cancelled" in widget.bot[-1]["text"]
    assert widget.statuses[-1]["state"] == "bot"
    stored = await store.tickets.get(ticket.ticket_id)
    assert stored.status == "cancelled"
    # nothing left to cancel: a clear error
    await widget.client.emit("cancel_handoff", {})
    await wait_for(lambda: widget.errors)
    assert widget.errors[-1]["code"] == "cancel_not_open"


async def test_cancelling_after_an_agent_joined_is_a_clear_notice(  # type: ignore[no-untyped-def]
    connect, store, redis_client
) -> None:
    widget = await connect()
    session_id = await widget.start_session()
    ticket = await _waiting_ticket(store, await conversation_of(redis_client, session_id))
    await store.tickets.update(
        ticket.ticket_id, lambda r: lifecycle.assign(r, AGENT, now=OPEN_HOURS, by=AGENT)
    )
    await widget.client.emit("cancel_handoff", {})
    await wait_for(lambda: widget.bot and widget.statuses)
    assert widget.bot[-1]["metadata"]["event"] == "cancel_refused"
    assert "already joined" in widget.bot[-1]["text"]
    assert widget.statuses[-1]["state"] == "agent"
    assert (await store.tickets.get(ticket.ticket_id)).status == "assigned"


async def test_handoff_events_need_a_confirmed_session(connect) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.client.emit("survey", {"csat": 5})
    await widget.client.emit("cancel_handoff", {})
    await wait_for(lambda: len(widget.errors) == 2)
    assert {error["code"] for error in widget.errors} == {"invalid_session"}


async def test_with_the_service_down_the_gateway_says_what_redis_knows(  # type: ignore[no-untyped-def]
    redis_url: str, rasa: ScriptedRasa, store, redis_client
) -> None:
    server = await _gateway(redis_url, rasa.url, f"http://127.0.0.1:{free_port()}")
    client = socketio.AsyncClient(reconnection=False)
    widget = HandoffWidget(client)
    for event, sink in (
        ("session_confirm", widget.confirmed),
        ("handoff_status", widget.statuses),
        ("gateway_error", widget.errors),
    ):
        client.on(event, sink.append)
    try:
        url = str(server.make_url("")).rstrip("/")
        await client.connect(url, headers={"Origin": ORIGIN}, transports=["websocket"])
        session_id = await widget.start_session()
        await _waiting_ticket(store, await conversation_of(redis_client, session_id))
        await widget.start_session(session_id)  # resume: status from Redis alone
        await wait_for(lambda: widget.statuses)
        assert widget.statuses[0]["state"] == "waiting"
        assert widget.statuses[0]["position"] is None
        await client.emit("cancel_handoff", {})
        await client.emit("survey", {"csat": 3})
        await wait_for(lambda: len(widget.errors) == 2)
        assert [error["code"] for error in widget.errors] == ["unavailable", "unavailable"]
        await asyncio.sleep(0.5)  # refreshes keep failing quietly; the socket stays up
        assert client.connected
    finally:
        await client.disconnect()
        await server.close()
