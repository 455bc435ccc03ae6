"""What the shop refuses, as a code the API sends and a message a person can read.

The store raises `ShopRefusal`; the app maps its code to an HTTP status (views.py). No HTTP
here, so the rules stay testable without a server.
"""

from __future__ import annotations

ORDER_NOT_FOUND = "order_not_found"
ALREADY_SHIPPED = "already_shipped"
ALREADY_CANCELLED = "already_cancelled"
NOT_DELIVERED = "not_delivered"
ITEM_NOT_IN_ORDER = "item_not_in_order"
QUANTITY_EXCEEDS_ORDER = "quantity_exceeds_order"
EXCEEDS_REFUNDABLE = "exceeds_refundable"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"


class ShopRefusal(Exception):
    """A request the shop's rules refuse: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def order_not_found(number: str) -> ShopRefusal:
    return ShopRefusal(ORDER_NOT_FOUND, f"there is no order {number}")
