"""The order actions against a stand-in of the service's /commerce API (tests/actions/conftest.py):
what the customer is told and what is asked of the service. The real service, shop and Rasa are
exercised in tests/e2e/test_orders.py."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import (
    ActionOrderConfirm,
    ActionOrderRequest,
    ValidateOrderForm,
    customer_turn,
    order_request,
)
from tests.actions.conftest import tracker

IN_TRANSIT: dict[str, Any] = {
    "number": "HL-100198",
    "status": "shipped",
    "placed_at": "2026-03-10T09:00:00+00:00",
    "currency": "USD",
    "total_cents": 25998,
    "refundable_cents": 25998,
    "items": [{"sku": "CAM", "name": "Sentinel Cam", "quantity": 2, "unit_price_cents": 12999}],
    "shipment": {
        "carrier": "UPS",
        "tracking_number": "1Z999",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z999",
        "status": "in_transit",
        "estimated_delivery": "2026-03-16",
        "delivered_at": None,
    },
    "return": {"eligible": False, "reason": "not_delivered", "window_ends": None, "items": []},
    "cancellation": "already_shipped",
    "refund_limit_cents": 10000,
}
PLACED: dict[str, Any] = IN_TRANSIT | {
    "number": "HL-100231",
    "status": "placed",
    "shipment": None,
    "refundable_cents": 0,
    "cancellation": "allowed",
}
DELIVERED: dict[str, Any] = IN_TRANSIT | {
    "number": "HL-100152",
    "status": "delivered",
    "refundable_cents": 8999,
    "shipment": IN_TRANSIT["shipment"]
    | {"status": "delivered", "delivered_at": "2026-03-11T15:00:00+00:00"},
}


def events_started_by(intent: str, later: str = "order_status") -> list[dict[str, Any]]:
    """A conversation whose order form was started by `intent`, answered with `later`."""
    return [
        {"event": "user", "parse_data": {"intent": {"name": intent}}},
        {"event": "action", "name": "order_form"},
        {"event": "active_loop", "name": "order_form"},
        {"event": "user", "parse_data": {"intent": {"name": later}}},
        {"event": "active_loop", "name": None},
    ]


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def test_the_request_is_the_intent_that_started_the_form_not_the_answers() -> None:
    started = tracker("HL-100231", "order_status", events=events_started_by("cancel_order"))
    assert order_request(started) == "cancel"
    assert customer_turn(started) == 2
    assert order_request(tracker("where is it", "order_status")) == "status"


async def test_number_and_email_together_are_checked_once(service) -> None:  # type: ignore[no-untyped-def]
    service.commerce_answers["verify"] = (200, {"verified": True, "order": IN_TRANSIT})
    form = ValidateOrderForm()
    dispatcher = CollectingDispatcher()
    filled = tracker(
        "HL-100198 and priya@example.com",
        "order_status",
        slots={"order_number": "HL-100198", "email": "priya@example.com", "requested_slot": None},
        events=[
            {"event": "action", "name": "order_form"},
            {"event": "slot", "name": "order_number", "value": "HL-100198"},
            {"event": "slot", "name": "email", "value": "priya@example.com"},
        ],
    )
    domain = {"forms": {"order_form": {"required_slots": ["order_number", "email"]}}}
    events = await form.run(dispatcher, filled, domain)
    verified = [r for r in service.requests if r["path"] == "/commerce/orders/verify"]
    assert len(verified) == 1
    assert verified[0]["order_number"] == "HL-100198"
    assert slot_values(events)["order_verified"] == "HL-100198"


async def test_a_wrong_email_is_asked_again_without_saying_whether_the_order_exists(
    service,
) -> None:  # type: ignore[no-untyped-def]
    service.commerce_answers["verify"] = (200, {"verified": False, "attempts_left": 4})
    dispatcher = CollectingDispatcher()
    filled = tracker("it's x@example.com", "order_status", slots={"order_number": "HL-100198"})
    answer = await ValidateOrderForm().validate_email("x@example.com", dispatcher, filled, {})
    assert answer == {"order_number": "HL-100198", "email": None}
    assert "couldn't match that order number with that email" in dispatcher.messages[0]["text"]


async def test_no_tries_left_or_the_shop_down_ends_the_form_with_a_reason(service) -> None:  # type: ignore[no-untyped-def]
    service.commerce_answers["verify"] = (200, {"verified": False, "attempts_left": 0})
    filled = tracker("x@example.com", "order_status", slots={"order_number": "HL-100198"})
    answer = await ValidateOrderForm().validate_email(
        "x@example.com", CollectingDispatcher(), filled, {}
    )
    assert answer["order_problem"] == "locked"
    service.commerce_answers["verify"] = (503, {"error": "shop down"})
    answer = await ValidateOrderForm().validate_email(
        "x@example.com", CollectingDispatcher(), filled, {}
    )
    assert answer["order_problem"] == "unavailable"


async def test_a_proved_order_skips_the_email(service) -> None:  # type: ignore[no-untyped-def]
    proved = tracker(
        "and can I cancel it?",
        "cancel_order",
        slots={"order_number": "HL-100231", "order_verified": "HL-100231"},
    )
    slots = await ValidateOrderForm().required_slots(
        ["order_number", "email"], CollectingDispatcher(), proved, {}
    )
    assert slots == ["order_number"]


async def test_status_tells_the_live_shipment_with_the_carrier_link(service) -> None:  # type: ignore[no-untyped-def]
    service.commerce_answers["lookup"] = (200, {"order": IN_TRANSIT})
    dispatcher = CollectingDispatcher()
    proved = {"order_number": "HL-100198", "order_verified": "HL-100198"}
    events = await ActionOrderRequest().run(
        dispatcher,
        tracker("", "order_status", slots=proved, events=events_started_by("order_status")),
        {},
    )
    text = dispatcher.messages[0]["text"]
    assert "on its way with UPS, expected by March 16" in text
    assert "https://www.ups.com/track?tracknum=1Z999" in text
    assert slot_values(events)["reply_outcome"] == "answered"


async def test_cancelling_asks_first_and_yes_cancels(service) -> None:  # type: ignore[no-untyped-def]
    service.commerce_answers["lookup"] = (200, {"order": PLACED})
    dispatcher = CollectingDispatcher()
    proved = {"order_number": "HL-100231", "order_verified": "HL-100231"}
    events = await ActionOrderRequest().run(
        dispatcher,
        tracker("", "order_status", slots=proved, events=events_started_by("cancel_order")),
        {},
    )
    assert dispatcher.messages[0]["text"].startswith("Shall I cancel order HL-100231")
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]
    pending = slot_values(events)["order_pending"]
    assert pending["kind"] == "cancel" and pending["turn"] == 2
    assert not any(r["path"].endswith("/cancel") for r in service.requests)

    service.commerce_answers["cancel"] = (
        200,
        {"done": True, "order": PLACED | {"status": "cancelled"}},
    )
    dispatcher = CollectingDispatcher()
    events = await ActionOrderConfirm().run(
        dispatcher, tracker("yes", "affirm", slots=proved | {"order_pending": pending}), {}
    )
    (cancel,) = [r for r in service.requests if r["path"] == "/commerce/orders/cancel"]
    assert cancel["turn"] == 2 and cancel["order_number"] == "HL-100231"
    assert dispatcher.messages[0]["text"].startswith("Done: order HL-100231 is cancelled")
    assert slot_values(events)["order_actions"][-1]["result"] == "done"


async def test_no_changes_nothing(service) -> None:  # type: ignore[no-untyped-def]
    pending = {"kind": "refund", "order_number": "HL-100152", "amount_cents": 8999, "turn": 3}
    dispatcher = CollectingDispatcher()
    events = await ActionOrderConfirm().run(
        dispatcher, tracker("no", "deny", slots={"order_pending": pending}), {}
    )
    assert service.requests == []
    assert "haven't changed anything on order HL-100152" in dispatcher.messages[0]["text"]
    assert events == [SlotSet("order_pending", None)]


async def test_a_refund_issued_and_one_needing_approval(service) -> None:  # type: ignore[no-untyped-def]
    pending = {
        "kind": "refund",
        "order_number": "HL-100152",
        "amount_cents": 8999,
        "currency": "USD",
        "turn": 3,
    }
    service.commerce_answers["refund"] = (
        200,
        {"decision": "issued", "refund": {"id": "rf_1", "amount_cents": 8999}, "order": DELIVERED},
    )
    dispatcher = CollectingDispatcher()
    events = await ActionOrderConfirm().run(
        dispatcher, tracker("yes", "affirm", slots={"order_pending": pending}), {}
    )
    assert (
        "refund of $89.99 for order HL-100152 is issued (reference rf_1)"
        in dispatcher.messages[0]["text"]
    )
    record = slot_values(events)["order_actions"][-1]
    assert (record["action"], record["result"], record["turn"]) == ("refund", "issued", 3)

    approval = pending | {"kind": "approval", "amount_cents": 24000}
    service.commerce_answers["refund"] = (
        200,
        {
            "decision": "needs_approval",
            "amount_cents": 24000,
            "limit_cents": 10000,
            "currency": "USD",
        },
    )
    dispatcher = CollectingDispatcher()
    events = await ActionOrderConfirm().run(
        dispatcher, tracker("yes", "affirm", slots={"order_pending": approval}), {}
    )
    assert (
        "$240.00" in dispatcher.messages[0]["text"]
        and "supervisor" in dispatcher.messages[0]["text"]
    )
    assert slot_values(events)["reply_outcome"] == "needs_approval"  # the policy hands off


async def test_the_shop_down_is_said_plainly_and_offers_a_person(service) -> None:  # type: ignore[no-untyped-def]
    service.commerce_answers["lookup"] = (503, {"error": "shop_unavailable"})
    dispatcher = CollectingDispatcher()
    proved = {"order_number": "HL-100198", "order_verified": "HL-100198"}
    events = await ActionOrderRequest().run(
        dispatcher,
        tracker("", "order_status", slots=proved, events=events_started_by("refund_request")),
        {},
    )
    assert "can't reach our order system" in dispatcher.messages[0]["text"]
    recorded = slot_values(events)
    assert recorded["reply_outcome"] == "unavailable" and recorded["order_request"] == "refund"


async def test_a_refund_offer_says_what_was_already_refunded(service) -> None:  # type: ignore[no-untyped-def]
    """Someone asking where their refund is must not be offered a second one unawares."""
    refunded = DELIVERED | {
        "refundable_cents": 5999,
        "refunds": [{"amount_cents": 3000, "created_at": "2026-03-06T16:00:00+00:00"}],
    }
    service.commerce_answers["lookup"] = (200, {"order": refunded})
    dispatcher = CollectingDispatcher()
    proved = {"order_number": "HL-100152", "order_verified": "HL-100152"}
    started = events_started_by("refund_request")
    await ActionOrderRequest().run(
        dispatcher, tracker("", "order_status", slots=proved, events=started), {}
    )
    asked = dispatcher.messages[0]["text"]
    assert asked.startswith("Order HL-100152 already has a refund of $30.00 (March 6)")
    assert "Do you want another one? Shall I refund $59.99" in asked
