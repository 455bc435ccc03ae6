"""Actions that hand the conversation to a person, wait for them, or take the request back.

When to hand off is decided by the EscalationPolicy (rasa_extensions/escalation_policy.py); its
decision record is in the `escalation_decision` slot. `action_handoff` sends the conversation
to the service, which packages, routes and queues the ticket (idempotently: asking twice gives
the same ticket) and says honestly what happens next. While a person has the conversation,
`action_wait_for_agent` keeps the bot quiet; `action_cancel_handoff` withdraws the request.

When the team is done, the service sends Rasa `/handed_back` or `/handoff_resolved`
(service/desk/rasa_hand_back.py) and `action_resume_after_handoff` reads the takeover from the
service and records it in the tracker: the `takeover` slot (who, how it ended, the messages
both sides wrote, masked), the order number and email mentioned into their slots, the handoff
slots cleared, the escalation decision and log reset, and a verified customer's prior
escalations +1. A slot rather than user/bot events: the customer's messages during the
takeover never went through NLU and must not count as turns of the escalation decision again
(handoff/detection/conversation.py), nor be featurised by the dialogue policies. The action always
sends the service a marker message (`handoff_resumed`), proof that Rasa processed the hand-back.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.service_client import ServiceConflict, ServiceUnavailable, service_client
from handoff.vocabulary import TAKEOVER_OUTCOMES, WITH_PEOPLE

log = logging.getLogger(__name__)
WHY_A_PERSON = {
    "explicit_request": "Of course, let me get you to a person.",
    "frustration": "I'm sorry this has been so frustrating. A person on our team is the best "
    "next step.",
    "unresolved": "I haven't been able to sort this out for you, so a person on our team "
    "should take over.",
    "policy": "This is something a person on our team should handle.",
}
BACK_WITH_THE_BOT = "You're back with Hearthly's assistant. What can I help you with?"
BACK_FROM_AGENT = (
    "You're back with Hearthly's assistant. {agent} handed the chat back to me - anything else "
    "I can help with?"
)
RESUMED_MARKER = "handoff_resumed"
CARRIED_SLOTS = ("order_number", "email")  # takeover context kinds with a slot of the same name
TAKEOVER_KEYS = (
    "ticket_id",
    "outcome",
    "resolution_code",
    "agent_id",
    "agent_name",
    "started_at",
    "ended_at",
    "messages",
)


def reason_of(tracker: Tracker) -> str | None:
    decision = tracker.get_slot("escalation_decision")
    return decision.get("reason") if isinstance(decision, dict) else None


def verified_customer(tracker: Tracker) -> dict[str, Any] | None:
    """The customer action_session_start verified from signed metadata, if any."""
    customer_id = tracker.get_slot("customer_id")
    if not customer_id:
        return None
    return {
        "id": customer_id,
        "tier": tracker.get_slot("customer_tier"),
        "prior_escalations": int(tracker.get_slot("customer_prior_escalations") or 0),
    }


def handoff_request(tracker: Tracker) -> dict[str, Any]:
    state = tracker.current_state()
    decision = tracker.get_slot("escalation_decision")
    return {
        "conversation_id": tracker.sender_id,  # Rasa's name for the conversation id
        "tracker": {"events": state.get("events") or [], "slots": state.get("slots") or {}},
        "decision": decision if isinstance(decision, dict) else None,
        "customer": verified_customer(tracker),
        "channel": tracker.get_latest_input_channel() or "rest",
    }


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        conversation_id = tracker.sender_id
        preface = WHY_A_PERSON.get(reason_of(tracker) or "", WHY_A_PERSON["explicit_request"])
        dispatcher.utter_message(text=preface)
        try:
            ticket = await service_client().create_ticket(handoff_request(tracker))
        except ServiceUnavailable as error:
            # The conversation itself stays in Rasa's tracker store: nothing is lost.
            log.error("handoff for %s failed: %s", conversation_id, error)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return [SlotSet("handoff_status", "failed")]
        dispatcher.utter_message(text=ticket["message"])
        return [
            SlotSet("handoff_status", ticket.get("status", "waiting")),
            SlotSet("handoff_ticket_id", ticket["ticket_id"]),
            *_leave_the_form(tracker),
        ]


def _leave_the_form(tracker: Tracker) -> list[EventType]:
    """A form the customer was in (e.g. the order form) stops: the person takes it from here,
    and the bot does not ask its question again after the hand-back."""
    if not (tracker.active_loop or {}).get("name"):
        return []
    return [ActiveLoop(None), SlotSet("requested_slot", None)]


def resume_events(tracker: Tracker, takeover: dict[str, Any]) -> list[EventType]:
    """The tracker's record of a finished takeover; the escalation decision starts fresh."""
    events: list[EventType] = [
        SlotSet("takeover", {key: takeover.get(key) for key in TAKEOVER_KEYS}),
        SlotSet("handoff_status", None),
        SlotSet("handoff_ticket_id", None),
        SlotSet("escalation_decision", None),
    ]
    context = takeover.get("context") or {}
    events += [SlotSet(slot, context[slot]) for slot in CARRIED_SLOTS if context.get(slot)]
    if tracker.get_slot("customer_id"):
        escalations = int(tracker.get_slot("customer_prior_escalations") or 0) + 1
        events.append(SlotSet("customer_prior_escalations", float(escalations)))
    return events


