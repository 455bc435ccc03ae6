"""The assistant's actions on an order the conversation proved (service/desk/orders.py):
cancel it, return what can still be returned, refund within the tier's limit. The policy
(commerce/policy.py) decides before the shop is asked; every attempt and its result is audited
(service/desk/order_audit.py).

Each action is idempotent per conversation, turn and order (`action_key`): one runs at a time
for a key (a Redis lock), and once it has changed something in the shop its answer is kept
(`commerce:action:<key>`, KEPT_SECONDS) and given again to a retry or a duplicate. The refund's
key is also the shop's idempotency key, so even a lost answer never refunds twice.

Keys: `commerce:lock:<key>`, `commerce:action:<key>`, `commerce:approval:<conversation id>`
(the refund a supervisor must approve) and the audit stream `commerce:audit`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from redis.exceptions import LockError

from commerce.connector import ShopRefused, ShopUnavailable
from commerce.orders import Order, ReturnedItem
from commerce.policy import cancellation, refund_decision, return_eligibility
from commerce.refusals import refusal_message
from commerce.summary import order_summary
from infra.clock import iso_utc
from infra.redis_client import await_reply, guard
from service.desk.errors import ActionPending, NotVerified
from service.desk.order_audit import AuditEntry, OrderAudit, audit_number
from service.desk.orders import OrderDesk, not_our_token

log = logging.getLogger(__name__)
KEPT_SECONDS = 3 * 86400
"""How long an action's answer is kept for retries, and a refund awaits a supervisor."""
LOCK_SECONDS = 60
"""Longest an action may hold its key (three shop calls of at most 5 s each, and Redis)."""
WAIT_SECONDS = 8
"""How long a duplicate waits for the first request before it is told to retry (503,
Retry-After: 1; the action server gives the service 10 s)."""
MAX_TURN = 1_000_000


@dataclass(frozen=True)
class ActionRequest:
    conversation_id: str
    order_number: str
    turn: int
    """The customer's turn in the conversation: with the conversation and the order, what
    makes two requests the same request."""
    tier: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What an action came to: the answer for the caller and the audit's result and detail."""

    answer: dict[str, Any]
    result: str
    detail: str = ""
    kept: bool = False
    """The shop changed: keep the answer for a retry."""
    request: int | None = None
    """What else makes it the same request (a refund's amount): a retry with another gets no
    kept answer (the shop refuses the key's reuse)."""
    approval: dict[str, Any] | None = None
    """A refund held for a supervisor."""


Perform = Callable[[Order, str], Awaitable[Outcome]]


def action_key(ask: ActionRequest, action: str) -> str:
    """'refund:<conversation digest>:turn-5:HL-100110': the same conversation, turn and order
    make the same key (visible ASCII, at most 85 characters: what shops take as an idempotency
    key; the conversation id is a digest, so the shop learns nothing of it)."""
    conversation = hashlib.sha256(ask.conversation_id.encode("utf-8")).hexdigest()[:24]
    return f"{action}:{conversation}:turn-{ask.turn}:{audit_number(ask.order_number)}"


