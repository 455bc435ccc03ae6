"""An agent hands a conversation back to the bot, end to end.

Real stack (gateway, Rasa with the trained model, action server, service, Redis): a widget
escalates through the gateway, an agent claims the ticket through the agent API, they exchange
a message, the agent hands back. The service tells Rasa; Rasa's stored tracker then holds the
takeover, the widget gets the bot's "back" message through the outbox, and the customer's next
message is answered normally, without a new offer of a person.
"""

from __future__ import annotations

from typing import Any

import pytest

from stack.supervisor import Stack
from tests.e2e.client import Widget
from tests.support.redis_contents import rasa_tracker
from tests.support.team import Team, until

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

# Frustration and failed answers, then a person (as in test_handoff.py): without a fresh
# start after the hand-back, this history would offer a person again.
ESCALATION = [
    "I was charged $89.99 twice for order HL-482913 on March 3rd",
    "no, that didn't help at all",
    "can you send the second $89.99 back to my paypal account",
    "ok, get me a person then",
]
DURING_THE_TAKEOVER = "my other order is HL-555123, is that one fine?"
AGENT_REPLY = "Both orders are fine now: I've refunded the duplicate charge."
NEXT_QUESTION = "how long do I have to return something?"


def slots_after(events: list[dict[str, Any]]) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    for event in events:
        if event["event"] == "slot":
            slots[event["name"]] = event.get("value")
    return slots


async def test_a_hand_back_reaches_the_tracker_and_the_bot_carries_on(
    stack: Stack, widget: Widget
) -> None:
    for message in ESCALATION:
        await widget.say(message)
    team = Team(stack)
    sid = await widget.conversation_id(stack)
    state = await team.handed_off(sid)
    ticket_id = state["ticket_id"]
    name, agent = await team.agent_for(state["team"])
    await team.call("POST", f"/agent/tickets/{ticket_id}/claim", agent)

    await widget.say(DURING_THE_TAKEOVER, replies=0)  # the gateway puts it in the ticket

    async def reached_the_ticket() -> bool:
        record = await team.call("GET", f"/agent/tickets/{ticket_id}", agent)
        return any(turn["text"] == DURING_THE_TAKEOVER for turn in record["ticket"]["transcript"])

    await until(reached_the_ticket, "the customer's message never reached the ticket")
    await team.call("POST", f"/agent/tickets/{ticket_id}/reply", agent, {"text": AGENT_REPLY})
    seen = len(widget.bot)
    back = await team.call("POST", f"/agent/tickets/{ticket_id}/hand_back", agent)

    last = back["ticket"]["status_history"][-1]
    assert (last["by"], last["note"]) == ("assistant", "the assistant took the conversation back")
    expected = (
        f"You're back with Hearthly's assistant. {name} handed the chat back to me - "
        "anything else I can help with?"
    )
    await until(
        lambda: any(m.get("text") == expected for m in widget.bot[seen:]),
        f"the widget never got the bot's 'back' message: {widget.bot[seen:]}",
    )
    delivered = next(m for m in widget.bot[seen:] if m.get("text") == expected)
    assert delivered["metadata"] == {"sender": "bot", "event": "bot"}

    events = await rasa_tracker(stack, sid)
    users = [e["text"] for e in events if e["event"] == "user"]
    assert DURING_THE_TAKEOVER not in users, "takeover messages never reach Rasa as turns"
    assert users[-1] == "/handed_back"
    slots = slots_after(events)
    takeover = slots["takeover"]
    assert (takeover["ticket_id"], takeover["outcome"], takeover["agent_name"]) == (
        ticket_id,
        "handed_back",
        name,
    )
    said = [(m["speaker"], m["text"]) for m in takeover["messages"]]
    assert ("customer", DURING_THE_TAKEOVER) in said and ("agent", AGENT_REPLY) in said
    assert (slots["handoff_status"], slots["handoff_ticket_id"]) == (None, None)
    assert slots["order_number"] == "HL-555123", "the latest order number mentioned is carried"

    replies = await widget.say(NEXT_QUESTION)
    assert any("return" in str(reply.get("text", "")).lower() for reply in replies), replies
    events = await rasa_tracker(stack, sid)
    since = events[max(i for i, e in enumerate(events) if e.get("text") == NEXT_QUESTION) :]
    actions = [e["name"] for e in since if e["event"] == "action"]
    assert "utter_offer_human" not in actions and "action_handoff" not in actions, actions
    decision = slots_after(events)["escalation_decision"]
    # the first turn of the fresh start, numbered as in the session (the hand-back is no turn)
    spoken = [e for e in events if e["event"] == "user" and not e["text"].startswith("/hand")]
    assert (decision["turn"], decision["action"]) == (len(spoken), "continue"), decision
