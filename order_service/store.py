"""The shop's queries and the rules the shop itself enforces, each write in one transaction.

The shop keeps to the basics a till would: it cancels only what has not left the warehouse,
takes back only what was delivered and bought, and never refunds more than was charged. Money
moves only once an order ships (placing it puts an authorisation hold on the card), so a
cancellation refunds nothing and an order not shipped has nothing to refund. Return windows,
final-sale items and approval limits are the assistant's policy, not the shop's.

One connection and one lock: SQLite has a single writer anyway, and a transaction on a shared
connection must not interleave with another request's statements. `BEGIN IMMEDIATE` takes the
write lock before the checks, so a second process on the same file cannot slip in between.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import aiosqlite

from infra.clock import iso_utc
from order_service import errors
from order_service.errors import ShopRefusal, order_not_found
from order_service.loading import UNCHARGED_STATUSES, load_order, load_refund_by_key
from order_service.records import Order, Refund, Return, ReturnLine

log = logging.getLogger(__name__)
CANCELLABLE_SHIPMENT = "label_created"
"""A label may be voided until the carrier has the parcel."""


def new_id(prefix: str) -> str:
    """'RF-8F3A1C2D9E' (refunds), 'RT-...' (returns): random, so ids say nothing about volume."""
    return f"{prefix}-{secrets.token_hex(5).upper()}"


def request_digest(number: str, amount_cents: int, reason: str) -> str:
    """What makes two refund requests the same request, for the idempotency key's check."""
    canonical = json.dumps([number, amount_cents, reason], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class OrderStore:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> AsyncIterator[None]:
        async with self._lock:
            await self.db.execute(begin)
            try:
                yield
                await self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    await self.db.execute("ROLLBACK")
                raise

    async def order(self, number: str) -> Order | None:
        async with self._transaction("BEGIN"):
            return await load_order(self.db, number)

    async def _order(self, number: str) -> Order:
        order = await load_order(self.db, number)
        if order is None:
            raise order_not_found(number)
        return order

    async def cancel(self, number: str) -> Order:
        """Cancel an order that has not shipped (an unshipped label is voided), in one
        transaction. No refund: the card was never charged (that happens when the order ships),
        and the bank releases the authorisation hold."""
        async with self._transaction():
            order = await self._order(number)
            _check_cancellable(order)
            await self.db.execute(
                "UPDATE orders SET status = 'cancelled' WHERE number = ?", (number,)
            )
            await self.db.execute("DELETE FROM shipments WHERE order_number = ?", (number,))
            cancelled = await self._order(number)
        log.info("order %s cancelled, nothing charged, hold released", number)
        return cancelled

    async def create_return(
        self, number: str, lines: Sequence[ReturnLine], reason: str, now: datetime
    ) -> Return:
        """Record a return request for items of a delivered order, no more of each than was
        bought and not already asked back."""
        async with self._transaction():
            order = await self._order(number)
            _check_returnable(order, lines)
            ret = Return(new_id("RT"), number, iso_utc(now), reason, "requested", tuple(lines))
            await self.db.execute(
                "INSERT INTO returns (id, order_number, created_at, reason, status)"
                " VALUES (?, ?, ?, ?, ?)",
                (ret.id, number, ret.created_at, reason, ret.status),
            )
            await self.db.executemany(
                "INSERT INTO return_items (return_id, sku, quantity) VALUES (?, ?, ?)",
                [(ret.id, line.sku, line.quantity) for line in lines],
            )
        log.info("order %s: return %s requested, %d item lines", number, ret.id, len(lines))
        return ret

    async def refund(
        self, number: str, amount_cents: int, reason: str, key: str, now: datetime
    ) -> tuple[Refund, bool]:
        """Refund part or all of what is left to refund. Returns the refund and whether it was
        made now: the same key with the same request gives back the first refund and makes
        nothing; the same key with another request is refused."""
        digest = request_digest(number, amount_cents, reason)
        async with self._transaction():
            earlier = await load_refund_by_key(self.db, key)
            if earlier is not None:
                refund = _replayed(earlier, digest)
                log.info("order %s: refund %s replayed (same key)", number, refund.id)
                return refund, False
            order = await self._order(number)
            _check_refundable(order, amount_cents)
            refund = Refund(new_id("RF"), number, amount_cents, reason, iso_utc(now))
            await self._insert_refund(refund, key=key, digest=digest)
        log.info("order %s: refund %s of %d cents", number, refund.id, amount_cents)
        return refund, True

    async def _insert_refund(self, refund: Refund, key: str | None, digest: str | None) -> None:
        await self.db.execute(
            "INSERT INTO refunds (id, order_number, amount_cents, reason, created_at,"
            " idempotency_key, request_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                refund.id,
                refund.order_number,
                refund.amount_cents,
                refund.reason,
                refund.created_at,
                key,
                digest,
            ),
        )


def _check_cancellable(order: Order) -> None:
    if order.status == "cancelled":
        raise ShopRefusal(errors.ALREADY_CANCELLED, f"order {order.number} is already cancelled")
    shipment = order.shipment
    left = shipment is not None and shipment.status != CANCELLABLE_SHIPMENT
    if order.status != "placed" or left:
        raise ShopRefusal(
            errors.ALREADY_SHIPPED,
            f"order {order.number} has already shipped (status {order.status}); it cannot be"
            " cancelled, only returned once delivered",
        )


def _check_refundable(order: Order, amount_cents: int) -> None:
    if order.status in UNCHARGED_STATUSES:
        raise ShopRefusal(errors.EXCEEDS_REFUNDABLE, _nothing_charged(order))
    if amount_cents > order.refundable_cents:
        raise ShopRefusal(
            errors.EXCEEDS_REFUNDABLE,
            f"{amount_cents} cents is more than the {order.refundable_cents} cents left to"
            f" refund on {order.number}",
        )


def _nothing_charged(order: Order) -> str:
    """Why an order not shipped has nothing to refund, in words for a person."""
    if order.status == "cancelled":
        return (
            f"nothing was charged for order {order.number}: it was cancelled before it shipped,"
            " and the card is charged only when an order ships, so there is nothing to refund"
            " (the bank releases the hold on the card within 3-7 business days)"
        )
    return (
        f"nothing has been charged for order {order.number} yet: the card is charged only"
        " when the order ships, so there is nothing to refund (cancelling the order releases"
        " the hold on the card)"
    )


def _check_returnable(order: Order, lines: Sequence[ReturnLine]) -> None:
    if order.status != "delivered":
        raise ShopRefusal(
            errors.NOT_DELIVERED,
            f"order {order.number} is {order.status}; only delivered orders can be returned",
        )
    for line in lines:
        item = order.item(line.sku)
        if item is None:
            raise ShopRefusal(
                errors.ITEM_NOT_IN_ORDER, f"{line.sku} is not an item of order {order.number}"
            )
        left = item.quantity - order.returned_quantity(line.sku)
        if line.quantity > left:
            raise ShopRefusal(
                errors.QUANTITY_EXCEEDS_ORDER,
                f"{line.quantity} x {line.sku} asked back, but only {left} of the"
                f" {item.quantity} bought can still be returned",
            )


def _replayed(earlier: tuple[Refund, str], digest: str) -> Refund:
    refund, earlier_digest = earlier
    if earlier_digest != digest:
        raise ShopRefusal(
            errors.IDEMPOTENCY_KEY_REUSED,
            f"this Idempotency-Key was used for another request (refund {refund.id});"
            " send a new key for a new refund",
        )
    return refund
