from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from handoff.privacy.redact import MASK, iban_valid, luhn_valid, redact_text, redact_value

CARD_MASK = "[card ending 1111]"


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
    "typed",
    [
        "card 4111.1111.1111.1111",
        "card 4111  1111  1111  1111",  # double spaces
        "card 4111\u00a01111\u00a01111\u00a01111",  # non-breaking spaces, as pasted from a page
        "card 4111\u202f1111\u202f1111\u202f1111",  # narrow non-breaking spaces
        "card 4111\u20091111\u20091111\u20091111",  # thin spaces
        "card 4111\u30001111\u30001111\u30001111",  # ideographic spaces
        "card 4111\u200b1111\u200b1111\u200b1111",  # zero-width spaces
        "card 4111\t1111\t1111\t1111",
        "card 4111 - 1111 - 1111 - 1111",
        "card 4111\u20131111\u20131111\u20131111",  # en dashes
        "card 4111 1111\n1111 1111",
        "card 4111. 1111. 1111. 1111",
    ],
)
def test_card_numbers_with_any_spacing_dashes_or_dots_are_masked(typed: str) -> None:
    assert redact_text(typed) == f"card {CARD_MASK}"


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("card4111111111111111", f"card{CARD_MASK}"),
        ("card#4111111111111111", f"card#{CARD_MASK}"),
        ("visa:4111-1111-1111-1111", f"visa:{CARD_MASK}"),
        ("no.4111111111111111 exp 12/26", f"no.{CARD_MASK} exp 12/26"),
        ("4111111111111111please", f"{CARD_MASK}please"),
    ],
)
def test_card_numbers_glued_to_a_word_are_masked(typed: str, masked: str) -> None:
    assert redact_text(typed) == masked


@pytest.mark.parametrize(
    "text",
    [
        "order HL-482913 for $1,299.99",
        "order HL-4829-1374 arrived",
        "call 1-800-555-0199",
        "call +49 30 1234567890",  # a phone number with a country code is not a card
        "call +44 20 7946 0958 or +1 (415) 555-0132",
        "my number is +4915123456789",
        "4242 4242 4242 4241",  # fails the Luhn check: not a card number
        "order 482913 placed 2026-03-14",
        "delivered on 14.03.2026 at 10:30, 2 items",
        "it cost 1.299,99 EUR (or 1,299.99 USD) on 03/14/2026",
        "firmware 3.6.21 on 192.168.100.200",
        "tracking 1Z999AA10123456784",
        "request id 123e4567-e89b-12d3-a456-426614174000",
        "session a94111111111111111b7",  # digits inside an identifier, letters on both sides
        "I paid 25.00 + 4.99 shipping on 2026-03-14",
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
        ("my password hunter2", "my password [password removed]"),
        ("my password swordfish", "my password [password removed]"),
        ("my password swordfish, can you check?", "my password [password removed] can you check?"),
        (
            "my new password Tr0ub4dor&3 is rejected",
            "my new password [password removed] is rejected",
        ),
        ("password's hunter2", "password's [password removed]"),
        ("my password\u2019s swordfish.", "my password\u2019s [password removed]"),
        ("passphrase is opensesame", "passphrase is [password removed]"),
        (
            "passphrase: purple monkey dishwasher, can you reset it?",
            "passphrase: [password removed], can you reset it?",
        ),
        ("my passphrase is purple monkey dishwasher", "my passphrase is [password removed]"),
        ("pass: hunter2", "pass: [password removed]"),
        ("user bob pass=letmein", "user bob pass=[password removed]"),
        ("password - hunter2", "password - [password removed]"),
        ("login bob password hunter2", "login bob password [password removed]"),
        ("PWD: x9", "PWD: [password removed]"),
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
        "my password isn't working",
        "my password doesn't work since yesterday",
        "my password expired",
        "my password reset link expired",
        "the password's length is too short",
        "my boarding pass is ready",
        "can you pass me to someone?",
        "is there a password manager I can use",
        "my passphrase is not accepted",
        "I forgot my password",
        "my password, my choice",
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


@pytest.mark.parametrize(
    "typed",
    [
        "IBAN DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000",
        "IBAN DE89  3704  0044  0532  0130  00",
        "IBAN DE89-3704-0044-0532-0130-00",
        "IBAN DE89.3704.0044.0532.0130.00",
    ],
)
def test_ibans_with_any_spacing_dashes_or_dots_are_masked(typed: str) -> None:
    assert redact_text(typed) == "IBAN [IBAN ending 3000]"


def obvious_masking(groups: list[str], is_secret: Callable[[str], bool], mask: str) -> str:
    """The definition, tried the slow way: from each group, the longest run of groups that
    is a secret; then on after it (or after that one group)."""
    out, start = [], 0
    while start < len(groups):
        end = next(
            (end for end in range(len(groups), start, -1) if is_secret("".join(groups[start:end]))),
            None,
        )
        out.append(mask.format("".join(groups[start:end])[-4:]) if end else groups[start])
        start = end or start + 1
    return " ".join(out)


def test_cards_found_as_the_obvious_search_over_every_span_finds_them() -> None:
    draw = random.Random(11)
    found = 0
    for _ in range(3000):
        groups = ["".join(draw.choices("0123456789", k=draw.randint(1, 8))) for _ in range(8)]
        groups[draw.randrange(8)] = draw.choice(["4111", "1111", "4242424242424242", "3782"])
        expected = obvious_masking(
            groups,
            lambda digits: 13 <= len(digits) <= 19 and luhn_valid(digits),
            "[card ending {}]",
        )
        assert redact_text(" ".join(groups)) == expected, groups
        found += "[card ending" in expected
    assert found > 500  # the search was exercised, not just the misses


def test_ibans_found_as_the_obvious_search_over_every_span_finds_them() -> None:
    draw = random.Random(12)
    found = 0
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for _ in range(2000):
        # groups start with a digit (no word like "pw" or "cvv" among them), except IBAN heads
        groups = [
            draw.choice("0123456789") + "".join(draw.choices(alphabet, k=draw.randint(1, 5)))
            for _ in range(8)
        ]
        first = draw.randrange(3)
        groups[first : first + 6] = ["GB82", "WEST", "1234", "5698", "7654", "32"]
        for index in (*range(first), *range(first + 6, 8)):
            if draw.random() < 0.7:  # another group that starts like an IBAN
                groups[index] = draw.choice(["DE89", "GB82", "DE12"]) + groups[index][4:]
        expected = obvious_masking(groups, iban_valid, "[IBAN ending {}]")
        # IBANs are masked first; what follows (cards, labels) treats both strings alike
        assert redact_text(" ".join(groups)) == redact_text(expected), groups
        found += "[IBAN ending" in expected
    assert found > 1000  # the search was exercised, not just the misses


@pytest.mark.parametrize(
    "text",
    [
        ("1 " * 500)[:999],
        ("1-" * 500)[:999],
        ("ab12 " * 200)[:999],
        "cvv" + " " * 996,
        "password" + " " * 991,
        "my password" + " " * 988,
        "9" * 999,
        "AB12" + "C" * 3000,  # longer than any IBAN, and than int() reads by default
        "AB1 2" + "C" * 3000,
        "x " + "A" * 5000 + " DE89",
    ],
)
def test_long_runs_of_groups_and_spaces_hold_no_secret(text: str) -> None:
    assert redact_text(text) == text


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


def test_a_negative_card_like_number_in_a_tracker_is_masked_not_a_crash() -> None:
    assert redact_value(-4111111111111111) == "[card ending 1111]"
    assert redact_value(-123456789012345) == -123456789012345