class OrderActions:
    def __init__(self, desk: OrderDesk, audit: OrderAudit) -> None:
        self.desk = desk
        self.audit = audit
        self.redis = desk.redis

    async def cancel(self, ask: ActionRequest, reason: str) -> dict[str, Any]:
        """{"done": true, "order"} or {"done": false, "refused", "message"}."""

        async def perform(order: Order, key: str) -> Outcome:
            verdict = cancellation(order)
            if not verdict.allowed:
                return _refused(verdict.reason, refusal_message(verdict.reason, order))
            try:
                after = await self.desk.shop.cancel_order(order.number, reason)
            except ShopRefused as refused:
                return _shop_refused(refused, order)
            return Outcome({"done": True, "order": self._summary(after, ask)}, "done", kept=True)

        return await self._act("cancel", ask, perform)

    async def start_return(self, ask: ActionRequest, reason: str) -> dict[str, Any]:
        """A return of everything still returnable: {"done": true, "return": {"id", "items"},
        "order"} or {"done": false, "refused", "message"}."""

        async def perform(order: Order, key: str) -> Outcome:
            eligibility = return_eligibility(order, self.desk.clock().date(), self.desk.policy)
            if not eligibility.eligible:
                words = refusal_message(eligibility.reason, order, eligibility.window_ends)
                return _refused(eligibility.reason, words)
            items = tuple(ReturnedItem(item.sku, left) for item, left in eligibility.returnable)
            try:
                record = await self.desk.shop.create_return(order.number, items, reason)
            except ShopRefused as refused:
                return _shop_refused(refused, order)
            names = {item.sku: item.name for item in order.items}
            started = {
                "id": record.id,
                "items": [
                    {
                        "sku": item.sku,
                        "name": names.get(item.sku, item.sku),
                        "quantity": item.quantity,
                    }
                    for item in record.items
                ],
            }
            answer = {"done": True, "return": started, "order": await self._after(order, ask)}
            return Outcome(answer, "done", record.id, kept=True)

        return await self._act("return", ask, perform)

    async def refund(self, ask: ActionRequest, amount_cents: int, reason: str) -> dict[str, Any]:
        """{"decision": "issued", "refund", "order"} within the tier's limit; "needs_approval"
        above it (nothing moves; the request is kept for a supervisor); "refused" otherwise."""

        async def perform(order: Order, key: str) -> Outcome:
            decision = refund_decision(order, amount_cents, ask.tier, self.desk.policy)
            limit = decision.limit_cents
            if decision.kind == "refused":
                return _refund_refused(decision.reason, limit, order)
            if decision.kind == "needs_approval":
                answer = {
                    "decision": "needs_approval",
                    "amount_cents": amount_cents,
                    "limit_cents": limit,
                    "currency": order.currency,
                }
                held = {**answer, "order_number": order.number, "reason": reason, "turn": ask.turn}
                held |= {"tier": ask.tier, "idempotency_key": key}
                held["created_at"] = iso_utc(self.desk.clock())
                return Outcome(answer, "needs_approval", approval=held)
            try:
                refund = await self.desk.shop.refund(order.number, amount_cents, reason, key)
            except ShopRefused as refused:
                return _refund_refused(not_our_token(refused).code, limit, order, refused.message)
            answer = {
                "decision": "issued",
                "refund": {"id": refund.id, "amount_cents": refund.amount_cents},
                "order": await self._after(order, ask),
            }
            return Outcome(answer, "issued", refund.id, kept=True)

        return await self._act("refund", ask, perform, amount_cents)

    async def _act(
        self, action: str, ask: ActionRequest, perform: Perform, amount_cents: int | None = None
    ) -> dict[str, Any]:
        """Check the proof, then, one request at a time for the key: the kept answer of the
        same earlier request, or the order read, the action performed and all recorded."""
        audited = AuditEntry(
            ask.conversation_id,
            action,
            audit_number(ask.order_number),
            ask.turn,
            result="refused",
            amount_cents=amount_cents,
        )
        try:
            await self.desk.require_proved(ask.conversation_id, ask.order_number)
        except NotVerified:
            await self.audit.record(replace(audited, detail="not_verified"))
            raise
        key = action_key(ask, action)
        async with self.one_at_a_time(key):
            kept = await self._kept(key)
            if kept is not None and kept.request == amount_cents:
                await self.audit.record(
                    replace(audited, result=kept.result, detail=kept.detail, replayed=True)
                )
                return kept.answer
            try:
                outcome = await perform(await self.desk.current_order(ask.order_number), key)
            except ShopUnavailable as trouble:
                log.warning(
                    "%s of order %s: the shop is unavailable (%s)",
                    action,
                    ask.order_number,
                    trouble,
                )
                await self.audit.record(
                    replace(audited, result="unavailable", detail="shop_unavailable")
                )
                raise
            outcome = replace(outcome, request=amount_cents)
            entry = replace(audited, result=outcome.result, detail=outcome.detail)
            await self._record(key, ask, outcome, entry)
        log.info("%s of order %s: %s %s", action, ask.order_number, outcome.result, outcome.detail)
        return outcome.answer

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, key: str) -> AsyncIterator[None]:
        lock = self.redis.lock(
            f"commerce:lock:{key}", timeout=LOCK_SECONDS, blocking_timeout=WAIT_SECONDS
        )
        async with guard():
            acquired = await lock.acquire()
        if not acquired:
            raise ActionPending("the same action is still running for this turn; retry")
        try:
            yield
        finally:
            async with guard():
                with contextlib.suppress(LockError):  # expired meanwhile: nothing to release
                    await lock.release()

    async def _kept(self, key: str) -> Outcome | None:
        async with guard():
            text = await await_reply(self.redis.get(f"commerce:action:{key}"))
        if text is None:
            return None
        kept = json.loads(text)
        return Outcome(
            kept["answer"], kept["result"], kept["detail"], kept=True, request=kept["request"]
        )

    async def _record(
        self, key: str, ask: ActionRequest, outcome: Outcome, entry: AuditEntry
    ) -> None:
        """The kept answer, the refund awaiting approval and the audit entry, in one
        transaction."""
        async with guard(), self.redis.pipeline(transaction=True) as pipe:
            if outcome.kept:
                kept = {
                    "answer": outcome.answer,
                    "result": outcome.result,
                    "detail": outcome.detail,
                    "request": outcome.request,
                }
                pipe.set(f"commerce:action:{key}", json.dumps(kept), ex=KEPT_SECONDS)
            if outcome.approval is not None:
                approval_key = f"commerce:approval:{ask.conversation_id}"
                pipe.set(approval_key, json.dumps(outcome.approval), ex=KEPT_SECONDS)
            self.audit.add(pipe, entry)
            await pipe.execute()

    def _summary(self, order: Order, ask: ActionRequest) -> dict[str, Any]:
        return order_summary(order, self.desk.clock().date(), self.desk.policy, ask.tier)

    async def _after(self, before: Order, ask: ActionRequest) -> dict[str, Any] | None:
        """The order's summary once acted on; None when the shop cannot be read again (the
        action is done all the same, and the answer must say so)."""
        try:
            return self._summary(await self.desk.current_order(before.number), ask)
        except ShopUnavailable as trouble:
            log.warning("order %s acted on, but not readable again (%s)", before.number, trouble)
            return None


def _refused(code: str, message: str) -> Outcome:
    return Outcome({"done": False, "refused": code, "message": message}, "refused", code)


def _shop_refused(refused: ShopRefused, order: Order) -> Outcome:
    code = not_our_token(refused).code
    return _refused(code, refusal_message(code, order, shop_says=refused.message))


def _refund_refused(code: str, limit: int, order: Order, shop_says: str = "") -> Outcome:
    answer = {
        "decision": "refused",
        "reason": code,
        "limit_cents": limit,
        "refundable_cents": order.refundable_cents,
        "message": refusal_message(code, order, shop_says=shop_says),
    }
    return Outcome(answer, "refused", code)
