"""Replicas behind HAProxy: conversations carry on when one replica of each kind dies.

Real replicated stack (tests/replicas/conftest.py): customers from twelve loopback addresses
(so HAProxy spreads them over both gateways) talk through HAProxy's gateway port; one replica
of Rasa, then the action server, then the service, then the gateway is killed with SIGKILL,
and after each kill every customer's next message is answered - the gateway's customers by
reconnecting and resuming their session, as the widget does. Every message a customer sent
is in the conversation's one tracker, in order. A conversation with a socket on each gateway
replica gets what either replica sends, once.
"""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from gateway.shared_rooms import CHANNEL
from stack.supervisor import Stack
from tests.e2e.client import Widget, texts
from tests.support.redis_contents import rasa_tracker
from tests.support.team import Team, until

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

ADDRESSES = [f"127.0.0.{number}" for number in range(2, 14)]
QUESTIONS = {
    "start": "how long is the warranty on the cam",
    "rasa": "will the app run on my old ipad? it's stuck on ios 15",
    "actions": "my router only does 5ghz, will your stuff work with it",
    "service": "where do I find the serial number to file a warranty claim",
    "gateway": "do you deliver to Toronto?",
}


def kill(stack: Stack, name: str) -> None:
    running = next(process for process in stack.running if process.spec.name == name)
    running.kill_group()


async def user_texts(stack: Stack, conversation_id: str) -> list[str]:
    return [e["text"] for e in await rasa_tracker(stack, conversation_id) if e["event"] == "user"]


async def answered(widget: Widget, question: str) -> str:
    replies = await widget.say(question)
    said = texts(replies)
    assert said and not any(reply.get("event") == "trouble" for reply in replies), (
        f"{question!r}: {replies}"
    )
    return said


async def test_a_conversation_on_both_gateways_gets_everything_once(replicated: Stack) -> None:
    config = replicated.config
    here, there = (f"http://127.0.0.1:{port}" for port in config.ports_of("gateway")[-2:])
    client = redis.Redis.from_url(config.redis.url)
    try:  # both gateways listen to each other from their start, before any customer comes
        [(_, listening)] = await client.pubsub_numsub(CHANNEL)
    finally:
        await client.aclose()
    assert listening == 2
    first = Widget()
    await first.open(here, origin=config.gateway_url)
    second = Widget()  # the same customer in another tab, on the other replica
    await second.open(there, origin=config.gateway_url, resume=first.session_id)
    try:
        before = (len(first.bot), len(second.bot))
        await first.say(QUESTIONS["start"])  # returns at the answer's first message
        # the answer is several messages; its last one carries the feedback buttons
        await until(
            lambda: any(reply.get("quick_replies") for reply in first.bot[before[0] :]),
            "the answer never ended",
        )
        replies = first.bot[before[0] :]
        await until(lambda: len(second.bot) - before[1] >= len(replies), "the other tab lacks some")
        assert second.bot[before[1] :] == replies

        for message in ("this is useless", "I want to talk to a person"):
            await first.say(message)
        team = Team(replicated)
        conversation_id = await first.conversation_id(replicated)
        state = await team.handed_off(conversation_id)
        _, agent = await team.agent_for(state["team"])
        ticket = state["ticket_id"]
        await team.call("POST", f"/agent/tickets/{ticket}/claim", agent)
        await team.call("POST", f"/agent/tickets/{ticket}/reply", agent, {"text": "Hi, Sam here"})

        def got_it(widget: Widget) -> int:
            return sum(reply.get("text") == "Hi, Sam here" for reply in widget.bot)

        await until(lambda: got_it(first) and got_it(second), "the agent's reply was not shown")
        await asyncio.sleep(1.0)  # time for a second copy to arrive, if one were sent
        assert (got_it(first), got_it(second)) == (1, 1)
    finally:
        await first.close()
        await second.close()


# last: it leaves one replica of each kind dead
async def test_conversations_carry_on_when_one_replica_of_each_kind_dies(
    replicated: Stack,
) -> None:
    url = replicated.config.gateway_url
    widgets = [Widget(from_address=address) for address in ADDRESSES]
    await asyncio.gather(*(widget.open(url) for widget in widgets))
    conversations = await asyncio.gather(*(w.conversation_id(replicated) for w in widgets))
    sent: list[list[str]] = [[] for _ in widgets]

    async def everyone_asks(question: str) -> None:
        await asyncio.gather(*(answered(widget, question) for widget in widgets))
        for messages in sent:
            messages.append(question)

    try:
        await everyone_asks(QUESTIONS["start"])
        for kind in ("rasa", "actions", "service"):
            kill(replicated, f"{kind}-1")
            await everyone_asks(QUESTIONS[kind])

        kill(replicated, "gateway-1")
        await until(lambda: any(not w.client.connected for w in widgets), "no socket dropped")
        await asyncio.sleep(1.0)  # every socket gateway-1 held has noticed
        dropped = [index for index, widget in enumerate(widgets) if not widget.client.connected]
        assert 0 < len(dropped) < len(widgets), "HAProxy put every customer on one gateway"
        for index in dropped:  # the widget reconnects and resumes its session
            session_id = widgets[index].session_id
            await widgets[index].close()
            widgets[index] = Widget(from_address=ADDRESSES[index])
            await widgets[index].open(url, resume=session_id)
            assert widgets[index].session_id == session_id
        await everyone_asks(QUESTIONS["gateway"])
    finally:
        await asyncio.gather(*(widget.close() for widget in widgets))

    for conversation_id, messages in zip(conversations, sent, strict=True):
        said = [text for text in await user_texts(replicated, conversation_id) if text[0] != "/"]
        assert said == messages, conversation_id
