"""Session start: carry slots over and take the customer's identity from signed metadata.

The company's backend signs the customer's id and tier (handoff/privacy/identity.py); the widget
passes them as message metadata. Only a valid signature fills the customer slots, so a customer
cannot make themselves VIP from the browser. The secret comes from CUSTOMER_SIGNING_SECRET.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from handoff.privacy.identity import InvalidIdentity, verify_customer

log = logging.getLogger(__name__)
PER_SESSION_SLOTS = frozenset({"session_started_metadata", "escalation_decision", "reply_outcome"})


def signing_secret() -> str:
    return os.environ.get("CUSTOMER_SIGNING_SECRET", "")


def customer_slots(metadata: Any, secret: str) -> list[EventType]:
    """Slot events for the verified customer; none when the claims are absent or invalid."""
    if not isinstance(metadata, dict) or "customer" not in metadata:
        return []
    try:
        customer = verify_customer(metadata, secret)
    except InvalidIdentity as error:
        log.warning("customer claims ignored: %s", error)
        return []
    return [
        SlotSet("customer_id", customer.id),
        SlotSet("customer_tier", customer.tier),
        SlotSet("customer_prior_escalations", float(customer.prior_escalations)),
    ]


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
            events.extend(
                SlotSet(name, value)
                for name, value in tracker.slots.items()
                if value is not None and name not in PER_SESSION_SLOTS
            )
        metadata = tracker.get_slot("session_started_metadata")
        events.extend(customer_slots(metadata, signing_secret()))
        events.append(ActionExecuted("action_listen"))
        return events
