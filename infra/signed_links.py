"""Signed, expiring links that let a customer back in without an account: the resume link and
the reply address of a follow-up email (mail/), and the customer's own requests page.

A link token is `<payload>.<signature>`, both base64url without padding:

    payload   = JSON {"p": purpose, "c": conversation id, "t": ticket id, "exp": Unix seconds}
    signature = HMAC-SHA256(secret, payload bytes), the first 16 bytes

The purpose is signed with the rest, so a token made for one use (a reply address that must
live as long as the request) cannot open another (the chat). The token names a conversation and
a ticket, never the customer's email or name, so it holds no personal data. Whoever holds it
can act for that conversation until it expires: tokens go only to the customer (their email),
and the pages that take one keep it out of logs.

A reply address's token is shorter (`make_reply_token`): an email address's local part may be
at most 64 characters (RFC 5321) and some mail servers change its case, so it is base32 in lower
case over the ticket id, the expiry and a 10-byte signature (`reply+` and 48 characters for our
ticket ids); it names the ticket only (the ticket names its conversation).

Pure; the secret comes from the settings of the process that makes or reads links
(`LINK_SIGNING_SECRET`, at least 24 characters, the same in the service and the gateway).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Literal

Purpose = Literal["resume", "reply", "requests"]
PURPOSES: tuple[Purpose, ...] = ("resume", "reply", "requests")
SIGNATURE_BYTES = 16
MAX_TOKEN_LENGTH = 600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{10,500}\.[A-Za-z0-9_-]{16,64}$")


class LinkError(ValueError):
    """A link that cannot be used; `reason` is what the customer is told: forged, expired,
    wrong_purpose or malformed."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class LinkClaims:
    purpose: Purpose
    conversation_id: str
    ticket_id: str
    expires_at: int
    """Unix seconds."""


def make_link_token(secret: bytes, claims: LinkClaims) -> str:
    payload = json.dumps(
        {
            "p": claims.purpose,
            "c": claims.conversation_id,
            "t": claims.ticket_id,
            "exp": claims.expires_at,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    return f"{_b64(payload)}.{_b64(_signature(secret, payload))}"


def read_link_token(secret: bytes, token: object, purpose: Purpose, now: float) -> LinkClaims:
    """The claims of a token made with `secret` for `purpose`, still valid at `now`; raises
    LinkError saying why not. The signature is checked before anything in the payload is
    believed."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not TOKEN.match(token):
        raise LinkError("malformed", "this link is not complete - copy the whole link")
    encoded_payload, encoded_signature = token.split(".")
    try:
        payload = _unb64(encoded_payload)
        signature = _unb64(encoded_signature)
    except (binascii.Error, ValueError) as error:
        raise LinkError("malformed", "this link is not complete - copy the whole link") from error
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise LinkError("forged", "this link is not one of ours")
    try:
        fields = json.loads(payload)
        claims = LinkClaims(
            purpose=fields["p"],
            conversation_id=str(fields["c"]),
            ticket_id=str(fields["t"]),
            expires_at=int(fields["exp"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise LinkError("malformed", "this link is not one of ours") from error
    if claims.purpose != purpose:
        raise LinkError("wrong_purpose", f"this link is not a {purpose} link")
    if claims.expires_at <= now:
        raise LinkError("expired", "this link has expired - start a new chat and ask again")
    return claims


REPLY_SIGNATURE_BYTES = 10
MAX_REPLY_TOKEN_LENGTH = 80


def make_reply_token(secret: bytes, ticket_id: str, expires_at: int) -> str:
    """The token of a reply address for the ticket, until `expires_at` (Unix seconds)."""
    payload = expires_at.to_bytes(5, "big") + ticket_id.encode()
    signed = _reply_signature(secret, payload) + payload
    return base64.b32encode(signed).decode().rstrip("=").lower()


def read_reply_token(secret: bytes, token: object, now: float) -> LinkClaims:
    """The claims of a reply token (purpose `reply`, no conversation id: the ticket names it),
    in any case; raises LinkError like `read_link_token`."""
    if not isinstance(token, str) or not 16 <= len(token) <= MAX_REPLY_TOKEN_LENGTH:
        raise LinkError("malformed", "this reply address is not complete")
    try:
        text = token.upper()
        signed = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as error:
        raise LinkError("malformed", "this reply address is not complete") from error
    signature, payload = signed[:REPLY_SIGNATURE_BYTES], signed[REPLY_SIGNATURE_BYTES:]
    if len(payload) < 6 or not hmac.compare_digest(signature, _reply_signature(secret, payload)):
        raise LinkError("forged", "this reply address is not one of ours")
    expires_at = int.from_bytes(payload[:5], "big")
    try:
        ticket_id = payload[5:].decode()
    except UnicodeDecodeError as error:
        raise LinkError("malformed", "this reply address is not one of ours") from error
    if expires_at <= now:
        raise LinkError("expired", "this reply address has expired")
    return LinkClaims("reply", "", ticket_id, expires_at)


def _reply_signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, b"reply:" + payload, hashlib.sha256).digest()[:REPLY_SIGNATURE_BYTES]


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
