"""Webhook signatures: HMAC-SHA256 over `{timestamp}.{body}`, timestamped and replay-safe.

Every webhook request carries

    X-Support-Signature: t=1767225600,v1=5f0c...e9   (Unix seconds, hex HMAC-SHA256)

where v1 = HMAC-SHA256(secret, f"{t}.".encode() + raw_body). A receiver verifies it with
`verify` (or the same few lines in its own language): recompute the HMAC over the raw body it
read (before any JSON parsing), compare in constant time, and refuse a timestamp further than
the tolerance (5 minutes) from its clock. That window bounds a replay; within it the event id
(`X-Support-Event-Id`, also in the body) is the receiver's key to drop a repeat. Several `v1=`
values may appear while a secret is being rotated: any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Support-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature is missing, malformed, wrong, or its timestamp is outside the tolerance."""


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `{timestamp}.{body}`."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, body: bytes, timestamp: int) -> str:
    """The value of the X-Support-Signature header: `t=<unix seconds>,v1=<hex>`."""
    return f"t={timestamp},v1={sign(secret, body, timestamp)}"


def verify(
    secret: bytes, body: bytes, header: str, now: float, tolerance: float = TOLERANCE_SECONDS
) -> int:
    """Check a received signature header against the raw body; returns its timestamp, raises
    SignatureError (saying why) when it does not hold."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header: expected t=<unix seconds>,v1=<hex>")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is more than {tolerance:g} s from now")
    expected = sign(secret, body, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("signature does not match the body")
    return timestamp
