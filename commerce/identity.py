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


def email_digest(text: str) -> str:
    """What is kept of a customer's email (the signed-in customer's, for a conversation): a
    digest of it, case and surrounding spaces aside."""
    return hashlib.sha256(normalised_email(text).encode("utf-8")).hexdigest()


def same_email(order_email: str, given: str) -> bool:
    """Whether the customer gave the order's email (case and surrounding spaces aside), compared
    in constant time."""
    return email_matches(order_email, email_digest(given))


def email_matches(order_email: str, digest: str) -> bool:
    """Whether `digest` (email_digest) is the order's email's, in constant time."""
    return hmac.compare_digest(email_digest(order_email), digest)


def order_key(number: str) -> str:
    """The order number as the attempt counters and the verified set name it (a digest: the
    counters need no readable number)."""
    return hashlib.sha256(number.strip().upper().encode("utf-8")).hexdigest()[:32]
