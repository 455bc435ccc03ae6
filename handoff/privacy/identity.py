"""Verified customer identity: the company's backend signs who the customer is.

The widget passes `{"customer": {"id": ..., "tier": ..., "prior_escalations": ..., "email": ...,
"signature": ...}}` as message metadata (`email` optional: the address the shop knows the
signed-in customer by, so the assistant can open their orders without asking for it). The
signature is HMAC-SHA256, keyed with the secret shared between the company's backend and this
assistant, over the canonical JSON of the other fields (keys sorted, no spaces). Anything
unsigned, forged or malformed is ignored: a customer cannot make themselves VIP from the
browser. Pure and Python 3.10 compatible (the action server and the gateway both use it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CLAIMS = ("id", "tier", "prior_escalations", "email")
CUSTOMER_ID = re.compile(r"^[\w.@:+-]{1,128}$")
TIER = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


@dataclass(frozen=True)
class CustomerContext:
    """Who the customer is, as the company's backend vouched for it (never the browser)."""

    id: str
    tier: str | None = None
    prior_escalations: int = 0
    email: str | None = field(default=None, repr=False)
    """Only for opening the customer's orders (actions/session.py); never in `to_dict`, so
    never in a ticket, a decision record or a log."""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tier": self.tier, "prior_escalations": self.prior_escalations}


class InvalidIdentity(ValueError):
    """The customer claims are missing, malformed or not signed with our secret."""


def canonical_claims(claims: Mapping[str, Any]) -> bytes:
    signed = {key: claims[key] for key in CLAIMS if claims.get(key) is not None}
    return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_customer(claims: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """The claims with their signature: what the company's backend hands to the widget."""
    _check_claims(claims)
    signature = hmac.new(secret.encode(), canonical_claims(claims), hashlib.sha256).hexdigest()
    return {**{k: claims[k] for k in CLAIMS if claims.get(k) is not None}, "signature": signature}


def verify_customer(metadata: object, secret: str) -> CustomerContext:
    """The verified customer from message metadata; raises InvalidIdentity otherwise."""
    if not secret:
        raise InvalidIdentity("no signing secret configured: customer claims cannot be verified")
    claims = metadata.get("customer") if isinstance(metadata, Mapping) else None
    if not isinstance(claims, Mapping):
        raise InvalidIdentity("no customer claims in the metadata")
    _check_claims(claims)
    signature = claims.get("signature")
    if not isinstance(signature, str):
        raise InvalidIdentity("the customer claims are not signed")
    expected = hmac.new(secret.encode(), canonical_claims(claims), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.lower(), expected):
        raise InvalidIdentity("the customer signature does not match")
    return CustomerContext(
        id=claims["id"],
        tier=claims.get("tier"),
        prior_escalations=int(claims.get("prior_escalations") or 0),
        email=claims.get("email"),
    )


def _check_claims(claims: Mapping[str, Any]) -> None:
    customer_id, tier = claims.get("id"), claims.get("tier")
    escalations = claims.get("prior_escalations", 0)
    if not isinstance(customer_id, str) or not CUSTOMER_ID.match(customer_id):
        raise InvalidIdentity("customer id must be 1-128 letters, digits or . @ : + - _")
    if tier is not None and (not isinstance(tier, str) or not TIER.match(tier)):
        raise InvalidIdentity("tier must be a short lower-case word")
    if escalations is not None and (
        isinstance(escalations, bool)
        or not isinstance(escalations, int)
        or not 0 <= escalations <= 10_000
    ):
        raise InvalidIdentity("prior_escalations must be a whole number from 0 to 10000")
    email = claims.get("email")
    if email is not None and (not isinstance(email, str) or not EMAIL.match(email)):
        raise InvalidIdentity("email must be an email address")
