"""A verified order as the assistant reads it: what it may tell the customer and what it may
do next (return, cancel, refund up to a limit). Pure; no email or name in it - the customer
just gave the email, and the assistant needs neither."""

from __future__ import annotations

from datetime import date
from typing import Any

from commerce.orders import Order
from commerce.policy import Policy, cancellation, return_eligibility


def order_summary(order: Order, today: date, policy: Policy, tier: str | None) -> dict[str, Any]:
    eligibility = return_eligibility(order, today, policy)
    shipment = order.shipment
    return {
        "number": order.number,
        "status": order.status,
        "placed_at": order.placed_at.isoformat(),
        "currency": order.currency,
        "total_cents": order.total_cents,
        "refundable_cents": order.refundable_cents,
        "items": [
            {
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price_cents": item.unit_price_cents,
            }
            for item in order.items
        ],
        "shipment": None
        if shipment is None
        else {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "status": shipment.status,
            "estimated_delivery": _day(shipment.estimated_delivery),
            "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        },
        "return": {
            "eligible": eligibility.eligible,
            "reason": eligibility.reason,
            "window_ends": _day(eligibility.window_ends),
            "items": [
                {"sku": item.sku, "name": item.name, "quantity": left}
                for item, left in eligibility.returnable
            ],
        },
        "refunds": [
            {"amount_cents": refund.amount_cents, "created_at": refund.created_at.isoformat()}
            for refund in order.refunds
        ],
        "cancellation": cancellation(order).reason,
        "refund_limit_cents": policy.refund_limit_cents(tier),
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
