"""Actions on a customer's order: prove it is theirs, then tell its status or - after the
customer says yes - cancel it, start a return or refund it, within the policy.

The flow (bot/data/rules/orders.yml): an order intent starts `order_form`, which asks for the
order number and the order's email; `validate_order_form` checks them with the service
(POST /commerce/orders/verify, attempts limited there) and skips the email for an order this
conversation already proved. `action_order_request` then reads the order (POST
/commerce/orders/lookup) and answers a status, or asks before anything irreversible;
`action_order_confirm` acts on the customer's yes (the service makes a repeated request act
once: its idempotency comes from the conversation and the customer's turn) or drops it on a no.

A refund above the assistant's limit sets `reply_outcome` to `needs_approval`: the
EscalationPolicy hands off at once, and the ticket carries the `order_actions` record so a
supervisor decides in one click. The shop down sets `unavailable`: the policy offers a person.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import order_messages as messages
from actions.service_client import ServiceForbidden, ServiceUnavailable, service_client
from handoff.vocabulary import NEEDS_APPROVAL, ORDER_ACTIONS_SLOT

log = logging.getLogger(__name__)
ORDER_FORM = "order_form"
ACTIONS_KEPT = 5  # the latest actions on orders in the `order_actions` slot (all are events)
CLAIM_MISSED = (
    "I couldn't find order {number} among your account's orders. If you placed it with another "
    "email address, tell me that address."
)
NOT_PROVED = (
    "For your security I need to check that order {number} is yours again: what's the email "
    "address you placed it with?"
)


def order_request(tracker: Tracker) -> str:
    """What the customer asked of the order: the intent of the message that started the
    current order form (later messages only answered its questions)."""
    events = tracker.events
    started = None
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "active_loop" and event.get("name") == ORDER_FORM:
            started = index
            break
    for event in reversed(events[:started]):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            return messages.REQUEST_OF_INTENT.get(intent or "", "status")
    return "status"


def customer_turn(tracker: Tracker) -> int:
    """The customer's turn number in the conversation (1 = their first message)."""
    return sum(1 for event in tracker.events if event.get("event") == "user")


def tier(tracker: Tracker) -> str | None:
    """The verified customer's tier (signed claim, actions/session.py), never a typed one."""
    return tracker.get_slot("customer_tier") if tracker.get_slot("customer_id") else None


class ValidateOrderForm(FormValidationAction):
    def name(self) -> str:
        return "validate_order_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("order_problem"):
            return []  # the shop is down or the tries ran out: action_order_request says so
        number = messages.normalise_order_number(tracker.get_slot("order_number"))
        if number and tracker.get_slot("order_verified") == number:
            return ["order_number"]  # proved earlier in this conversation
        if _by_claim(tracker, number):
            return ["order_number"]  # the signed-in customer's email proves their own orders
        return domain_slots

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        text = (tracker.latest_message or {}).get("text") or ""
        number = messages.normalise_order_number(_text(value)) or messages.order_number_in(text)
        if not number:
            dispatcher.utter_message(
                text="That doesn't look like one of our order numbers: they look like HL-123456."
            )
            return {"order_number": None}
        email = tracker.get_slot("email")
        if tracker.get_slot("order_verified") == number:
            return {"order_number": number}
        if email:
            return await _verify(dispatcher, tracker, number, str(email))
        if _by_claim(tracker, number):
            return await _verify(dispatcher, tracker, number, None)
        return {"order_number": number}

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        text = (tracker.latest_message or {}).get("text") or ""
        email = messages.email_in(_text(value)) or messages.email_in(text)
        if not email:
            dispatcher.utter_message(text="That doesn't look like an email address.")
            return {"email": None}
        number = messages.normalise_order_number(tracker.get_slot("order_number"))
        if not number or "order_number" in tracker.slots_to_validate():
            return {"email": email}  # validate_order_number checks the pair
        return await _verify(dispatcher, tracker, number, email)


