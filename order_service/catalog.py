"""What Hearthly sells: each product's SKU, name, price in cents and kind.

Money is integer cents (USD) everywhere in the shop; no floats.
"""

from __future__ import annotations

from dataclasses import dataclass

DEVICE = "device"
GIFT_CARD = "gift_card"
MEMBERSHIP = "membership"
ITEM_KINDS = (DEVICE, GIFT_CARD, MEMBERSHIP)


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    unit_price_cents: int
    kind: str = DEVICE
    final_sale: bool = False


SENTINEL_CAM = Product("SEN-CAM", "Sentinel Cam", 8999)
SENTINEL_DOORBELL = Product("SEN-DBL", "Sentinel Doorbell", 12999)
HEARTHLY_HUB = Product("HUB-01", "Hearthly Hub", 6999)
GLOW_2_PACK = Product("GLW-2PK", "Glow bulb 2-pack", 2999)
GLOW_4_PACK = Product("GLW-4PK", "Glow bulb 4-pack", 5499)
HEARTH_THERMOSTAT = Product("THM-01", "Hearth Thermostat", 17999)
CAM_MOUNT = Product("SEN-MNT", "Sentinel Cam wall mount", 1999)
HEARTHLY_PLUG = Product("PLG-01", "Hearthly Plug", 2499)
OPEN_BOX_CAM = Product("SEN-CAM-OB", "Sentinel Cam (open box, final sale)", 6499, final_sale=True)
GIFT_CARD_50 = Product("GC-50", "Hearthly gift card ($50)", 5000, GIFT_CARD)
GIFT_CARD_100 = Product("GC-100", "Hearthly gift card ($100)", 10000, GIFT_CARD)
PLUS_YEAR = Product("PLUS-12M", "Hearthly Plus membership (12 months)", 9999, MEMBERSHIP)

DEVICES = (
    SENTINEL_CAM,
    SENTINEL_DOORBELL,
    HEARTHLY_HUB,
    GLOW_2_PACK,
    GLOW_4_PACK,
    HEARTH_THERMOSTAT,
    CAM_MOUNT,
    HEARTHLY_PLUG,
)
FREE_SHIPPING_FROM_CENTS = 5000
"""Standard delivery is free from $50 (docs/sample-business.md); every sample order reaches it,
so an order's total is its items' prices (sales tax is not modelled)."""