async def finished_takeover(conversation_id: str) -> dict[str, Any] | None:
    """The conversation's latest takeover once the team handed back or resolved it."""
    try:
        takeover = await service_client().takeover(conversation_id)
    except (ServiceUnavailable, ServiceConflict) as error:
        log.error("takeover of %s unknown: %s", conversation_id, error)
        return None
    if takeover.get("outcome") not in TAKEOVER_OUTCOMES:
        return None
    return takeover


class ActionResumeAfterHandoff(Action):
    """The service's `/handed_back` or `/handoff_resolved`: the bot takes the chat back."""

    def name(self) -> str:
        return "action_resume_after_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        conversation_id = tracker.sender_id
        takeover = await finished_takeover(conversation_id)
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        named = (metadata.get("handoff") or {}).get("ticket_id")
        if takeover is None or (named and named != takeover.get("ticket_id")):
            # No marker: the service records that the assistant was not told, and
            # action_wait_for_agent notices the change on the customer's next message.
            log.warning("no finished takeover for %s (ticket %s)", conversation_id, named)
            return []
        if takeover["outcome"] == "handed_back":
            agent = takeover.get("agent_name") or "Our team"
            dispatcher.utter_message(text=BACK_FROM_AGENT.format(agent=agent))
        dispatcher.utter_message(json_message={RESUMED_MARKER: takeover["ticket_id"]})
        return resume_events(tracker, takeover)


class ActionWaitForAgent(Action):
    """A customer message while the team has the conversation: the bot stays quiet (the
    person answers) unless the team has handed the conversation back."""

    def name(self) -> str:
        return "action_wait_for_agent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        conversation_id = tracker.sender_id
        try:
            conversation = await service_client().conversation(conversation_id)
        except ServiceUnavailable as error:
            log.error("handoff state of %s unknown: %s", conversation_id, error)
            return []  # stay quiet: the message is kept in the tracker for the team
        if conversation.get("conversation_state") in WITH_PEOPLE:
            return []
        # The team is done but Rasa was not told (it was down): record the takeover now.
        dispatcher.utter_message(text=BACK_WITH_THE_BOT)
        takeover = await finished_takeover(conversation_id)
        if takeover is not None:
            return resume_events(tracker, takeover)
        return [SlotSet("handoff_status", None), SlotSet("handoff_ticket_id", None)]


class ActionCancelHandoff(Action):
    def name(self) -> str:
        return "action_cancel_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ticket_id = tracker.get_slot("handoff_ticket_id")
        if ticket_id:
            try:
                await service_client().cancel_ticket(ticket_id)
            except ServiceConflict:
                dispatcher.utter_message(response="utter_agent_already_joined")
                return []
            except ServiceUnavailable as error:
                log.error("cancelling %s failed: %s", ticket_id, error)
        dispatcher.utter_message(response="utter_handoff_cancelled")
        return [SlotSet("handoff_status", "cancelled"), SlotSet("handoff_ticket_id", None)]
