"""What the assistant may do with an order without a person: return eligibility, cancellation
and the refund limit. Pure: an order and today's date in, a decision with its reason out. The
values come from commerce/policy.yml (`load_policy`), the one place they are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from commerce.orders import ITEM_KINDS, Order, OrderItem
from infra.config_checks import Checker
from infra.yaml_config import load_yaml_config

POLICY_FILE = Path(__file__).with_name("policy.yml")


class PolicyError(ValueError):
    """commerce/policy.yml (or a company's copy) is invalid; the message lists every problem."""


@dataclass(frozen=True)
class Policy:
    return_window_days: int = 30
    not_returnable_kinds: frozenset[str] = frozenset({"gift_card", "membership"})
    final_sale_returnable: bool = False
    auto_refund_limit_cents: int = 10000
    tier_refund_limits_cents: Mapping[str, int] = field(default_factory=dict)

    def refund_limit_cents(self, tier: str | None) -> int:
        return self.tier_refund_limits_cents.get(tier or "", self.auto_refund_limit_cents)


@dataclass(frozen=True)
class ReturnEligibility:
    eligible: bool
    reason: str  # eligible | not_delivered | window_passed | nothing_returnable
    returnable: tuple[tuple[OrderItem, int], ...] = ()  # each item with the quantity left
    window_ends: date | None = None


@dataclass(frozen=True)
class Cancellation:
    allowed: bool
    reason: str  # allowed | already_shipped | already_delivered | already_cancelled


@dataclass(frozen=True)
class RefundDecision:
    kind: str  # auto | needs_approval | refused
    reason: str  # within_limit | above_limit | exceeds_refundable | not_positive
    limit_cents: int


def return_eligibility(order: Order, today: date, policy: Policy) -> ReturnEligibility:
    """Whether the customer may start a return now, and of what: delivered, within the window
    from delivery, and only items that are returnable and not already returned."""
    delivered = order.shipment.delivered_at if order.shipment else None
    if order.status != "delivered" or delivered is None:
        return ReturnEligibility(False, "not_delivered")
    window_ends = delivered.date() + timedelta(days=policy.return_window_days)
    if today > window_ends:
        return ReturnEligibility(False, "window_passed", window_ends=window_ends)
    returnable = tuple(
        (item, item.quantity - order.returned_quantity(item.sku))
        for item in order.items
        if _returnable(item, policy) and item.quantity > order.returned_quantity(item.sku)
    )
    if not returnable:
        return ReturnEligibility(False, "nothing_returnable", window_ends=window_ends)
    return ReturnEligibility(True, "eligible", returnable, window_ends)


def _returnable(item: OrderItem, policy: Policy) -> bool:
    if item.kind in policy.not_returnable_kinds:
        return False
    return policy.final_sale_returnable or not item.final_sale


def cancellation(order: Order) -> Cancellation:
    """An order can be cancelled until it ships."""
    if order.status == "placed":
        return Cancellation(True, "allowed")
    return Cancellation(False, f"already_{order.status}")


def refund_decision(
    order: Order, amount_cents: int, tier: str | None, policy: Policy
) -> RefundDecision:
    """Issued by the assistant up to the tier's limit; above it a supervisor decides; never
    more than is left to refund."""
    limit = policy.refund_limit_cents(tier)
    if amount_cents <= 0:
        return RefundDecision("refused", "not_positive", limit)
    if amount_cents > order.refundable_cents:
        return RefundDecision("refused", "exceeds_refundable", limit)
    if amount_cents > limit:
        return RefundDecision("needs_approval", "above_limit", limit)
    return RefundDecision("auto", "within_limit", limit)


def parse_policy(data: Mapping[str, Any]) -> Policy:
    check = Checker("commerce policy", PolicyError)
    check.known(data, ("returns", "refunds"), "")
    returns = check.mapping(data.get("returns", {}), "returns")
    check.known(
        returns, ("window_days", "not_returnable_kinds", "final_sale_returnable"), "returns."
    )
    refunds = check.mapping(data.get("refunds", {}), "refunds")
    check.known(refunds, ("auto_approval_limit_cents", "tier_limits_cents"), "refunds.")
    kinds = check.texts(returns.get("not_returnable_kinds", []), "returns.not_returnable_kinds")
    for kind in sorted(set(kinds) - set(ITEM_KINDS)):
        check.add(f"returns.not_returnable_kinds: {kind!r} is not one of {', '.join(ITEM_KINDS)}")
    tiers = check.mapping(refunds.get("tier_limits_cents", {}), "refunds.tier_limits_cents")
    policy = Policy(
        return_window_days=check.whole(returns.get("window_days"), "returns.window_days", 0, 365),
        not_returnable_kinds=frozenset(kinds),
        final_sale_returnable=check.flag(
            returns.get("final_sale_returnable", False), "returns.final_sale_returnable"
        ),
        auto_refund_limit_cents=check.whole(
            refunds.get("auto_approval_limit_cents"),
            "refunds.auto_approval_limit_cents",
            0,
            10_000_000,
        ),
        tier_refund_limits_cents={
            str(tier): check.whole(limit, f"refunds.tier_limits_cents.{tier}", 0, 10_000_000)
            for tier, limit in tiers.items()
        },
    )
    check.raise_problems()
    return policy


def load_policy(path: Path = POLICY_FILE) -> Policy:
    return load_yaml_config(path, parse_policy, "commerce policy", PolicyError)