def _by_claim(tracker: Tracker, number: str | None) -> bool:
    """Whether the signed-in customer's email is the proof to try for this order (not yet
    tried and missed: then the form asks for the email the order was placed with)."""
    claimed = tracker.get_slot("customer_email_claimed")
    return bool(claimed) and (not number or tracker.get_slot("order_claim_missed") != number)


async def _verify(
    dispatcher: CollectingDispatcher, tracker: Tracker, number: str, email: str | None
) -> dict[str, Any]:
    """The slots after asking the service whether `email` (None: the signed-in customer's) is
    the order's."""
    try:
        answer = await service_client().verify_order(
            tracker.sender_id, number, email, tier(tracker)
        )
    except ServiceUnavailable as error:
        log.error("order verification for %s failed: %s", tracker.sender_id, error)
        return {"order_number": number, "email": None, "order_problem": "unavailable"}
    if answer.get("verified"):
        return {"order_number": number, "email": email, "order_verified": number}
    if answer.get("claim") == "none":  # the service no longer knows the email: ask for it
        return {"order_number": number, "order_claim_missed": number}
    if not answer.get("attempts_left"):
        return {"order_number": None, "email": None, "order_problem": "locked"}
    if email is None:
        dispatcher.utter_message(text=CLAIM_MISSED.format(number=number))
        return {"order_number": number, "order_claim_missed": number}
    dispatcher.utter_message(text=messages.NOT_MATCHED)
    return {"order_number": number, "email": None}


def _text(value: Any) -> str:
    if isinstance(value, list):  # two extractors found the same entity
        value = value[0] if value else ""
    return str(value or "")


class ActionOrderRequest(Action):
    """After the order form: the status, or the question before acting on the order."""

    def name(self) -> str:
        return "action_order_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        request = order_request(tracker)
        events: list[EventType] = [
            SlotSet("order_request", request),
            SlotSet("order_pending", None),
        ]
        number = messages.normalise_order_number(tracker.get_slot("order_number")) or ""
        problem = tracker.get_slot("order_problem")
        if problem:
            return events + _problem(dispatcher, problem, number)
        if not number or tracker.get_slot("order_verified") != number:
            return events  # the form ended without proof (validate_order_form said why)
        try:
            order = (await service_client().lookup_order(tracker.sender_id, number, tier(tracker)))[
                "order"
            ]
        except ServiceForbidden:  # the proof expired (an hour)
            dispatcher.utter_message(text=NOT_PROVED.format(number=number))
            return events + [SlotSet("order_verified", None)]
        except (ServiceUnavailable, KeyError, TypeError) as error:
            log.error("order lookup for %s failed: %s", tracker.sender_id, error)
            return events + _problem(dispatcher, "unavailable", number)
        if request == "status":
            dispatcher.utter_message(text=messages.status_text(order))
            return events + [SlotSet("reply_outcome", "answered")]
        asked = messages.confirmation(request, order)
        if asked is None:
            dispatcher.utter_message(
                text=messages.refused_text(request, order)
                + " If you'd like a person to look at it, just ask."
            )
            return events
        question, kind = asked
        dispatcher.utter_message(text=question, buttons=messages.buttons(kind))
        pending = {
            "kind": kind,
            "order_number": number,
            "amount_cents": order.get("refundable_cents") if request == "refund" else None,
            "currency": order.get("currency", "USD"),
            "turn": customer_turn(tracker),
        }
        return events + [SlotSet("order_pending", pending)]


def _problem(dispatcher: CollectingDispatcher, problem: str, number: str) -> list[EventType]:
    if problem == "locked":
        dispatcher.utter_message(text=messages.NO_MORE_TRIES)
        return [SlotSet("order_problem", None)]
    dispatcher.utter_message(text=messages.SHOP_DOWN.format(number=number or "your order"))
    # the EscalationPolicy offers a person for an unreachable system
    return [SlotSet("order_problem", None), SlotSet("reply_outcome", "unavailable")]


