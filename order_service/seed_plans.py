"""The sample orders, as plans: who ordered what, how far it has got and how many days ago.

Each named case (`CASES`) demonstrates one situation the assistant meets; the rest are everyday
orders drawn from a fixed random seed, so the same plans come out on every machine. Dates are
relative: seed.py turns "delivered 3 days ago" into dates from the day it runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from order_service import catalog as c
from order_service.catalog import Product
from order_service.schema import CARRIERS

PLACED = "placed"
LABEL_CREATED = "label_created"
IN_TRANSIT = "in_transit"
DELAYED = "delayed"
DELIVERED = "delivered"
CANCELLED = "cancelled"

CUSTOMERS = (
    ("Maya Chen", "maya.chen@example.com"),
    ("Jordan Alvarez", "jordan.alvarez@example.com"),
    ("Priya Raman", "priya.raman@example.com"),
    ("Sam O'Connor", "sam.oconnor@example.com"),
    ("Lena Fischer", "lena.fischer@example.com"),
    ("Marcus Green", "marcus.green@example.com"),
    ("Aiko Tanaka", "aiko.tanaka@example.com"),
    ("Daniel Okafor", "daniel.okafor@example.com"),
    ("Sofia Rossi", "sofia.rossi@example.com"),
    ("Noah Williams", "noah.williams@example.com"),
    ("Grace Kim", "grace.kim@example.com"),
    ("Tomás Herrera", "tomas.herrera@example.com"),
    ("Hannah Lee", "hannah.lee@example.com"),
    ("Omar Haddad", "omar.haddad@example.com"),
    ("Chloe Martin", "chloe.martin@example.com"),
    ("Ben Carter", "ben.carter@example.com"),
)


@dataclass(frozen=True)
class Plan:
    number: str
    customer: int
    """Index into CUSTOMERS."""
    lines: tuple[tuple[Product, int], ...]
    stage: str
    days_ago: int
    """Days since the stage's event: placing (placed, label_created, cancelled), shipping
    (in_transit, delayed) or delivery (delivered)."""
    carrier: str = "UPS"
    refund: tuple[int, str] | None = None
    """An earlier partial refund of a shipped order: cents and reason. A placed or cancelled
    order has none: the card is charged only when the order ships."""
    returned: tuple[tuple[str, int], ...] = ()
    """An earlier return request: (sku, quantity) lines."""


CASE_PLANS = {
    "placed": Plan("HL-100231", 0, ((c.HEARTHLY_HUB, 1), (c.GLOW_2_PACK, 2)), PLACED, 1),
    "label_created": Plan(
        "HL-100245", 1, ((c.SENTINEL_DOORBELL, 1),), LABEL_CREATED, 1, carrier="USPS"
    ),
    "in_transit": Plan("HL-100198", 2, ((c.SENTINEL_CAM, 2),), IN_TRANSIT, 2, carrier="UPS"),
    "delayed": Plan("HL-100176", 3, ((c.HEARTH_THERMOSTAT, 1),), DELAYED, 8, carrier="USPS"),
    "delivered_recently": Plan(
        "HL-100152", 4, ((c.SENTINEL_CAM, 1), (c.CAM_MOUNT, 1)), DELIVERED, 3, carrier="USPS"
    ),
    "delivered_long_ago": Plan(
        "HL-100087", 5, ((c.SENTINEL_DOORBELL, 1),), DELIVERED, 45, carrier="UPS"
    ),
    "cancelled": Plan("HL-100139", 6, ((c.GLOW_4_PACK, 1),), CANCELLED, 6),
    "final_sale": Plan(
        "HL-100164", 7, ((c.OPEN_BOX_CAM, 1), (c.CAM_MOUNT, 1)), DELIVERED, 5, carrier="UPS"
    ),
    "gift_card": Plan(
        "HL-100171", 8, ((c.HEARTHLY_HUB, 1), (c.GIFT_CARD_50, 1)), DELIVERED, 6, carrier="USPS"
    ),
    "membership": Plan(
        "HL-100183", 9, ((c.SENTINEL_CAM, 1), (c.PLUS_YEAR, 1)), DELIVERED, 10, carrier="UPS"
    ),
    "partly_refunded": Plan(
        "HL-100126",
        10,
        ((c.SENTINEL_DOORBELL, 1), (c.GLOW_2_PACK, 2)),
        DELIVERED,
        12,
        carrier="UPS",
        refund=(c.GLOW_2_PACK.unit_price_cents, "one Glow bulb 2-pack arrived cracked"),
        returned=((c.GLOW_2_PACK.sku, 1),),
    ),
    "high_value": Plan(
        "HL-100110",
        11,
        ((c.HEARTH_THERMOSTAT, 1), (c.SENTINEL_CAM, 2), (c.HEARTHLY_HUB, 1)),
        DELIVERED,
        4,
        carrier="UPS",
    ),
}
CASES = {case: plan.number for case, plan in CASE_PLANS.items()}
"""Case name -> order number: the orders docs/order-service.md and the tests point at."""

EVERYDAY_ORDERS = 28
RANDOM_SEED = 19
_STAGE_WEIGHTS = {DELIVERED: 14, IN_TRANSIT: 4, PLACED: 3, LABEL_CREATED: 2, DELAYED: 1}
_STAGE_DAYS = {
    DELIVERED: (1, 80),
    IN_TRANSIT: (1, 3),
    PLACED: (1, 1),
    LABEL_CREATED: (1, 1),
    DELAYED: (7, 10),
}


def everyday_plans(rng: random.Random) -> list[Plan]:
    """Everyday orders from the given generator (seed.py passes one seeded with RANDOM_SEED)."""
    taken = set(CASES.values())
    plans: list[Plan] = []
    while len(plans) < EVERYDAY_ORDERS:
        number = f"HL-{rng.randint(200000, 899999)}"
        if number in taken:
            continue
        taken.add(number)
        plans.append(_everyday(rng, number))
    return plans


def _everyday(rng: random.Random, number: str) -> Plan:
    stages = list(_STAGE_WEIGHTS)
    stage = rng.choices(stages, weights=[_STAGE_WEIGHTS[s] for s in stages])[0]
    products = rng.sample(c.DEVICES, k=rng.choice((1, 1, 2, 3)))
    lines = [(product, rng.choice((1, 1, 1, 2))) for product in products]
    while _total(lines) < c.FREE_SHIPPING_FROM_CENTS:
        lines.append((_another(rng, lines), 1))
    return Plan(
        number=number,
        customer=rng.randrange(len(CUSTOMERS)),
        lines=tuple(lines),
        stage=stage,
        days_ago=rng.randint(*_STAGE_DAYS[stage]),
        carrier=rng.choice(CARRIERS),
    )


def _total(lines: list[tuple[Product, int]]) -> int:
    return sum(product.unit_price_cents * quantity for product, quantity in lines)


def _another(rng: random.Random, lines: list[tuple[Product, int]]) -> Product:
    """A device not yet in the order (to reach free shipping)."""
    chosen = {product for product, _ in lines}
    return rng.choice([product for product in c.DEVICES if product not in chosen])
