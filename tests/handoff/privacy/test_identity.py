from __future__ import annotations

import pytest

from handoff.privacy.identity import InvalidIdentity, sign_customer, verify_customer

SECRET = "company-backend-secret-for-tests"


def test_a_signed_customer_is_verified_with_tier_and_earlier_escalations() -> None:
    claims = sign_customer({"id": "c-42", "tier": "vip", "prior_escalations": 2}, SECRET)
    customer = verify_customer({"customer": claims}, SECRET)
    assert (customer.id, customer.tier, customer.prior_escalations) == ("c-42", "vip", 2)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c | {"tier": "vip"},  # a regular customer makes themselves VIP
        lambda c: c | {"id": "c-43"},  # someone else's id with my signature
        lambda c: c | {"signature": "0" * 64},
        lambda c: {k: v for k, v in c.items() if k != "signature"},
    ],
)
def test_a_forged_or_unsigned_claim_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    claims = sign_customer({"id": "c-42", "tier": "standard"}, SECRET)
    with pytest.raises(InvalidIdentity):
        verify_customer({"customer": tamper(claims)}, SECRET)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    claims = sign_customer({"id": "c-42", "tier": "vip"}, "someone-elses-secret")
    with pytest.raises(InvalidIdentity, match="does not match"):
        verify_customer({"customer": claims}, SECRET)


@pytest.mark.parametrize(
    "metadata",
    [None, {}, {"customer": "c-42"}, {"customer": {"id": "<script>", "signature": "x"}}],
)
def test_malformed_metadata_is_refused_with_a_clear_reason(metadata: object) -> None:
    with pytest.raises(InvalidIdentity):
        verify_customer(metadata, SECRET)


def test_without_a_configured_secret_nothing_is_verified() -> None:
    claims = sign_customer({"id": "c-42", "tier": "vip"}, "")
    with pytest.raises(InvalidIdentity, match="no signing secret"):
        verify_customer({"customer": claims}, "")


def test_a_signed_email_is_verified_but_never_part_of_the_customer_record() -> None:
    claims = sign_customer({"id": "c-42", "email": "maya.chen@example.com"}, SECRET)
    customer = verify_customer({"customer": claims}, SECRET)
    assert customer.email == "maya.chen@example.com"
    assert "email" not in customer.to_dict() and "maya" not in repr(customer)
    someone_else = claims | {"email": "jordan.alvarez@example.com"}  # their order, my signature
    with pytest.raises(InvalidIdentity):
        verify_customer({"customer": someone_else}, SECRET)
    with pytest.raises(InvalidIdentity, match="email must be an email address"):
        sign_customer({"id": "c-42", "email": "not an address"}, SECRET)
