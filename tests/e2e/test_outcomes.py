"""Every conversation session ends in one outcome record, end to end.

Real stack (gateway, Rasa with the trained model, action server, service, Redis), with the
inactivity that ends a session shortened to a few seconds (tests/e2e/conftest.py): a widget
asks a question and thanks the bot (contained); another is handed off, an agent claims the
chat, asks for the order number the ticket already had, and resolves it marking that no
person was needed (escalated); a third proves an order and has the assistant refund it (contained,
resolved with an action). Rasa's tracker store marks each save, the service's outcome watchdog
writes each record once into `outcomes:stream`, and no record holds what the customer or the
agent wrote, nor the order's number, email or amount.
"""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis

from actions import order_messages
from outcomes import keys
from outcomes.record import ActionCount, OutcomeRecord
from outcomes.store import create, fold
from stack.supervisor import Stack
from tests.e2e.client import Widget, texts
from tests.e2e.test_handback import ESCALATION, Team
from tests.e2e.test_orders import Shop, Transcript, delivered_order, email_of

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CARD = "4111-1111-1111-1111"
QUESTION = f"my card {CARD} keeps getting declined at checkout, what can I do?"
THANKS = "thanks, that helps!"
AGENT_ASKS = "Hi, Maya here - could you give me your order number?"
AGENT_RESOLVES = "Found it: the duplicate charge is refunded, 3-5 business days."
RECORD_WAIT = 60.0


async def stream(stack: Stack) -> list[tuple[str, dict[str, str]]]:
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        entries: list[tuple[str, dict[str, str]]] = await client.xrange(keys.STREAM)
    finally:
        await client.aclose()
    return entries


async def record_of(stack: Stack, conversation_id: str) -> OutcomeRecord:
    """The conversation's outcome record, once the watchdog wrote it (exactly one)."""
    deadline = asyncio.get_running_loop().time() + RECORD_WAIT
    while True:
        found = [
            OutcomeRecord.from_json(fields["record"])
            for _, fields in await stream(stack)
            if fields.get("kind") == "outcome"
            and OutcomeRecord.from_json(fields["record"]).conversation_id == conversation_id
        ]
        if found:
            assert len(found) == 1, found
            return found[0]
        assert asyncio.get_running_loop().time() < deadline, f"no record for {conversation_id}"
        await asyncio.sleep(0.25)


async def folded_record(stack: Stack, key: str) -> OutcomeRecord:
    """The session's record with what came after it (a late survey), as readers see it."""
    store = await create(stack.config.redis.url)
    try:
        records: dict[str, OutcomeRecord] = {}
        cursor = "0-0"
        while True:
            items, cursor = await store.read(cursor)
            if not items:
                break
            fold(records, items)
    finally:
        await store.close()
    return records[key]


async def assert_no_words_in_the_stream(stack: Stack, *words: str) -> None:
    text = repr(await stream(stack))
    for each in (*words, CARD, CARD.replace("-", ""), CARD.replace("-", " ")):
        assert each not in text, each


async def test_a_contained_conversation_gets_its_record(stack: Stack, widget: Widget) -> None:
    await widget.say(QUESTION)
    await widget.say(THANKS)
    conversation_id = await widget.conversation_id(stack)

    record = await record_of(stack, conversation_id)

    assert (record.outcome, record.abandoned_at, record.turns) == ("contained", None, 2)
    assert (record.escalation, record.ticket, record.channel) == (None, None, "widget")
    assert record.first_intent is not None
    assert record.session == record.started_at <= record.ended_at
    await assert_no_words_in_the_stream(stack, "declined at checkout", THANKS)


async def test_an_escalated_and_resolved_conversation_gets_its_record(
    stack: Stack, widget: Widget
) -> None:
    team = Team(stack)
    _, agent = await team.agent_for("billing")  # a token ready before the handoff
    for message in ESCALATION:
        await widget.say(message)
    conversation_id = await widget.conversation_id(stack)
    state = await team.handed_off(conversation_id, timeout=30)
    ticket_id = state["ticket_id"]
    if state["team"] != "billing":
        _, agent = await team.agent_for(state["team"])
    await team.call("POST", f"/agent/tickets/{ticket_id}/claim", agent)
    await team.call("POST", f"/agent/tickets/{ticket_id}/reply", agent, {"text": AGENT_ASKS})
    await team.call("POST", f"/agent/tickets/{ticket_id}/reply", agent, {"text": AGENT_RESOLVES})
    codes = (await team.call("GET", "/agent/me", agent))["resolution_codes"]
    resolved = await team.call(
        "POST",
        f"/agent/tickets/{ticket_id}/resolve",
        agent,
        {"resolution_code": codes[0], "escalation_needed": False},
    )

    record = await record_of(stack, conversation_id)

    assert (record.outcome, record.turns) == ("escalated", len(ESCALATION))
    escalation, times = record.escalation, record.ticket
    assert escalation is not None and times is not None
    assert escalation.reason in ("explicit_request", "frustration", "unresolved")
    assert escalation.team == state["team"] and escalation.signals
    assert (times.ticket_id, times.closed_as, times.resolution_code) == (
        ticket_id,
        "resolved",
        codes[0],
    )
    assert times.agent_id == resolved["agent_id"]
    assert times.first_agent_message_at == resolved["first_response_at"]
    assert times.closed_at == resolved["closed_at"]
    assert times.queue_wait_seconds is not None and times.queue_wait_seconds >= 0
    assert times.escalation_not_needed is True
    assert times.agent_reasks == ("order_number",)
    await assert_no_words_in_the_stream(
        stack, *ESCALATION, AGENT_ASKS, AGENT_RESOLVES, "HL-482913", "89.99"
    )


async def test_a_refund_the_assistant_issued_is_resolved_with_an_action(stack: Stack) -> None:
    case, number, before = await delivered_order(Shop(stack), over_the_limit=False)
    amount = order_messages.money(before["refundable_cents"])
    customer = Transcript(stack)
    question = await customer.prove("I want a refund", number, email_of(case))
    assert f"Shall I refund {amount} for order {number}" in texts(question), customer
    assert "is issued" in texts(await customer.say("yes")), customer

    record = await record_of(stack, customer.sender)

    assert (record.outcome, record.escalation, record.ticket) == ("contained", None, None)
    assert record.actions == (ActionCount("refund", "issued", 1),)
    assert (record.completed_actions, record.resolved_with_action) == (1, True)
    await assert_no_words_in_the_stream(stack, number, email_of(case), amount)
