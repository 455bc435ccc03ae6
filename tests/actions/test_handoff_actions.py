from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import (
    ActionCancelHandoff,
    ActionHandoff,
    ActionResumeAfterHandoff,
    ActionWaitForAgent,
)
from handoff.vocabulary import CONVERSATION_STATES, WITH_PEOPLE
from tests.actions.conftest import tracker

DECISION = {"version": 1, "turn": 2, "action": "handoff", "reason": "unresolved", "signals": []}
TICKET = {
    "ticket_id": "T-1",
    "created": True,
    "status": "waiting",
    "queue_position": 2,
    "message": "You're number 2 in the queue for our Billing team; expected wait about 6 minutes.",
}


def slots(events):  # type: ignore[no-untyped-def]
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def test_a_handoff_sends_the_conversation_and_tells_the_customer_what_happens_next(
    service,  # type: ignore[no-untyped-def]
) -> None:
    service.ticket_answer = TICKET
    dispatcher = CollectingDispatcher()
    state = tracker(
        "this is useless",
        "express_frustration",
        slots={"escalation_decision": DECISION, "customer_id": "c-7", "customer_tier": "vip"},
    )
    events = await ActionHandoff().run(dispatcher, state, {})

    why, next_step = (message["text"] for message in dispatcher.messages)
    assert "haven't been able to sort this out" in why
    assert "number 2 in the queue" in next_step
    assert slots(events) == {"handoff_status": "waiting", "handoff_ticket_id": "T-1"}
    [sent] = service.requests
    assert sent["conversation_id"] == "conversation-1"
    assert sent["decision"] == DECISION
    assert sent["customer"] == {"id": "c-7", "tier": "vip", "prior_escalations": 0}
    assert "events" in sent["tracker"] and "slots" in sent["tracker"]


async def test_when_the_service_is_down_the_customer_is_told_and_how_to_reach_the_team(
    service_down,  # type: ignore[no-untyped-def]
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker("a person please", "request_human"), {})

    assert dispatcher.messages[-1]["response"] == "utter_handoff_unavailable"
    assert slots(events) == {"handoff_status": "failed"}


@pytest.mark.parametrize("state", WITH_PEOPLE)
async def test_while_a_person_has_the_conversation_the_bot_says_nothing(service, state) -> None:  # type: ignore[no-untyped-def]
    service.conversation_answer = {"conversation_state": state, "ticket_id": "T-1"}
    dispatcher = CollectingDispatcher()
    events = await ActionWaitForAgent().run(dispatcher, tracker("hello?", "greet"), {})
    assert dispatcher.messages == []
    assert events == []
    assert service.requests == [{"path": "/handoff/conversations/conversation-1"}]


@pytest.mark.parametrize("state", [s for s in CONVERSATION_STATES if s not in WITH_PEOPLE])
async def test_after_the_team_hands_back_the_bot_speaks_again(service, state) -> None:  # type: ignore[no-untyped-def]
    service.conversation_answer = {"conversation_state": state}
    dispatcher = CollectingDispatcher()
    events = await ActionWaitForAgent().run(dispatcher, tracker("hello?", "greet"), {})
    assert "back with" in dispatcher.messages[0]["text"]
    assert slots(events) == {"handoff_status": None, "handoff_ticket_id": None}


async def test_withdrawing_is_refused_once_an_agent_has_joined(service) -> None:  # type: ignore[no-untyped-def]
    service.cancel_status = 409
    dispatcher = CollectingDispatcher()
    state = tracker("never mind", "deny", slots={"handoff_ticket_id": "T-1"})
    events = await ActionCancelHandoff().run(dispatcher, state, {})
    assert dispatcher.messages[0]["response"] == "utter_agent_already_joined"
    assert events == []


async def test_withdrawing_a_waiting_request_cancels_the_ticket(service) -> None:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    state = tracker("never mind", "deny", slots={"handoff_ticket_id": "T-1"})
    events = await ActionCancelHandoff().run(dispatcher, state, {})
    assert service.requests == [{"path": "/handoff/tickets/T-1/cancel"}]
    assert dispatcher.messages[0]["response"] == "utter_handoff_cancelled"
    assert slots(events)["handoff_status"] == "cancelled"


