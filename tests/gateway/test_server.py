"""The gateway (a real aiohttp server, socket.io clients) against a real Redis and a stand-in
Rasa: sessions, commands, limits, identity and routing while a person has the conversation."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
import redis.asyncio as redis
import socketio
from aiohttp.test_utils import TestServer

from gateway.app import create_app
from handoff import lifecycle
from handoff import store as handoff_store
from handoff.privacy.identity import sign_customer
from stack.supervisor import free_port
from tests.gateway.support import (
    ORIGIN,
    SECRET,
    Widget,
    conversation_of,
    gateway_settings,
    wait_for,
)
from tests.support.handoff import OPEN_HOURS, PAYMENT, record
from tests.support.redis_server import redis_server


async def test_a_new_session_is_issued_with_at_least_128_random_bits(  # type: ignore[no-untyped-def]
    connect, rasa, redis_client
) -> None:
    widget = await connect()
    session_id = await widget.start_session()
    assert len(session_id) >= 22  # 192 bits in url-safe base64 (128 bits would be 22 chars)
    await widget.say("hello")
    await wait_for(lambda: widget.bot)
    assert widget.bot == [{"text": "Hello!"}]
    assert rasa.received[0]["sender"] == await conversation_of(redis_client, session_id)


async def test_the_session_secret_never_leaves_the_browser_and_the_gateway(  # type: ignore[no-untyped-def]
    connect, rasa, redis_client: redis.Redis
) -> None:
    """The conversation id that Rasa, the service, tickets and logs carry is not the session
    id: knowing it (from a log line, a ticket) does not resume the customer's chat."""
    widget = await connect()
    session_id = await widget.start_session()
    await widget.say("hello")
    await wait_for(lambda: widget.bot)
    conversation_id = rasa.received[0]["sender"]
    assert conversation_id != session_id and session_id not in conversation_id
    # Redis holds the session only hashed: no key and no value carries the secret
    async for key in redis_client.scan_iter():
        assert session_id not in key
        if await redis_client.type(key) == "hash":
            assert session_id not in str(await redis_client.hgetall(key))
        elif await redis_client.type(key) == "string":
            assert session_id not in str(await redis_client.get(key))
    # whoever knows the conversation id is a stranger to the gateway
    stranger = await connect()
    assert await stranger.start_session(conversation_id) != conversation_id
    await stranger.say("it's me, really")
    await wait_for(lambda: stranger.bot)
    assert rasa.received[-1]["sender"] != conversation_id


async def test_a_forged_or_guessed_session_id_gets_a_new_one_and_reads_nothing(  # type: ignore[no-untyped-def]
    connect, rasa, redis_client
) -> None:
    customer = await connect()
    real = await customer.start_session()
    attacker = await connect()
    one_off = real[:-1] + ("y" if real.endswith("x") else "x")
    for guess in ("1234", "a" * 32, secrets.token_urlsafe(24), one_off):
        issued = await attacker.start_session(guess)
        assert issued not in (guess, real)
    await customer.say("my card is blocked")
    await wait_for(lambda: customer.bot)
    # the attacker cannot write into the customer's conversation with its id either
    await attacker.client.emit("user_uttered", {"message": "hi", "session_id": real})
    await wait_for(lambda: attacker.errors)
    assert attacker.errors[-1]["code"] == "invalid_session"
    assert attacker.bot == []
    assert [body["sender"] for body in rasa.received] == [await conversation_of(redis_client, real)]


async def test_a_session_is_resumed_after_a_reconnect(connect, rasa, redis_client) -> None:  # type: ignore[no-untyped-def]
    first = await connect()
    session_id = await first.start_session()
    await first.say("hello")
    await wait_for(lambda: first.bot)
    await first.client.disconnect()
    second = await connect()
    assert await second.start_session(session_id) == session_id
    await second.say("still there?")
    await wait_for(lambda: second.bot)
    assert rasa.received[-1]["sender"] == rasa.received[0]["sender"]
    assert rasa.received[-1]["sender"] == await conversation_of(redis_client, session_id)


