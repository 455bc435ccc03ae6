"""What the assistant may do with an order on its own: returns within the window and only of
returnable items, cancelling until shipment, refunds up to the tier's limit."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from commerce.orders import Order, OrderItem, ReturnedItem, ReturnRecord, Shipment, money
from commerce.policy import (
    Policy,
    PolicyError,
    cancellation,
    load_policy,
    refund_decision,
    return_eligibility,
)

DELIVERED = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
CAM = OrderItem("SC-100", "Sentinel Cam", 2, 8999)
GIFT_CARD = OrderItem("GC-050", "Hearthly gift card", 1, 5000, kind="gift_card")
CLEARANCE_BULB = OrderItem("GB-2PK", "Glow bulb 2-pack", 1, 2999, final_sale=True)


def _order(status: str = "delivered", items: tuple[OrderItem, ...] = (CAM,), **extra) -> Order:
    shipment = Shipment(
        "UPS",
        "1Z999",
        "https://www.ups.com/track?tracknum=1Z999",
        "delivered" if status == "delivered" else "in_transit",
        delivered_at=DELIVERED if status == "delivered" else None,
    )
    total = sum(item.quantity * item.unit_price_cents for item in items)
    fields = {
        "number": "HL-100001",
        "email": "sam@example.com",
        "customer_name": "Sam",
        "placed_at": datetime(2026, 11, 15, tzinfo=timezone.utc),
        "status": status,
        "currency": "USD",
        "total_cents": total,
        "refundable_cents": total,
        "items": items,
        "shipment": None if status in ("placed", "cancelled") else shipment,
    }
    return Order(**(fields | extra))


def test_a_delivered_order_can_be_returned_until_the_last_day_of_the_window() -> None:
    policy = load_policy()
    last_day = date(2026, 12, 20)  # delivered 20 November + 30 days
    eligible = return_eligibility(_order(), last_day, policy)
    assert (eligible.eligible, eligible.window_ends) == (True, last_day)
    assert eligible.returnable == ((CAM, 2),)
    late = return_eligibility(_order(), date(2026, 12, 21), policy)
    assert (late.eligible, late.reason) == (False, "window_passed")


def test_an_order_not_yet_delivered_is_not_returnable_yet() -> None:
    for status in ("placed", "shipped", "cancelled"):
        result = return_eligibility(_order(status), date(2026, 11, 21), load_policy())
        assert (result.eligible, result.reason) == (False, "not_delivered")


def test_gift_cards_and_final_sale_items_are_left_out_and_alone_make_nothing_returnable() -> None:
    policy = load_policy()
    mixed = return_eligibility(
        _order(items=(CAM, GIFT_CARD, CLEARANCE_BULB)), date(2026, 12, 1), policy
    )
    assert [item.sku for item, _ in mixed.returnable] == ["SC-100"]
    only = return_eligibility(_order(items=(GIFT_CARD, CLEARANCE_BULB)), date(2026, 12, 1), policy)
    assert (only.eligible, only.reason) == (False, "nothing_returnable")


def test_items_already_returned_are_not_offered_again() -> None:
    returned = ReturnRecord("R-1", DELIVERED, "too many", "requested", (ReturnedItem("SC-100", 1),))
    result = return_eligibility(_order(returns=(returned,)), date(2026, 12, 1), load_policy())
    assert result.returnable == ((CAM, 1),)
    both = dataclasses.replace(returned, items=(ReturnedItem("SC-100", 2),))
    result = return_eligibility(_order(returns=(both,)), date(2026, 12, 1), load_policy())
    assert (result.eligible, result.reason) == (False, "nothing_returnable")


def test_an_order_can_be_cancelled_only_until_it_ships() -> None:
    assert cancellation(_order("placed")).allowed
    assert cancellation(_order("shipped")).reason == "already_shipped"
    assert cancellation(_order("delivered")).reason == "already_delivered"
    assert cancellation(_order("cancelled")).reason == "already_cancelled"


def test_refunds_up_to_the_tiers_limit_are_automatic_above_it_a_supervisor_decides() -> None:
    policy = load_policy()  # $100 by default, $250 for VIP customers
    big = _order(items=(OrderItem("HT-1", "Hearth Thermostat", 2, 17999),))
    assert refund_decision(big, 8999, None, policy).kind == "auto"
    assert refund_decision(big, 10000, None, policy).kind == "auto"
    over = refund_decision(big, 24000, None, policy)
    assert (over.kind, over.reason, over.limit_cents) == ("needs_approval", "above_limit", 10000)
    assert refund_decision(big, 24000, "vip", policy).kind == "auto"
    assert refund_decision(big, 40000, "vip", policy).reason == "exceeds_refundable"
    assert refund_decision(big, 0, None, policy).reason == "not_positive"


def test_an_invalid_policy_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(
        "returns: {window_days: -1, not_returnable_kinds: [gift_card, socks]}\n"
        "refunds: {auto_approval_limit_cents: 99.5, tier_limits_cents: {vip: -5}}\n"
        "refund: {}\n"
    )
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    message = str(error.value)
    for problem in (
        "returns.window_days",
        "'socks'",
        "auto_approval_limit_cents",
        "vip",
        "refund ",
    ):
        assert problem in message


def test_amounts_are_said_as_customers_read_them() -> None:
    assert money(8999) == "$89.99"
    assert money(123456) == "$1,234.56"
    assert money(500, "EUR") == "5.00 EUR"
    assert Policy().refund_limit_cents("gold") == 10000
