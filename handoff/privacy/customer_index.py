"""Which conversations belong to a verified customer: the index erasure and export start from.

    privacy:customer:{sha256(customer id)}  set  the customer's conversation ids

Rasa's tracker store adds a conversation on every save whose latest message carries the
verified customer claim (the gateway passes verified claims only), and renews the set's expiry
(`INDEX_RETENTION_DAYS`, longer than every kind of data it leads to). So the erasure never
searches Redis (no KEYS, no SCAN): it reads one set. The id is hashed in the key name, as the
gateway's rate-limit keys are, so a key listing shows no customer id. Standard library only and
Python 3.10 compatible: the bot env's tracker store imports it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

PREFIX = "privacy:"
AUDIT = PREFIX + "audit"
"""The stream of erasures and exports (no personal data: a keyed digest, counts, who, when)."""
INDEX_RETENTION_DAYS = 400
"""The index outlives the data it leads to: trackers, tickets and outcome records are kept a
year at most by default (docs/privacy.md); a conversation's entry is renewed on every save."""


def customer_conversations(customer_id: str) -> str:
    """The key of the set of a customer's conversation ids."""
    digest = hashlib.sha256(customer_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{PREFIX}customer:{digest[:40]}"


def verified_customer_id(metadata: object) -> str | None:
    """The customer id of message metadata as the gateway passes it (`{"customer": {"id"...}}`,
    verified claims only), or None."""
    if not isinstance(metadata, Mapping):
        return None
    claims: Any = metadata.get("customer")
    customer_id = claims.get("id") if isinstance(claims, Mapping) else None
    return customer_id if isinstance(customer_id, str) and customer_id else None