TAKEOVER = {
    "ticket_id": "T-1",
    "conversation_id": "conversation-1",
    "status": "handed_back",
    "closed": True,
    "outcome": "handed_back",
    "resolution_code": None,
    "agent_id": "priya",
    "agent_name": "Priya Natarajan",
    "started_at": "2026-03-14T14:00:00.000Z",
    "ended_at": "2026-03-14T14:05:00.000Z",
    "messages": [
        {"speaker": "customer", "text": "my order is HL-123456", "at": "2026-03-14T14:01:00.000Z"},
        {"speaker": "agent", "text": "Try a reset", "at": "x", "agent_id": "priya"},
    ],
    "context": {"order_number": "HL-123456", "email": "ana@example.com", "amount": "12.00"},
}


def handed_back(slots: dict | None = None, ticket_id: str = "T-1"):  # type: ignore[no-untyped-def]
    state = tracker(
        "/handed_back",
        "handed_back",
        slots={"handoff_status": "assigned", "handoff_ticket_id": "T-1", **(slots or {})},
    )
    state.latest_message["metadata"] = {"handoff": {"ticket_id": ticket_id}}
    return state


async def test_a_hand_back_records_the_takeover_and_the_bot_says_it_is_back(service) -> None:  # type: ignore[no-untyped-def]
    service.takeover_answer = TAKEOVER
    dispatcher = CollectingDispatcher()
    state = handed_back({"customer_id": "c-7", "customer_prior_escalations": 1.0})
    events = await ActionResumeAfterHandoff().run(dispatcher, state, {})

    back, marker = dispatcher.messages
    assert back["text"] == (
        "You're back with Hearthly's assistant. Priya Natarajan handed the chat back to me - "
        "anything else I can help with?"
    )
    assert marker["custom"] == {"handoff_resumed": "T-1"}
    found = slots(events)
    assert found["takeover"]["agent_name"] == "Priya Natarajan"
    assert found["takeover"]["outcome"] == "handed_back"
    assert [m["speaker"] for m in found["takeover"]["messages"]] == ["customer", "agent"]
    assert "context" not in found["takeover"]
    assert (found["handoff_status"], found["handoff_ticket_id"]) == (None, None)
    assert found["escalation_decision"] is None  # the decision (and its log) starts afresh
    assert (found["order_number"], found["email"]) == ("HL-123456", "ana@example.com")
    assert found["customer_prior_escalations"] == 2.0
    assert service.requests == [{"path": "/handoff/conversations/conversation-1/takeover"}]


async def test_a_resolve_is_recorded_quietly(service) -> None:  # type: ignore[no-untyped-def]
    service.takeover_answer = {**TAKEOVER, "outcome": "resolved", "resolution_code": "answered"}
    dispatcher = CollectingDispatcher()
    events = await ActionResumeAfterHandoff().run(dispatcher, handed_back(), {})

    assert [message.get("text") for message in dispatcher.messages] == [None]  # the marker only
    assert slots(events)["takeover"]["resolution_code"] == "answered"
    assert "customer_prior_escalations" not in slots(events)  # anonymous customer


async def test_no_finished_takeover_means_no_marker_and_no_change(service) -> None:  # type: ignore[no-untyped-def]
    for answer in (None, {**TAKEOVER, "outcome": None, "closed": False}):
        service.takeover_answer = answer
        dispatcher = CollectingDispatcher()
        assert await ActionResumeAfterHandoff().run(dispatcher, handed_back(), {}) == []
        assert dispatcher.messages == []
    service.takeover_answer = TAKEOVER  # a message naming another ticket is not this takeover
    dispatcher = CollectingDispatcher()
    assert await ActionResumeAfterHandoff().run(dispatcher, handed_back(ticket_id="T-9"), {}) == []


async def test_service_down_at_resume_leaves_it_to_the_next_message(service_down) -> None:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    assert await ActionResumeAfterHandoff().run(dispatcher, handed_back(), {}) == []
    assert dispatcher.messages == []


async def test_rasa_missed_the_hand_back_the_next_message_records_the_takeover(service) -> None:  # type: ignore[no-untyped-def]
    service.conversation_answer = {"conversation_state": "bot", "ticket_id": "T-1"}
    service.takeover_answer = TAKEOVER
    dispatcher = CollectingDispatcher()
    state = tracker("hello?", "greet", slots={"handoff_status": "assigned"})
    events = await ActionWaitForAgent().run(dispatcher, state, {})

    assert dispatcher.messages[0]["text"].startswith("You're back with Hearthly's assistant.")
    assert slots(events)["takeover"]["ticket_id"] == "T-1"
    assert slots(events)["handoff_status"] is None