async def test_slash_commands_typed_by_the_customer_reach_rasa_as_plain_text(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    for text in ("/restart", ' /request_human{"team": "billing"}', "/session_start"):
        await widget.say(text)
    await wait_for(lambda: len(rasa.received) == 3)
    for sent, received in zip(
        ("/restart", '/request_human{"team": "billing"}', "/session_start"),
        rasa.texts(),
        strict=True,
    ):
        assert not received.strip().startswith("/")  # Rasa would unpack it as an intent
        assert received.endswith(sent)


async def test_a_button_payload_the_bot_offered_passes_once(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    rasa.replies = [
        {
            "text": "Did that help?\n\nTell me.",
            "buttons": [
                {"title": "Yes", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"},
            ],
        }
    ]
    widget = await connect()
    await widget.start_session()
    await widget.say("/greet")  # the configured init payload
    await wait_for(lambda: len(widget.bot) == 2)
    assert widget.bot[0] == {"text": "Did that help?", "quick_replies": []}
    assert widget.bot[1]["quick_replies"] == [
        {"content_type": "text", "title": "Yes", "payload": "/affirm"},
        {"content_type": "text", "title": "No", "payload": "/deny"},
    ]
    rasa.replies = [{"text": "Glad to hear it."}]
    await widget.say("/affirm")
    await wait_for(lambda: len(rasa.received) == 2)
    await widget.say("/deny")  # offered in an earlier reply, not the last one
    await wait_for(lambda: len(rasa.received) == 3)
    assert rasa.texts()[:2] == ["/greet", "/affirm"]
    assert rasa.texts()[2] != "/deny" and rasa.texts()[2].endswith("/deny")


async def test_an_oversize_message_gets_a_clear_error_and_nothing_is_forwarded(  # type: ignore[no-untyped-def]
    connect, rasa
) -> None:
    widget = await connect()
    await widget.start_session()
    await widget.say("x" * 1001)
    await wait_for(lambda: widget.errors)
    assert widget.errors[0]["code"] == "message_too_long"
    assert "1000 characters" in widget.errors[0]["message"]
    assert rasa.received == []
    # no answer; only the same error as chat text, for widgets that ignore gateway_error
    assert [message["metadata"]["also_sent_as"] for message in widget.bot] == ["gateway_error"]


@pytest.mark.parametrize(
    "settings_extra",
    [{"GATEWAY_SESSION_BURST": "3", "GATEWAY_SESSION_PER_MINUTE": "1"}],
)
async def test_over_rate_messages_of_a_session_get_a_clear_error(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    for number in range(5):
        await widget.say(f"message {number}")
    await wait_for(lambda: len(widget.errors) == 2 and len(rasa.received) == 3)
    assert {error["code"] for error in widget.errors} == {"rate_limited"}
    assert widget.errors[0]["retry_after"] > 0
    assert rasa.texts() == ["message 0", "message 1", "message 2"]


@pytest.mark.parametrize(
    "settings_extra",
    [{"GATEWAY_ADDRESS_BURST": "4", "GATEWAY_ADDRESS_PER_MINUTE": "1"}],
)
async def test_one_address_cannot_spread_a_flood_over_many_sessions(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widgets = [await connect() for _ in range(2)]
    for widget in widgets:
        await widget.start_session()  # new sessions have a budget of their own
    for widget in widgets:
        for number in range(3):
            await widget.say(f"hello {number}")
    await wait_for(lambda: sum(len(widget.errors) for widget in widgets) == 2)
    assert len(rasa.received) == 4
    assert {error["code"] for widget in widgets for error in widget.errors} == {"rate_limited"}


async def test_a_forged_tier_is_stripped_and_a_signed_one_passes(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    forged = {"customer": {"id": "c-1", "tier": "vip", "signature": "0" * 64}, "tier": "vip"}
    await widget.say("hi", metadata=forged)
    await wait_for(lambda: len(rasa.received) == 1)
    assert rasa.received[0]["metadata"] == {}
    signed = sign_customer({"id": "c-1", "tier": "vip"}, SECRET)
    await widget.say("hi", metadata={"customer": signed, "input_channel": "admin"})
    await wait_for(lambda: len(rasa.received) == 2)
    assert rasa.received[1]["metadata"] == {"customer": signed}


async def test_a_connection_from_another_origin_is_refused(connect) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(origin="https://evil.example")


async def test_while_an_agent_owns_the_conversation_nothing_goes_to_rasa(  # type: ignore[no-untyped-def]
    connect, rasa, redis_url: str, redis_client: redis.Redis
) -> None:
    widget = await connect()
    session_id = await widget.start_session()
    conversation_id = await conversation_of(redis_client, session_id)
    store = await handoff_store.create(redis_url)
    try:
        ticket = record(PAYMENT, conversation_id)
        before = len(ticket.ticket.transcript)
        await store.tickets.add(ticket)  # the conversation is now waiting for a person
        await widget.say("are you there? my card 4242 4242 4242 4242 was charged twice")
        await _wait_for_turns(store, ticket.ticket_id, before + 1)
        await store.tickets.update(ticket.ticket_id, _assign("maya"))
        await widget.say("/restart")
        await _wait_for_turns(store, ticket.ticket_id, before + 2)
        assert rasa.received == [] and widget.bot == []
        stored = await store.tickets.get(ticket.ticket_id)
        assert stored is not None
        texts = [turn.text for turn in stored.ticket.transcript[-2:]]
        assert "4242 4242 4242 4242" not in texts[0]  # masked like every transcript turn
        assert texts[1] == "/restart"
        # what the agent sends reaches the customer's socket
        await redis_client.xadd(
            f"handoff:outbox:{conversation_id}",
            {"type": "message", "text": "Hi, Maya here.", "agent_name": "Maya"},
        )
        await wait_for(lambda: widget.bot)
        assert widget.bot == [
            {
                "text": "Hi, Maya here.",
                "metadata": {"sender": "agent", "agent_name": "Maya", "event": "message"},
            }
        ]
        assert rasa.received == []
    finally:
        await store.close()


async def test_an_outbox_message_sent_while_away_arrives_on_reconnect(  # type: ignore[no-untyped-def]
    connect, redis_client: redis.Redis
) -> None:
    first = await connect()
    session_id = await first.start_session()
    await first.client.disconnect()
    await redis_client.xadd(
        f"handoff:outbox:{await conversation_of(redis_client, session_id)}",
        {"type": "agent_joined", "agent_name": "Maya"},
    )
    second = await connect()
    await second.start_session(session_id)
    await wait_for(lambda: second.bot)
    assert second.bot[0]["text"] == "Maya joined the chat."
    assert second.bot[0]["metadata"]["sender"] == "system"


def _assign(agent_id: str) -> Any:
    return lambda r: lifecycle.assign(r, agent_id, now=OPEN_HOURS, by=agent_id)


async def _wait_for_turns(store: Any, ticket_id: str, count: int) -> None:
    for _ in range(200):
        stored = await store.tickets.get(ticket_id)
        if stored is not None and len(stored.ticket.transcript) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the customer's messages did not reach the ticket")


def _trouble_notice(widget: Widget) -> dict[str, Any]:
    """The one message a customer gets when their message got no answer."""
    assert len(widget.bot) == 1, widget.bot
    notice = widget.bot[0]
    assert (notice["metadata"]["sender"], notice["metadata"]["event"]) == ("system", "trouble")
    assert "1-800-555-0199" in notice["text"]
    assert "saved" not in notice["text"]  # it promises nothing it cannot know
    return notice


@pytest.mark.parametrize("settings_extra", [{"RASA_URL": f"http://127.0.0.1:{free_port()}"}])
async def test_rasa_down_is_a_clear_message_in_the_chat_not_silence(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    await widget.say("hello")
    await wait_for(lambda: widget.bot)
    _trouble_notice(widget)
    assert rasa.received == []


async def test_an_empty_answer_from_rasa_is_a_clear_message_not_silence(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    """Rasa answers 200 [] when an action (the action server down) or its tracker store
    failed: an empty answer is no answer."""
    rasa.replies = []
    widget = await connect()
    await widget.start_session()
    await widget.say("how long does a refund take?")
    await wait_for(lambda: widget.bot)
    _trouble_notice(widget)
    assert widget.errors == []


async def test_redis_down_is_a_clear_message_in_the_chat_not_silence(  # type: ignore[no-untyped-def]
    rasa, tmp_path
) -> None:
    with redis_server(tmp_path) as url:
        server = TestServer(create_app(gateway_settings(url, rasa.url)), host="127.0.0.1")
        await server.start_server()
        client = socketio.AsyncClient(reconnection=False)
        widget = Widget(client)
        client.on("bot_uttered", widget.bot.append)
        client.on("session_confirm", widget.confirmed.append)
        try:
            address = str(server.make_url("")).rstrip("/")
            await client.connect(address, headers={"Origin": ORIGIN}, transports=["websocket"])
            await widget.start_session()
            await redis.Redis.from_url(url).shutdown(nosave=True)
            await widget.say("my parcel never arrived")
            await wait_for(lambda: widget.bot)
            _trouble_notice(widget)
            assert rasa.received == []
        finally:
            await client.disconnect()
            await server.close()


async def test_the_buttons_of_the_assistants_answer_after_a_hand_back_are_offered(  # type: ignore[no-untyped-def]
    connect, rasa, redis_client: redis.Redis
) -> None:
    widget = await connect()
    session_id = await widget.start_session()
    buttons = '[{"title": "Yes", "payload": "/affirm"}]'
    await redis_client.xadd(
        f"handoff:outbox:{await conversation_of(redis_client, session_id)}",
        {"type": "bot", "text": "Anything else?", "buttons": buttons},
    )
    await wait_for(lambda: widget.bot)
    await widget.say("/affirm")
    await widget.say("/affirm")  # once: the reply to the first replaced the offer
    await wait_for(lambda: len(rasa.received) == 2)
    assert rasa.texts() == ["/affirm", "\u200b/affirm"]


async def test_half_an_emoji_while_a_person_has_the_chat_reaches_the_ticket(  # type: ignore[no-untyped-def]
    connect, rasa, redis_url: str, redis_client: redis.Redis
) -> None:
    widget = await connect()
    conversation_id = await conversation_of(redis_client, await widget.start_session())
    store = await handoff_store.create(redis_url)
    try:
        ticket = record(PAYMENT, conversation_id)
        await store.tickets.add(ticket)
        await widget.say("still charged twice \ud83d")  # a widget cut an emoji in half
        await _wait_for_turns(store, ticket.ticket_id, len(ticket.ticket.transcript) + 1)
        stored = await store.tickets.get(ticket.ticket_id)
        assert stored is not None
        assert stored.ticket.transcript[-1].text == "still charged twice \ufffd"
        assert widget.bot == [] and widget.errors == []
    finally:
        await store.close()


async def test_unreadable_metadata_is_dropped_and_the_message_still_answered(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    await widget.say("hello", metadata="[" * 5000 + "]" * 5000)
    await widget.say("hello again", metadata="{not json")
    await wait_for(lambda: len(widget.bot) == 2)
    assert [body["metadata"] for body in rasa.received] == [{}, {}]


async def test_a_packet_nested_too_deep_is_refused_unparsed(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    await widget.client.eio.send("2" + "[" * 20000 + "]" * 20000)  # a socket.io EVENT
    await wait_for(lambda: widget.errors)
    assert widget.errors[0]["code"] == "invalid_message"
    await widget.say("hello")  # the connection is still good for real messages
    await wait_for(lambda: widget.bot)
    assert widget.bot == [{"text": "Hello!"}]
