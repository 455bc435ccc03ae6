from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionCancelHandoff, ActionHandoff, ActionWaitForAgent
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


async def test_while_a_person_has_the_conversation_the_bot_says_nothing(service) -> None:  # type: ignore[no-untyped-def]
    service.conversation_answer = {"state": "agent", "ticket_id": "T-1"}
    dispatcher = CollectingDispatcher()
    events = await ActionWaitForAgent().run(dispatcher, tracker("hello?", "greet"), {})
    assert dispatcher.messages == []
    assert events == []


async def test_after_the_team_hands_back_the_bot_speaks_again(service) -> None:  # type: ignore[no-untyped-def]
    service.conversation_answer = {"state": "bot"}
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
