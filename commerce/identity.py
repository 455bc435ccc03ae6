"""Who may see an order: the customer who gives its number together with the email it was
placed with. Pure. Until then the assistant learns nothing about the order, not even whether it
exists: a wrong email and an unknown number get the same answer, and failed attempts are
limited per conversation and per order number (the service counts them).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

ORDER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$")
"""What can be an order number at all (a shop checks its own format): 3-40 letters, digits, -."""
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


@dataclass(frozen=True)
class AttemptLimits:
    """Failed verifications allowed before the assistant stops trying (and offers a person)."""

    per_conversation: int = 5
    conversation_window_seconds: int = 3600
    per_order: int = 10
    """Across conversations: someone guessing emails for one order number from many chats."""
    order_window_seconds: int = 86400


def normalised_email(text: str) -> str:
    return text.strip().casefold()


def same_email(order_email: str, given: str) -> bool:
    """Whether the customer gave the order's email (case and surrounding spaces aside), compared
    in constant time."""
    ours = hashlib.sha256(normalised_email(order_email).encode("utf-8")).digest()
    theirs = hashlib.sha256(normalised_email(given).encode("utf-8")).digest()
    return hmac.compare_digest(ours, theirs)


def order_key(number: str) -> str:
    """The order number as the attempt counters and the verified set name it (a digest: the
    counters need no readable number)."""
    return hashlib.sha256(number.strip().upper().encode("utf-8")).hexdigest()[:32]
