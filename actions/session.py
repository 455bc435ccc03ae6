"""Session start: carry slots over and take the customer's identity from signed metadata.

The company's backend signs the customer's id and tier (handoff/privacy/identity.py); the widget
passes them as message metadata. Only a valid signature fills the customer slots, so a customer
cannot make themselves VIP from the browser. The secret comes from CUSTOMER_SIGNING_SECRET.
A signed email goes to the service (kept there as a digest) so the customer's own orders open
without asking for it (`customer_email_claimed`; actions/orders.py).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.service_client import ServiceUnavailable, service_client
from handoff.privacy.identity import CustomerContext, InvalidIdentity, verify_customer

log = logging.getLogger(__name__)
PER_SESSION_SLOTS = frozenset(
    {"session_started_metadata", "escalation_decision", "reply_outcome", "customer_email_claimed"}
)


def signing_secret() -> str:
    return os.environ.get("CUSTOMER_SIGNING_SECRET", "")


def verified_customer(metadata: Any, secret: str) -> CustomerContext | None:
    """The customer the signed claims vouch for; None when they are absent or invalid."""
    if not isinstance(metadata, dict) or "customer" not in metadata:
        return None
    try:
        return verify_customer(metadata, secret)
    except InvalidIdentity as error:
        log.warning("customer claims ignored: %s", error)
        return None


def customer_slots(customer: CustomerContext | None) -> list[EventType]:
    """Slot events for the verified customer; none without one."""
    if customer is None:
        return []
    return [
        SlotSet("customer_id", customer.id),
        SlotSet("customer_tier", customer.tier),
        SlotSet("customer_prior_escalations", float(customer.prior_escalations)),
    ]


async def claimed_email_slots(
    conversation_id: str, customer: CustomerContext | None
) -> list[EventType]:
    """A signed email claim, handed to the service (kept there as a digest) so the customer's
    own orders open without asking for it; the slot says it is known, never what it is."""
    if customer is None or not customer.email:
        return [SlotSet("customer_email_claimed", None)]
    try:
        await service_client().remember_customer_email(conversation_id, customer.email)
    except ServiceUnavailable as error:  # the order form then asks for the email
        log.error("signed-in customer's email not passed on for %s: %s", conversation_id, error)
        return [SlotSet("customer_email_claimed", None)]
    return [SlotSet("customer_email_claimed", True)]


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
        customer = verified_customer(metadata, signing_secret())
        events.extend(customer_slots(customer))
        events.extend(await claimed_email_slots(tracker.sender_id, customer))
        events.append(ActionExecuted("action_listen"))
        return events
