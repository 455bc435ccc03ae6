"""Webhook signatures: what verifies, and why anything else does not."""

from __future__ import annotations

import pytest

from helpdesk.signing import SignatureError, sign, signature_header, verify

SECRET = b"s" * 32
BODY = b'{"event_id":"tk-1:created","kind":"created"}'
NOW = 1_767_225_600


def test_a_signature_verifies_against_the_raw_body_within_the_tolerance() -> None:
    header = signature_header(SECRET, BODY, NOW)
    assert header == f"t={NOW},v1={sign(SECRET, BODY, NOW)}"
    assert verify(SECRET, BODY, header, now=NOW + 299) == NOW


@pytest.mark.parametrize(
    ("body", "header", "now", "why"),
    [
        (BODY + b" ", signature_header(SECRET, BODY, NOW), NOW, "does not match"),
        (BODY, signature_header(b"x" * 32, BODY, NOW), NOW, "does not match"),
        (BODY, signature_header(SECRET, BODY, NOW), NOW + 301, "more than 300 s"),
        (BODY, signature_header(SECRET, BODY, NOW), NOW - 301, "more than 300 s"),
        (BODY, f"t={NOW}", NOW, "malformed"),
        (BODY, "", NOW, "malformed"),
        # the timestamp is signed too: moving it forward breaks the signature
        (BODY, f"t={NOW + 60},v1={sign(SECRET, BODY, NOW)}", NOW + 60, "does not match"),
    ],
)
def test_a_tampered_expired_or_malformed_signature_is_refused(
    body: bytes, header: str, now: int, why: str
) -> None:
    with pytest.raises(SignatureError, match=why):
        verify(SECRET, body, header, now=now)


def test_during_a_secret_rotation_either_signature_is_enough() -> None:
    old = sign(b"o" * 32, BODY, NOW)
    header = f"t={NOW},v1={old},v1={sign(SECRET, BODY, NOW)}"
    assert verify(SECRET, BODY, header, now=NOW) == NOW
