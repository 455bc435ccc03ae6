"""A frustrated customer is handed to a person: the ticket the team receives, end to end.

Real stack (Rasa with the trained model, action server, service, Redis): the customer's
messages go through Rasa's REST channel; the ticket is read where the service keeps it.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis

from handoff.detection.decision_log import decision_log
from stack.supervisor import Stack
from tests.e2e.client import Customer, texts

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

# Two failed answers (an answer that did not help, then a miss; the offer of a person made
# after the first is ignored), then the customer asks for a person.
CONVERSATION = [
    "I was charged $89.99 twice for order HL-482913 on March 3rd",
    "no, that didn't help at all",
    "can you send the second $89.99 back to my paypal account",
    "ok, get me a person then",
]


async def stored_ticket(stack: Stack, ticket_id: str) -> dict[str, Any]:
    client = redis.Redis.from_url(stack.config.redis.url)
    try:
        raw = await client.hget(f"handoff:ticket:{ticket_id}", "ticket")
    finally:
        await client.aclose()
    assert raw is not None, f"ticket {ticket_id} is not in Redis"
    ticket: dict[str, Any] = json.loads(raw)
    return ticket


async def post_handoff(stack: Stack, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {stack.config.service_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{stack.config.service_url}/handoff/tickets", json=body) as reply:
            return reply.status, await reply.json()


async def test_an_escalated_conversation_becomes_a_complete_ticket_once(stack: Stack) -> None:
    customer = Customer(stack)
    replies: list[dict[str, Any]] = []
    for message in CONVERSATION:
        replies = await customer.say(message)
    tracker = await customer.tracker()
    slots = tracker["slots"]

    assert slots["handoff_status"] in ("waiting", "assigned"), texts(replies)
    decision = slots["escalation_decision"]
    assert (decision["turn"], decision["action"], decision["reason"]) == (
        4,
        "handoff",
        "explicit_request",
    )
    log = [(entry["turn"], entry["action"]) for entry in decision_log(tracker["events"])]
    assert log == [(1, "continue"), (2, "offer"), (3, "continue"), (4, "handoff")]
    ticket = await stored_ticket(stack, slots["handoff_ticket_id"])

    said = [turn["text"] for turn in ticket["transcript"] if turn["speaker"] == "customer"]
    assert said[: len(CONVERSATION)] == CONVERSATION
    context = {(item["kind"], item["value"]) for item in ticket["context"]}
    assert ("order_number", "HL-482913") in context
    assert any(kind == "amount" and value.startswith("89.99") for kind, value in context)
    assert any(kind == "date" for kind, _ in context)
    assert ticket["articles_shown"], "the articles tried are listed"
    assert any(a["feedback"] == "not_helpful" for a in ticket["articles_shown"])
    assert ticket["escalation_decision"]["reason"] == "explicit_request"
    signals = {(s["name"], s["turn"]) for s in ticket["escalation_decision"]["signals"]}
    assert {("not_helpful", 2), ("kb_miss", 3), ("person_request", 4)} <= signals
    assert ticket["summary"].count("\n") >= 2 and "HL-482913" in ticket["summary"]
    routing = ticket["routing"]
    assert routing["team"] and routing["priority"] and routing["escalation_type"]
    assert routing["first_response_due"] and routing["resolution_due"]
    assert routing["reasons"], "the rules that routed it are named"

    # The action server retrying (or a double click) never makes a second ticket.
    again = {
        "conversation_id": customer.sender,
        "tracker": {"events": tracker["events"], "slots": slots},
        "decision": decision,
        "customer": None,
        "channel": "rest",
    }
    status, answer = await post_handoff(stack, again)
    assert (status, answer["ticket_id"], answer["created"]) == (
        200,
        slots["handoff_ticket_id"],
        False,
    )


async def test_after_the_handoff_the_bot_stays_quiet(stack: Stack) -> None:
    customer = Customer(stack)
    await customer.say("I want to talk to a real person")
    replies = await customer.say("hello? how do I reset my password", expect_reply=False)
    assert replies == []
    actions = [e["name"] for e in (await customer.tracker())["events"] if e["event"] == "action"]
    assert actions[-2:] == ["action_wait_for_agent", "action_listen"]
