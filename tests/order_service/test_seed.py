"""The seed: the same rows for the same day, dated from that day, and every case the assistant
is demonstrated on present and true to its name."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from infra.clock import parse_time
from order_service.catalog import FREE_SHIPPING_FROM_CENTS
from order_service.records import Order
from order_service.schema import CARRIERS, open_database
from order_service.seed import TRACKING_URLS, sample_rows, seed_if_empty
from order_service.seed_plans import CASES
from order_service.store import OrderStore
from tests.order_service.conftest import TODAY


def days_ago(moment: str | None) -> int:
    assert moment is not None
    return (TODAY - parse_time(moment).date()).days


CASE_CHECKS = {
    "placed": lambda o: o.status == "placed" and o.shipment is None and o.refundable_cents == 0,
    "label_created": lambda o: (
        o.status == "placed"
        and o.shipment.status == "label_created"
        and o.shipment.shipped_at is None
        and o.refundable_cents == 0
    ),
    "in_transit": lambda o: (
        o.status == "shipped"
        and o.shipment.status == "in_transit"
        and date.fromisoformat(o.shipment.estimated_delivery) >= TODAY
    ),
    "delayed": lambda o: (
        o.status == "shipped"
        and o.shipment.status == "delayed"
        and date.fromisoformat(o.shipment.estimated_delivery) < TODAY
    ),
    "delivered_recently": lambda o: (
        o.status == "delivered" and days_ago(o.shipment.delivered_at) == 3
    ),
    "delivered_long_ago": lambda o: (
        o.status == "delivered" and days_ago(o.shipment.delivered_at) == 45
    ),
    "cancelled": lambda o: (
        o.status == "cancelled"
        and o.shipment is None
        and o.refunds == ()
        and o.refundable_cents == 0
    ),
    "final_sale": lambda o: o.status == "delivered" and any(i.final_sale for i in o.items),
    "gift_card": lambda o: any(i.kind == "gift_card" for i in o.items),
    "membership": lambda o: any(i.kind == "membership" for i in o.items),
    "partly_refunded": lambda o: 0 < o.refundable_cents < o.total_cents,
    "high_value": lambda o: o.status == "delivered" and o.refundable_cents > 25000,
}


async def seeded_orders(path: Path) -> list[Order]:
    db = await open_database(path)
    try:
        assert await seed_if_empty(db, TODAY) >= 40
        assert await seed_if_empty(db, TODAY) == 0  # never twice
        rows = await db.execute_fetchall("SELECT number FROM orders ORDER BY number")
        store = OrderStore(db)
        found = [await store.order(row[0]) for row in rows]
    finally:
        await db.close()
    return [order for order in found if order is not None]


def test_the_same_day_gives_the_same_rows() -> None:
    assert sample_rows(TODAY) == sample_rows(TODAY)
    later = sample_rows(TODAY + timedelta(days=30))
    assert [row[0] for row in later.orders] == [row[0] for row in sample_rows(TODAY).orders]
    assert later.orders != sample_rows(TODAY).orders  # dates move with the day


async def test_every_case_is_there_and_true_to_its_name(tmp_path: Path) -> None:
    orders = {order.number: order for order in await seeded_orders(tmp_path / "o.sqlite3")}
    assert set(CASE_CHECKS) == set(CASES)
    failing = [case for case, check in CASE_CHECKS.items() if not check(orders[CASES[case]])]
    assert failing == []
    assert orders[CASES["high_value"]].total_cents > 25000


async def test_the_orders_are_plausible(tmp_path: Path) -> None:
    orders = await seeded_orders(tmp_path / "o.sqlite3")
    start_of_today = datetime.combine(TODAY, datetime.min.time(), timezone.utc)
    for order in orders:
        assert order.email.endswith("@example.com"), order.number
        total = sum(item.unit_price_cents * item.quantity for item in order.items)
        assert order.total_cents == total >= FREE_SHIPPING_FROM_CENTS, order.number
        assert parse_time(order.placed_at) < start_of_today, order.number
        if order.shipment is not None:
            shipment = order.shipment
            url = TRACKING_URLS[shipment.carrier].format(shipment.tracking_number)
            assert shipment.tracking_url == url, order.number
            times = [order.placed_at, shipment.shipped_at, shipment.delivered_at]
            known = [parse_time(t) for t in times if t is not None]
            assert known == sorted(known) and known[-1] < start_of_today, order.number
        if order.status in ("placed", "cancelled"):  # not charged yet, so never refunded
            assert order.refunds == () and order.refundable_cents == 0, order.number
    statuses = {order.status for order in orders}
    assert statuses == {"placed", "shipped", "delivered", "cancelled"}
    carriers = {order.shipment.carrier for order in orders if order.shipment}
    assert carriers == set(TRACKING_URLS) == set(CARRIERS) == {"UPS", "USPS"}


async def test_the_schema_knows_only_ups_and_usps(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "o.sqlite3")
    try:
        await seed_if_empty(db, TODAY)
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            await db.execute(
                "UPDATE shipments SET carrier = 'FedEx' WHERE order_number = ?",
                (CASES["in_transit"],),
            )
    finally:
        await db.close()
