"""Signed links: only ours open anything, only for their purpose, only until they expire."""

from __future__ import annotations

import pytest

from infra.signed_links import LinkClaims, LinkError, make_link_token, read_link_token

SECRET = b"s" * 32
CLAIMS = LinkClaims("resume", "conv-abc", "tk-1", expires_at=2_000)


def test_a_link_opens_what_it_names_until_it_expires() -> None:
    token = make_link_token(SECRET, CLAIMS)
    assert read_link_token(SECRET, token, "resume", now=1_999) == CLAIMS
    with pytest.raises(LinkError) as expired:
        read_link_token(SECRET, token, "resume", now=2_000)
    assert expired.value.reason == "expired" and "expired" in str(expired.value)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (make_link_token(b"x" * 32, CLAIMS), "forged"),  # another secret
        (make_link_token(SECRET, CLAIMS)[:-3] + "AAA", "forged"),  # a changed signature
        ("conv-abc", "malformed"),
        (None, "malformed"),
        ("a" * 700, "malformed"),
    ],
)
def test_forged_and_malformed_links_are_refused_with_the_reason(token: object, reason: str) -> None:
    with pytest.raises(LinkError) as refused:
        read_link_token(SECRET, token, "resume", now=0)
    assert refused.value.reason == reason


def test_a_changed_payload_or_another_purpose_is_refused() -> None:
    token = make_link_token(SECRET, CLAIMS)
    other = make_link_token(SECRET, LinkClaims("resume", "conv-other", "tk-2", 2_000))
    spliced = other.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(LinkError, match="not one of ours"):
        read_link_token(SECRET, spliced, "resume", now=0)
    with pytest.raises(LinkError) as wrong:
        read_link_token(SECRET, token, "requests", now=0)
    assert wrong.value.reason == "wrong_purpose"