class ActionOrderConfirm(Action):
    """The customer's yes or no to the question action_order_request asked."""

    def name(self) -> str:
        return "action_order_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pending = tracker.get_slot("order_pending")
        if not isinstance(pending, dict):
            dispatcher.utter_message(response="utter_anything_else")
            return []
        events: list[EventType] = [SlotSet("order_pending", None)]
        if (tracker.latest_message.get("intent") or {}).get("name") != "affirm":
            dispatcher.utter_message(
                text=messages.declined_text(pending["kind"], pending["order_number"])
            )
            return events
        kind = pending["kind"]
        action = "refund" if kind == "approval" else kind
        body: dict[str, Any] = {
            "conversation_id": tracker.sender_id,
            "order_number": pending["order_number"],
            "turn": int(pending["turn"]),
            "reason": "asked in chat with the assistant",
        }
        if action == "refund":
            body |= {"amount_cents": int(pending["amount_cents"])}
            body |= {"tier": tier(tracker)} if tier(tracker) else {}
        try:
            answer = await service_client().act_on_order(action, body)
        except ServiceForbidden:
            number = pending["order_number"]
            dispatcher.utter_message(text=NOT_PROVED.format(number=number))
            return events + [SlotSet("order_verified", None)]
        except ServiceUnavailable as error:
            log.error("%s of %s failed: %s", action, pending["order_number"], error)
            dispatcher.utter_message(text=messages.SHOP_DOWN.format(number=pending["order_number"]))
            record = _record(pending, action, "unavailable")
            return events + _remember(tracker, record) + [SlotSet("reply_outcome", "unavailable")]
        return events + _reply(dispatcher, tracker, pending, action, answer)


def _reply(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    pending: dict[str, Any],
    action: str,
    answer: dict[str, Any],
) -> list[EventType]:
    order = answer.get("order") or {"number": pending["order_number"]}
    order.setdefault("currency", pending.get("currency", "USD"))
    outcome = answer.get("decision") or ("done" if answer.get("done") else "refused")
    if outcome in ("done", "issued"):
        dispatcher.utter_message(text=messages.done_text(action, answer, order))
        reference = (answer.get("refund") or answer.get("return") or {}).get("id")
        record = _record(pending, action, outcome, reference)
        return _remember(tracker, record) + [SlotSet("reply_outcome", "answered")]
    if outcome == NEEDS_APPROVAL:
        dispatcher.utter_message(text=messages.approval_text(answer, order))
        record = _record(pending, action, outcome) | {"limit_cents": answer.get("limit_cents")}
        return _remember(tracker, record) + [SlotSet("reply_outcome", NEEDS_APPROVAL)]
    reason = answer.get("refused") or answer.get("reason") or "refused"
    shop_words = answer.get("message")
    dispatcher.utter_message(
        text=f"I couldn't do that for order {pending['order_number']}: "
        + (shop_words or str(reason).replace("_", " "))
        + ". If you'd like a person to look at it, just ask."
    )
    return _remember(tracker, _record(pending, action, "refused", reason))


def _record(
    pending: dict[str, Any], action: str, result: str, reference: str | None = None
) -> dict[str, Any]:
    """One action on an order as the ticket and the agent console show it."""
    return {
        "turn": pending["turn"],
        "action": action,
        "order_number": pending["order_number"],
        "amount_cents": pending.get("amount_cents"),
        "currency": pending.get("currency", "USD"),
        "result": result,
        "reference": reference,
    }


def _remember(tracker: Tracker, record: dict[str, Any]) -> list[EventType]:
    earlier = tracker.get_slot(ORDER_ACTIONS_SLOT) or []
    return [SlotSet(ORDER_ACTIONS_SLOT, [*earlier, record][-ACTIONS_KEPT:])]
