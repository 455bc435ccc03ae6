"""Reading an order with everything the API shows of it: items, shipment, returns, refunds and
what is left to refund. Run inside the store's transaction (store.py), so the parts agree."""

from __future__ import annotations

from collections import defaultdict

import aiosqlite

from order_service.records import Item, Order, Refund, Return, ReturnLine, Shipment

UNCHARGED_STATUSES = ("placed", "cancelled")
"""Orders whose card has not been charged: placing an order only puts a temporary authorisation
hold on the card, which is charged when the order ships; a cancelled order never shipped, and
its hold is released by the bank (docs/sample-business.md, "Payments and billing")."""


async def load_order(db: aiosqlite.Connection, number: str) -> Order | None:
    rows = await db.execute_fetchall("SELECT * FROM orders WHERE number = ?", (number,))
    if not rows:
        return None
    row = next(iter(rows))
    refunds = await _refunds(db, number)
    # Money moves only once the order ships: before that (placed, even with a label) or after a
    # cancellation nothing has been charged, so there is nothing to refund.
    if row["status"] in UNCHARGED_STATUSES:
        refundable_cents = 0
    else:
        refundable_cents = row["total_cents"] - sum(refund.amount_cents for refund in refunds)
    return Order(
        number=row["number"],
        email=row["email"],
        customer_name=row["customer_name"],
        placed_at=row["placed_at"],
        status=row["status"],
        currency=row["currency"],
        total_cents=row["total_cents"],
        refundable_cents=refundable_cents,
        items=await _items(db, number),
        shipment=await _shipment(db, number),
        returns=await _returns(db, number),
        refunds=refunds,
    )


async def _items(db: aiosqlite.Connection, number: str) -> tuple[Item, ...]:
    rows = await db.execute_fetchall(
        "SELECT sku, name, quantity, unit_price_cents, final_sale, kind FROM order_items"
        " WHERE order_number = ? ORDER BY rowid",
        (number,),
    )
    return tuple(
        Item(
            sku=row["sku"],
            name=row["name"],
            quantity=row["quantity"],
            unit_price_cents=row["unit_price_cents"],
            final_sale=bool(row["final_sale"]),
            kind=row["kind"],
        )
        for row in rows
    )


async def _shipment(db: aiosqlite.Connection, number: str) -> Shipment | None:
    rows = await db.execute_fetchall(
        "SELECT carrier, tracking_number, tracking_url, status, shipped_at, estimated_delivery,"
        " delivered_at FROM shipments WHERE order_number = ?",
        (number,),
    )
    return next((Shipment(**dict(row)) for row in rows), None)


async def _returns(db: aiosqlite.Connection, number: str) -> tuple[Return, ...]:
    line_rows = await db.execute_fetchall(
        "SELECT return_id, sku, quantity FROM return_items JOIN returns ON returns.id = return_id"
        " WHERE order_number = ? ORDER BY return_items.rowid",
        (number,),
    )
    lines: dict[str, list[ReturnLine]] = defaultdict(list)
    for row in line_rows:
        lines[row["return_id"]].append(ReturnLine(sku=row["sku"], quantity=row["quantity"]))
    rows = await db.execute_fetchall(
        "SELECT id, order_number, created_at, reason, status FROM returns"
        " WHERE order_number = ? ORDER BY created_at, id",
        (number,),
    )
    return tuple(Return(**dict(row), items=tuple(lines[row["id"]])) for row in rows)


async def _refunds(db: aiosqlite.Connection, number: str) -> tuple[Refund, ...]:
    rows = await db.execute_fetchall(
        "SELECT id, order_number, amount_cents, reason, created_at FROM refunds"
        " WHERE order_number = ? ORDER BY created_at, id",
        (number,),
    )
    return tuple(Refund(**dict(row)) for row in rows)


async def load_refund_by_key(db: aiosqlite.Connection, key: str) -> tuple[Refund, str] | None:
    """The refund made with this idempotency key and the digest of its request, if any."""
    rows = await db.execute_fetchall(
        "SELECT id, order_number, amount_cents, reason, created_at, request_digest FROM refunds"
        " WHERE idempotency_key = ?",
        (key,),
    )
    for row in rows:
        fields = dict(row)
        digest = fields.pop("request_digest")
        return Refund(**fields), digest
    return None
