"""Malformed socket.io input to the real gateway (real Redis, a stand-in Rasa, python-socketio
clients): for each event the gateway handles, payloads of the wrong type, huge, binary, with
fields missing or extra, and packets that are not socket.io at all. Each gets a
`gateway_error` with a code; the sender stays connected and can chat on, nothing reaches Rasa,
and a customer chatting beside it notices nothing (gateway/packets.py, docs/gateway.md)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as redis

from tests.gateway.support import FakeRasa, Widget, conversation_of, wait_for

HUGE = "x" * 60_000  # under the transport's 64 KiB limit: the gateway itself must refuse it
BINARY = b"\x00\xff\xfe" * 100
WRONG_TYPES: list[object] = [42, 1.5, True, "text", ["a", 1], BINARY]

MALFORMED: dict[str, list[tuple[object, str]]] = {
    "session_request": [
        *[(payload, "invalid_message") for payload in WRONG_TYPES],
        ({"session_id": 42}, "invalid_message"),
        ({"session_id": BINARY}, "invalid_message"),
        ({"session_id": ["a"]}, "invalid_message"),
        ({"session_id": {"nested": HUGE}}, "invalid_message"),
    ],
    "user_uttered": [
        *[(payload, "invalid_message") for payload in WRONG_TYPES],
        (None, "invalid_message"),
        ({}, "invalid_message"),
        ({"session_id": "whatever"}, "invalid_message"),
        ({"message": None}, "invalid_message"),
        ({"message": 42}, "invalid_message"),
        ({"message": BINARY}, "invalid_message"),
        ({"message": ["hello"]}, "invalid_message"),
        ({"message": {"text": "hello"}}, "invalid_message"),
        ({"message": HUGE}, "message_too_long"),
        ({"message": "hello", "session_id": 42}, "invalid_session"),
        ({"message": "hello", "session_id": BINARY}, "invalid_session"),
        ({"message": "hello", "session_id": "not-the-confirmed-one"}, "invalid_session"),
    ],
    "cancel_handoff": [(payload, "invalid_message") for payload in WRONG_TYPES],
    "survey": [
        *[(payload, "invalid_survey") for payload in WRONG_TYPES],
        (None, "invalid_survey"),
        ({}, "invalid_survey"),
        ({"csat": "5"}, "invalid_survey"),
        ({"csat": 6}, "invalid_survey"),
        ({"ces": 2.5}, "invalid_survey"),
        ({"csat": BINARY}, "invalid_survey"),
        ({"csat": 5, "comment": HUGE}, "invalid_survey"),
        ({"csat": 5, "comment": BINARY}, "invalid_survey"),
        ({"skipped": "yes"}, "invalid_survey"),
        ({"skipped": True, "csat": 3}, "invalid_survey"),
        ({"csat": 5, HUGE[:100]: 1}, "invalid_survey"),
    ],
}

# Packets as the client's socket.io layer would never write them: (raw text, code)
RAW_PACKETS = [
    ("2", "invalid_message"),  # an EVENT without data
    ("2[]", "invalid_message"),  # no event name
    ("2{}", "invalid_message"),
    ('2"user_uttered"', "invalid_message"),
    ("2[42]", "invalid_message"),
    ("2[null]", "invalid_message"),
    ('2[{"a":1}]', "invalid_message"),  # python-socketio: TypeError unhashable
    ('2["user_uttered", {"message": "hi"', "invalid_message"),  # not JSON
    ("2[NaN]", "invalid_message"),
    ('2/admin,["user_uttered",{"message":"hi"}]', "invalid_message"),  # another namespace
    ('2["user_uttered",{"message":"hi"},{"message":"again"}]', "invalid_message"),
    ('2["survey",{"csat":5},1,2]', "invalid_message"),
    ('2["session_request",{},null]', "invalid_message"),
    ('2["cancel_handoff",{},{}]', "invalid_message"),
    ('2["no_such_event",{}]', "unknown_event"),
    ('2["user_uttered ",{"message":"hi"}]', "unknown_event"),
    ('2["*",{}]', "invalid_message"),
    ("4{}", "invalid_message"),  # CONNECT_ERROR is the server's to send
    ("9[]", "invalid_message"),  # no such packet type
    ("x", "invalid_message"),
]


async def _refused(widget: Widget, send: Any) -> dict[str, Any]:
    """Send something bad; the one gateway_error it brings."""
    count = len(widget.errors)
    await send()
    await wait_for(lambda: len(widget.errors) > count)
    await asyncio.sleep(0.05)  # nothing more should come
    assert len(widget.errors) == count + 1, widget.errors
    return widget.errors[-1]


async def _still_chats(widget: Widget, rasa: FakeRasa) -> None:
    assert widget.client.connected
    answered = len(widget.bot)
    await widget.say("still there?")
    await wait_for(lambda: len(widget.bot) > answered)
    assert rasa.texts()[-1] == "still there?"


@pytest.mark.parametrize("event", sorted(MALFORMED))
async def test_a_malformed_payload_of_each_event_is_a_gateway_error(  # type: ignore[no-untyped-def]
    connect, rasa: FakeRasa, event: str
) -> None:
    bystander = await connect()
    await bystander.start_session()
    for payload, code in [*MALFORMED[event], (({}, {}), "invalid_message")]:
        widget = await connect()
        await widget.start_session()
        confirmed = len(widget.confirmed)
        error = await _refused(widget, lambda w=widget, p=payload: w.client.emit(event, p))
        assert error["code"] == code, (payload if len(repr(payload)) < 200 else "...", error)
        assert isinstance(error["message"], str) and error["message"]
        assert len(widget.confirmed) == confirmed  # no new session behind the customer's back
        await _still_chats(widget, rasa)
        await widget.client.disconnect()
    assert all(text == "still there?" for text in rasa.texts())  # nothing malformed got through
    await _still_chats(bystander, rasa)


async def test_packets_that_are_not_socketio_events_are_a_gateway_error(  # type: ignore[no-untyped-def]
    connect, rasa: FakeRasa
) -> None:
    bystander = await connect()
    await bystander.start_session()
    widget = await connect()
    await widget.start_session()
    for raw, code in RAW_PACKETS:
        error = await _refused(widget, lambda r=raw: widget.client.eio.send(r))
        assert error["code"] == code, (raw, error)
    await _still_chats(widget, rasa)
    assert rasa.texts() == ["still there?"]
    await _still_chats(bystander, rasa)


async def test_binary_attachments_that_do_not_fit_their_placeholders(  # type: ignore[no-untyped-def]
    connect, rasa: FakeRasa
) -> None:
    widget = await connect()
    await widget.start_session()
    send = widget.client.eio.send
    for header, attachments in (
        ('51-["user_uttered",{"message":{"_placeholder":true,"num":5}}]', 1),  # no attachment 5
        ('51-["user_uttered",{"message":{"_placeholder":true,"num":"a"}}]', 1),
        ('5["user_uttered",{"message":{"_placeholder":true,"num":0}}]', 1),  # none announced
        ('599-["user_uttered",{"message":"hi"}]', 0),  # more than any widget sends
    ):

        async def header_then_attachments(h: str = header, n: int = attachments) -> None:
            await send(h)
            for _ in range(n):
                await send(BINARY)

        error = await _refused(widget, header_then_attachments)
        assert error["code"] == "invalid_message", (header, error)
    error = await _refused(widget, lambda: send(BINARY))  # an attachment nobody announced
    assert error["code"] == "invalid_message"
    # a real binary event reaches the handler, which refuses a message that is not text
    error = await _refused(widget, lambda: widget.client.emit("user_uttered", {"message": BINARY}))
    assert error == {"code": "invalid_message", "message": "user_uttered needs a message text"}
    await _still_chats(widget, rasa)


async def test_a_client_cannot_raise_the_servers_own_connect_and_disconnect(  # type: ignore[no-untyped-def]
    connect, rasa: FakeRasa, redis_client: redis.Redis
) -> None:
    """python-socketio would run the gateway's connect handler with the client's own "environ"
    (another address for the rate limits, a session forgotten) and its disconnect handler (the
    socket would stop getting the team's messages)."""
    widget = await connect()
    conversation_id = await conversation_of(redis_client, await widget.start_session())
    send = widget.client.eio.send
    for raw in (
        '2["connect",{"REMOTE_ADDR":"203.0.113.9","HTTP_ORIGIN":"https://shop.example"}]',
        '2["disconnect"]',
        '2["disconnect","client disconnect"]',
    ):
        error = await _refused(widget, lambda r=raw: send(r))
        assert error["code"] == "invalid_message", (raw, error)
    await _still_chats(widget, rasa)  # the same session: not reset by a forged connect
    assert rasa.received[-1]["sender"] == conversation_id
    await redis_client.xadd(
        f"handoff:outbox:{conversation_id}",
        {"type": "message", "text": "Hi, Maya here.", "agent_name": "Maya"},
    )
    # still a member: the team's message arrives
    await wait_for(lambda: widget.bot[-1].get("metadata", {}).get("sender") == "agent")


async def test_a_packet_over_the_transport_limit_closes_only_its_own_socket(  # type: ignore[no-untyped-def]
    connect, rasa: FakeRasa
) -> None:
    bystander = await connect()
    await bystander.start_session()
    widget = await connect()
    await widget.start_session()
    await widget.client.emit("user_uttered", {"message": "x" * 70_000})  # over 64 KiB
    await wait_for(lambda: not widget.client.connected)
    assert rasa.received == []
    await _still_chats(bystander, rasa)
    again = await connect()  # the gateway itself is fine: a new socket resumes the session
    assert await again.start_session(widget.session_id) == widget.session_id
    await _still_chats(again, rasa)
