"""Actions that hand the conversation to a person, or take the request back.

When to hand off is decided by the EscalationPolicy (rasa_extensions/escalation_policy.py);
its decision record is in the `escalation_decision` slot. The reply tells the customer why a
person is the next step, in words that fit the reason, and how the team is reached.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

WHY_A_PERSON = {
    "explicit_request": "Of course, let me get you to a person.",
    "frustration": "I'm sorry this has been so frustrating. A person on our team is the best "
    "next step.",
    "unresolved": "I haven't been able to sort this out for you, so a person on our team "
    "should take over.",
    "policy": "This is something a person on our team should handle.",
}


def reason_of(tracker: Tracker) -> str | None:
    decision = tracker.get_slot("escalation_decision")
    return decision.get("reason") if isinstance(decision, dict) else None


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        preface = WHY_A_PERSON.get(reason_of(tracker) or "", WHY_A_PERSON["explicit_request"])
        dispatcher.utter_message(text=preface)
        dispatcher.utter_message(response="utter_connect_human")
        return [SlotSet("handoff_status", "requested")]


class ActionCancelHandoff(Action):
    def name(self) -> str:
        return "action_cancel_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff_cancelled")
        return [SlotSet("handoff_status", "cancelled")]
