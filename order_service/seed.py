"""Fill an empty database with the sample orders (seed_plans.py), dated from a given `today` so
"delivered 3 days ago" stays true whenever it runs. Deterministic: the same `today` gives the
same rows; order numbers do not depend on `today` at all.

Totals are the items' prices times their quantities (free shipping, no tax in the sample).
Money moves only once an order ships, so a cancelled order has no refund row: its card was
never charged.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import aiosqlite

from infra.clock import iso_utc
from order_service import seed_plans as p
from order_service.seed_plans import Plan

TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
}
DAYS_IN_TRANSIT = 4
"""A parcel's estimated delivery is this many days after it ships."""


@dataclass
class Rows:
    """Every table's new rows, in column order of the INSERTs below."""

    orders: list[tuple[Any, ...]] = field(default_factory=list)
    items: list[tuple[Any, ...]] = field(default_factory=list)
    shipments: list[tuple[Any, ...]] = field(default_factory=list)
    refunds: list[tuple[Any, ...]] = field(default_factory=list)
    returns: list[tuple[Any, ...]] = field(default_factory=list)
    return_items: list[tuple[Any, ...]] = field(default_factory=list)


INSERTS = {
    "orders": "INSERT INTO orders (number, email, customer_name, placed_at, status, currency,"
    " total_cents) VALUES (?, ?, ?, ?, ?, 'USD', ?)",
    "items": "INSERT INTO order_items (order_number, sku, name, quantity, unit_price_cents,"
    " final_sale, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "shipments": "INSERT INTO shipments (order_number, carrier, tracking_number, tracking_url,"
    " status, shipped_at, estimated_delivery, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "refunds": "INSERT INTO refunds (id, order_number, amount_cents, reason, created_at)"
    " VALUES (?, ?, ?, ?, ?)",
    "returns": "INSERT INTO returns (id, order_number, created_at, reason, status)"
    " VALUES (?, ?, ?, ?, 'requested')",
    "return_items": "INSERT INTO return_items (return_id, sku, quantity) VALUES (?, ?, ?)",
}


async def seed_if_empty(db: aiosqlite.Connection, today: date) -> int:
    """Seed the sample orders when the shop has none; the number of orders written (0 when
    there were orders already). One transaction, so two processes cannot both seed."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        rows = await db.execute_fetchall("SELECT EXISTS (SELECT 1 FROM orders)")
        seeded = 0 if next(iter(rows))[0] else await _insert(db, sample_rows(today))
        await db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            await db.execute("ROLLBACK")
        raise
    return seeded


async def _insert(db: aiosqlite.Connection, rows: Rows) -> int:
    for table, sql in INSERTS.items():
        await db.executemany(sql, getattr(rows, table))
    return len(rows.orders)


def sample_rows(today: date) -> Rows:
    """The sample orders' rows for `today`: the named cases, then the everyday orders."""
    rng = random.Random(p.RANDOM_SEED)
    plans = [*p.CASE_PLANS.values(), *p.everyday_plans(rng)]
    rows, timeline = Rows(), _Timeline(today, rng)
    for plan in plans:
        _add_order(rows, plan, timeline)
    return rows


@dataclass
class _Timeline:
    today: date
    rng: random.Random

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def moment(self, days_ago: int) -> datetime:
        """A time between 08:00 and 20:59 UTC, `days_ago` days before today."""
        hour, minute = self.rng.randint(8, 20), self.rng.randrange(60)
        return datetime.combine(self.day(days_ago), time(hour, minute), timezone.utc)

    def at(self, days_ago: int) -> str:
        return iso_utc(self.moment(days_ago))

    def seed_id(self, prefix: str) -> str:
        return f"{prefix}-{self.rng.getrandbits(40):010X}"


def _add_order(rows: Rows, plan: Plan, timeline: _Timeline) -> None:
    name, email = p.CUSTOMERS[plan.customer]
    total = sum(product.unit_price_cents * quantity for product, quantity in plan.lines)
    placed_days_ago = plan.days_ago + _days_before_stage(plan.stage)
    status = _ORDER_STATUS[plan.stage]
    placed_at = timeline.moment(placed_days_ago)
    rows.orders.append((plan.number, email, name, iso_utc(placed_at), status, total))
    rows.items.extend(
        (
            plan.number,
            item.sku,
            item.name,
            quantity,
            item.unit_price_cents,
            item.final_sale,
            item.kind,
        )
        for item, quantity in plan.lines
    )
    if plan.stage not in (p.PLACED, p.CANCELLED):
        rows.shipments.append(_shipment(plan, timeline))
    if plan.refund is not None:
        cents, reason = plan.refund
        created_at = timeline.at(plan.days_ago - 1)
        rows.refunds.append((timeline.seed_id("RF"), plan.number, cents, reason, created_at))
    if plan.returned:
        _add_return(rows, plan, timeline)


_ORDER_STATUS = {
    p.PLACED: "placed",
    p.LABEL_CREATED: "placed",
    p.IN_TRANSIT: "shipped",
    p.DELAYED: "shipped",
    p.DELIVERED: "delivered",
    p.CANCELLED: "cancelled",
}


def _days_before_stage(stage: str) -> int:
    """Days from placing the order to the event its plan counts from."""
    return {p.IN_TRANSIT: 1, p.DELAYED: 1, p.DELIVERED: 1 + DAYS_IN_TRANSIT}.get(stage, 0)


def _shipment(plan: Plan, timeline: _Timeline) -> tuple[Any, ...]:
    tracking = _tracking_number(plan.carrier, timeline.rng)
    url = TRACKING_URLS[plan.carrier].format(tracking)
    head = (plan.number, plan.carrier, tracking, url)
    if plan.stage == p.LABEL_CREATED:
        estimate = timeline.day(plan.days_ago - 1 - DAYS_IN_TRANSIT)
        return (*head, p.LABEL_CREATED, None, estimate.isoformat(), None)
    if plan.stage == p.DELIVERED:
        shipped = timeline.at(plan.days_ago + DAYS_IN_TRANSIT)
        delivered = timeline.at(plan.days_ago)
        estimate = timeline.day(plan.days_ago)
        return (*head, p.DELIVERED, shipped, estimate.isoformat(), delivered)
    estimate = timeline.day(plan.days_ago - DAYS_IN_TRANSIT)
    return (*head, plan.stage, timeline.at(plan.days_ago), estimate.isoformat(), None)


def _tracking_number(carrier: str, rng: random.Random) -> str:
    def digits(count: int) -> str:
        return "".join(rng.choices(string.digits, k=count))

    if carrier == "UPS":
        return "1Z" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=6)) + digits(10)
    return "9400" + digits(18)  # USPS


def _add_return(rows: Rows, plan: Plan, timeline: _Timeline) -> None:
    return_id = timeline.seed_id("RT")
    reason = "arrived cracked"
    rows.returns.append((return_id, plan.number, timeline.at(plan.days_ago - 1), reason))
    rows.return_items.extend((return_id, sku, quantity) for sku, quantity in plan.returned)
