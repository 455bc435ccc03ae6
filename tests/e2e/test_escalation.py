"""The escalation conversations of tests/test_escalation_stories.yml through the running stack.

Real NLU (with the service's sentence vectors), knowledge base, actions, Redis: each story's
customer messages go through Rasa's REST channel, then the decision the EscalationPolicy wrote
for each turn (the escalation_decision slot events, read by decision_log) is checked against the
story's expectations, and the bot's escalation actions against the story's steps.
"""

from __future__ import annotations

from typing import Any

import pytest

from handoff.detection.conversation import customer_turns
from handoff.detection.decision_log import decision_log
from handoff.privacy.identity import sign_customer
from stack.supervisor import Stack
from tests.e2e.client import Customer
from tests.support.escalation_stories import EscalationStory, load_stories

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]
STORIES = load_stories()
ESCALATION_ACTIONS = ("utter_offer_human", "action_handoff", "action_cancel_handoff")


def metadata_for(story: EscalationStory, stack: Stack) -> dict[str, Any] | None:
    if not story.customer:
        return None
    claims = {k: v for k, v in story.customer.items() if k != "forged"}
    if story.customer.get("forged"):
        # signed by someone who does not have the company's secret
        return {"customer": sign_customer(claims, "guessed-secret-from-the-browser")}
    return {"customer": sign_customer(claims, stack.config.customer_signing_secret)}


@pytest.mark.parametrize("story", STORIES, ids=[story.name for story in STORIES])
async def test_escalation_conversation(stack: Stack, story: EscalationStory) -> None:
    customer = Customer(stack, metadata_for(story, stack))
    for message in story.messages:
        await customer.say(message)
    tracker = await customer.tracker()
    slots = tracker["slots"]
    log = {entry["turn"]: entry for entry in decision_log(tracker["events"])}
    played = customer_turns(tracker["events"])

    assert len(log) == len(story.messages), log
    for expected in story.expect:
        entry = log[expected["turn"]]
        assert (entry["action"], entry["reason"]) == (expected["action"], expected.get("reason")), (
            f"turn {expected['turn']}: {_explain(tracker, expected['turn'])}"
        )
    escalations = [e["turn"] for e in story.expect if e["action"] != "continue"]
    if escalations:
        assert all(log[t]["action"] == "continue" for t in log if t < min(escalations))
    for scripted, real in zip(story.turns, played, strict=True):
        wanted = [a for a in scripted.bot_actions if a in ESCALATION_ACTIONS]
        done = [a for a in real.bot_actions if a in ESCALATION_ACTIONS]
        assert done == wanted, f"turn {real.number} ({real.text!r}): bot ran {real.bot_actions}"
    latest = slots["escalation_decision"]
    assert latest["turn"] == len(story.messages)
    assert all("turn" in s and "name" in s and "evidence" in s for s in latest["signals"])


def _explain(tracker: dict[str, Any], turn: int) -> str:
    """The full decision record of a turn, from the slot events, for a readable failure."""
    for event in reversed(tracker["events"]):
        if event.get("event") == "slot" and event.get("name") == "escalation_decision":
            record = event.get("value") or {}
            if record.get("turn") == turn:
                return str(record.get("explanation"))
    return "no decision recorded"
