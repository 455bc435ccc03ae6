"""An order as the assistant sees it, whichever shop it comes from. Pure data; money is integer
cents in the order's currency. A connector turns its shop's answer into these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled")
SHIPMENT_STATUSES = ("label_created", "in_transit", "delayed", "delivered")
ITEM_KINDS = ("device", "gift_card", "membership")


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    final_sale: bool = False
    kind: str = "device"  # one of ITEM_KINDS


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str
    tracking_url: str
    status: str  # one of SHIPMENT_STATUSES
    shipped_at: datetime | None = None
    estimated_delivery: date | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class ReturnedItem:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ReturnRecord:
    id: str
    created_at: datetime
    reason: str
    status: str
    items: tuple[ReturnedItem, ...]


@dataclass(frozen=True)
class Refund:
    id: str
    amount_cents: int
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class Order:
    number: str
    email: str
    customer_name: str
    placed_at: datetime
    status: str  # one of ORDER_STATUSES
    currency: str
    total_cents: int
    refundable_cents: int
    items: tuple[OrderItem, ...]
    shipment: Shipment | None = None
    returns: tuple[ReturnRecord, ...] = ()
    refunds: tuple[Refund, ...] = ()

    def returned_quantity(self, sku: str) -> int:
        return sum(
            item.quantity for record in self.returns for item in record.items if item.sku == sku
        )


def money(cents: int, currency: str = "USD") -> str:
    """ "$89.99" for USD, "89.99 EUR" for others: how the assistant says an amount."""
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    return f"${amount}" if currency == "USD" else f"{amount} {currency}"
