"""What an order is, as the API shows it: plain frozen dataclasses whose fields are the JSON's
keys (`order_json`, `record_json`). Money is integer cents; times ISO 8601 UTC text."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    final_sale: bool
    kind: str


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str
    tracking_url: str
    status: str
    shipped_at: str | None
    estimated_delivery: str | None
    delivered_at: str | None


@dataclass(frozen=True)
class ReturnLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Return:
    id: str
    order_number: str
    created_at: str
    reason: str
    status: str
    items: tuple[ReturnLine, ...]


@dataclass(frozen=True)
class Refund:
    id: str
    order_number: str
    amount_cents: int
    reason: str
    created_at: str


@dataclass(frozen=True)
class Order:
    number: str
    email: str
    customer_name: str
    placed_at: str
    status: str
    currency: str
    total_cents: int
    refundable_cents: int
    items: tuple[Item, ...]
    shipment: Shipment | None
    returns: tuple[Return, ...]
    refunds: tuple[Refund, ...]

    def item(self, sku: str) -> Item | None:
        return next((item for item in self.items if item.sku == sku), None)

    def returned_quantity(self, sku: str) -> int:
        """How many of `sku` earlier returns already ask to send back."""
        return sum(line.quantity for ret in self.returns for line in ret.items if line.sku == sku)


def order_json(order: Order) -> dict[str, Any]:
    """The order as the API sends it: its returns and refunds without the order number again."""
    data = asdict(order)
    for key in ("returns", "refunds"):
        for entry in data[key]:
            del entry["order_number"]
    return data


def record_json(record: Return | Refund) -> dict[str, Any]:
    """A return or a refund as the API sends it on its own (with its order number)."""
    return asdict(record)
