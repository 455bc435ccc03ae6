"""The order desk: a customer's order looked up for the assistant once the customer has proved
it is theirs (commerce/identity.py), with failed attempts counted in Redis. `require_proved` is
the one check the lookup and every action on an order (service/desk/order_actions.py) go
through.

Keys (prefix `commerce:`, apart from Rasa's and the handoff's):
- `commerce:failures:conversation:<conversation id>` and `commerce:failures:order:<digest>`:
  failed verifications in the current window (INCR, the window set on the first failure);
- `commerce:verified:<conversation id>`: digests of the orders this conversation proved (one
  hour), which the lookup and the actions on an order require;
- `commerce:claimed:<conversation id>`: a digest of the signed-in customer's email, from the
  signed customer claim (a day): their orders open without asking for the email.
No email, name or order detail is written; a wrong email and an unknown order are one answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis

from commerce.connector import ShopConnector, ShopRefused, ShopUnavailable
from commerce.identity import AttemptLimits, email_digest, email_matches, order_key
from commerce.orders import Order
from commerce.policy import Policy
from commerce.refusals import not_verified_message
from commerce.summary import order_summary
from infra.clock import Clock
from infra.redis_client import await_reply, guard
from service.desk.errors import NotVerified

log = logging.getLogger(__name__)
VERIFIED_SECONDS = 3600
CLAIMED_SECONDS = 86400


def verified_key(conversation_id: str) -> str:
    return f"commerce:verified:{conversation_id}"


def not_our_token(refused: ShopRefused) -> ShopRefused:
    """The refusal, unless the shop refused our token: that is the shop's trouble (and ours),
    never the customer's, so it is ShopUnavailable."""
    if refused.code == "unauthorized":
        raise ShopUnavailable(f"the shop refused our token ({refused.message})") from None
    return refused


@dataclass(frozen=True)
class Verification:
    """`order` (the summary) when verified; otherwise how many attempts are left, or, when none
    are, how long until the next one may be made."""

    order: dict[str, Any] | None
    attempts_left: int | None = None
    retry_after: int = 0


class OrderDesk:
    def __init__(
        self,
        shop: ShopConnector,
        redis_client: redis.Redis,
        policy: Policy,
        clock: Clock,
        limits: AttemptLimits | None = None,
    ) -> None:
        self.shop = shop
        self.redis = redis_client
        self.policy = policy
        self.clock = clock
        self.limits = limits or AttemptLimits()

    async def remember_claimed_email(self, conversation_id: str, email: str) -> None:
        """The signed-in customer's email (from the signed claim the action server checked),
        kept as a digest for the conversation."""
        async with guard():
            key = f"commerce:claimed:{conversation_id}"
            await await_reply(self.redis.set(key, email_digest(email), ex=CLAIMED_SECONDS))

    async def claimed_email(self, conversation_id: str) -> str | None:
        """The digest of the signed-in customer's email in this conversation, if any."""
        async with guard():
            digest = await await_reply(self.redis.get(f"commerce:claimed:{conversation_id}"))
        return str(digest) if digest else None

    async def verify(
        self, conversation_id: str, number: str, email: str, tier: str | None = None
    ) -> Verification:
        """The order's summary when `email` is the order's; ShopUnavailable when the shop
        cannot answer (nothing is counted then)."""
        return await self.verify_digest(conversation_id, number, email_digest(email), tier)

    async def verify_digest(
        self, conversation_id: str, number: str, digest: str, tier: str | None = None
    ) -> Verification:
        """As `verify`, with the email's digest: a typed email's, or the signed-in customer's
        (claimed_email); a failure counts the same either way."""
        counters = self._counters(conversation_id, number)
        locked = await self._locked(counters)
        if locked is not None:
            return locked
        order = await self._find(number)
        if order is None or not email_matches(order.email, digest):
            log.info("order verification failed in conversation %s", conversation_id)
            return await self._failed(counters)
        async with guard(), self.redis.pipeline(transaction=True) as pipe:
            key = verified_key(conversation_id)
            pipe.sadd(key, order_key(number))
            pipe.expire(key, VERIFIED_SECONDS)
            await pipe.execute()
        log.info("order %s verified in conversation %s", order.number, conversation_id)
        summary = order_summary(order, self.clock().date(), self.policy, tier)
        return Verification(summary)

    async def lookup(
        self, conversation_id: str, number: str, tier: str | None = None
    ) -> dict[str, Any]:
        """The summary of an order this conversation proved (NotVerified otherwise)."""
        order = await self.verified_order(conversation_id, number)
        return order_summary(order, self.clock().date(), self.policy, tier)

    async def require_proved(self, conversation_id: str, number: str) -> None:
        """NotVerified unless this conversation proved the order (Redis only: the shop is not
        asked, so the answer is the same whether the order exists or not)."""
        async with guard():
            proved = await await_reply(
                self.redis.sismember(verified_key(conversation_id), order_key(number))
            )
        if not proved:
            raise NotVerified(not_verified_message(number))

    async def verified_order(self, conversation_id: str, number: str) -> Order:
        """The order, read from the shop, once `require_proved` passes. ShopUnavailable when
        the shop cannot answer, refuses our token or no longer finds the order."""
        await self.require_proved(conversation_id, number)
        return await self.current_order(number)

    async def current_order(self, number: str) -> Order:
        """An order known to exist (proved, or just acted on), as the shop has it now."""
        order = await self._find(number)
        if order is None:
            raise ShopUnavailable(f"the shop no longer finds order {number}")
        return order

    async def _find(self, number: str) -> Order | None:
        try:
            return await self.shop.find_order(number)
        except ShopRefused as refused:
            not_our_token(refused)  # our token, not the customer: never a failed try
            return None  # a number the shop cannot read is no order, as far as anyone knows

    def _counters(self, conversation_id: str, number: str) -> tuple[tuple[str, int, int], ...]:
        limits = self.limits
        return (
            (
                f"commerce:failures:conversation:{conversation_id}",
                limits.per_conversation,
                limits.conversation_window_seconds,
            ),
            (
                f"commerce:failures:order:{order_key(number)}",
                limits.per_order,
                limits.order_window_seconds,
            ),
        )

    async def _locked(self, counters: tuple[tuple[str, int, int], ...]) -> Verification | None:
        async with guard():
            for key, limit, _window in counters:
                failures = int(await await_reply(self.redis.get(key)) or 0)
                if failures >= limit:
                    ttl = int(await await_reply(self.redis.ttl(key)))
                    return Verification(None, 0, retry_after=max(ttl, 1))
        return None

    async def _failed(self, counters: tuple[tuple[str, int, int], ...]) -> Verification:
        left = []
        async with guard():
            for key, limit, window in counters:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.incr(key)
                    pipe.expire(key, window, nx=True)
                    failures, _ = await pipe.execute()
                left.append(limit - int(failures))
        if min(left) <= 0:
            return await self._locked(counters) or Verification(None, 0, retry_after=1)
        return Verification(None, min(left))
