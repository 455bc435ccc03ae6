from __future__ import annotations

import pytest

from handoff.redact import MASK, iban_valid, luhn_valid, redact_text, redact_value


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("my card is 4242 4242 4242 4242", "my card is [card ending 4242]"),
        ("4242-4242-4242-4242 please", "[card ending 4242] please"),
        ("card:5555555555554444.", "card:[card ending 4444]."),
        ("amex 3782 822463 10005", "amex [card ending 0005]"),
        # the expiry date right after the number is not swallowed into it
        ("4242424242424242 12 26", "[card ending 4242] 12 26"),
    ],
)
def test_card_numbers_are_masked_keeping_the_last_four(typed: str, masked: str) -> None:
    assert redact_text(typed) == masked


@pytest.mark.parametrize(
    "text",
    [
        "order HL-482913 for $1,299.99",
        "call 1-800-555-0199",
        "call +49 30 1234567890",  # a phone number with a country code is not a card
        "4242 4242 4242 4241",  # fails the Luhn check: not a card number
        "order 482913 placed 2026-03-14",
    ],
)
def test_ordinary_numbers_stay(text: str) -> None:
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("cvv 123", "cvv [security code removed]"),
        ("my CVC is: 1234", "my CVC is: [security code removed]"),
        ("security code = 999", "security code = [security code removed]"),
        ("my password is hunter2.", "my password is [password removed]"),
        ('password: "correct horse" thanks', "password: [password removed] thanks"),
        ("pin 4821", "pin [PIN removed]"),
    ],
)
def test_labelled_codes_and_passwords_are_masked(typed: str, masked: str) -> None:
    assert redact_text(typed) == masked


@pytest.mark.parametrize(
    "text",
    [
        "my password is wrong",
        "the password reset link expired",
        "password isn't working",
        "can I pin it to the hub?",
        "I need a new password: the old one leaked",
    ],
)
def test_talking_about_a_password_is_not_a_password(text: str) -> None:
    assert redact_text(text) == text


def test_ibans_are_masked_even_in_lower_case_and_without_spaces() -> None:
    assert (
        redact_text("IBAN DE89 3704 0044 0532 0130 00 thanks") == "IBAN [IBAN ending 3000] thanks"
    )
    assert redact_text("gb82west12345698765432") == "[IBAN ending 5432]"
    wrong_check = "GB82 WEST 1234 5698 7654 31"
    assert redact_text(wrong_check) == wrong_check


def test_masking_twice_changes_nothing() -> None:
    text = "card 4242 4242 4242 4242, cvv 123, password is hunter2, IBAN DE89370400440532013000"
    once = redact_text(text)

    assert redact_text(once) == once
    assert [match.group() for match in MASK.finditer(once)] == [
        "[card ending 4242]",
        "[security code removed]",
        "[password removed]",
        "[IBAN ending 3000]",
    ]


def test_nested_data_is_masked_everywhere_including_card_like_integers() -> None:
    data = {
        "events": [{"text": "card 4000 0566 5566 5556", "parse_data": {"entities": []}}],
        "slots": {"card": 4000056655665556, "kb_miss_count": 2, "paused": False, "x": None},
        "4242424242424242": ("tuple", 1.5),
    }

    assert redact_value(data) == {
        "events": [{"text": "card [card ending 5556]", "parse_data": {"entities": []}}],
        "slots": {"card": "[card ending 5556]", "kb_miss_count": 2, "paused": False, "x": None},
        "[card ending 4242]": ["tuple", 1.5],
    }


def test_the_checks_themselves() -> None:
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")
    assert iban_valid("GB82WEST12345698765432") and not iban_valid("GB82WEST12345698765431")
