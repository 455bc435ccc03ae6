"""Why the assistant will not act on an order, in words a person can read: one sentence per
refusal code (commerce/policy.py's reasons, and the shop's own codes). Pure; the service sends
the sentence with the code, so the assistant can say it and the code stays for programs."""

from __future__ import annotations

from datetime import date

from commerce.orders import Order, money

_SENTENCES = {
    # cancelling (commerce.policy.cancellation)
    "already_shipped": (
        "Order {number} has already shipped, so it can no longer be cancelled; once it is"
        " delivered it can be returned."
    ),
    "already_delivered": (
        "Order {number} has already been delivered, so it cannot be cancelled; it can be"
        " returned instead."
    ),
    "already_cancelled": "Order {number} is already cancelled.",
    # returns (commerce.policy.return_eligibility)
    "not_delivered": (
        "Order {number} has not been delivered yet; a return can be started once it arrives."
    ),
    "window_passed": "The return window for order {number} closed on {window_ends}.",
    "nothing_returnable": (
        "Nothing left in order {number} can be returned: gift cards, memberships and final-sale"
        " items cannot, and items already sent back are not returned twice."
    ),
    # refunds (commerce.policy.refund_decision)
    "exceeds_refundable": ("That is more than the {refundable} left to refund on order {number}."),
    "not_positive": "A refund must be an amount above zero.",
}


def refusal_message(
    code: str, order: Order, window_ends: date | None = None, shop_says: str = ""
) -> str:
    """The sentence for `code` about `order`; for a code of the shop's own, the shop's words
    (or, without any, the code)."""
    sentence = _SENTENCES.get(code)
    if sentence is None:
        return shop_says or f"The shop refused this for order {order.number} ({code})."
    return sentence.format(
        number=order.number,
        window_ends=window_ends.isoformat() if window_ends else "",
        refundable=money(order.refundable_cents, order.currency),
    )


def not_verified_message(number: str) -> str:
    return (
        f"This conversation has not proved that order {number} is the customer's: ask for the"
        " order's email first."
    )
