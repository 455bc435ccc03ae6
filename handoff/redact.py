"""Mask secrets a customer types before anything else sees the text.

- card numbers: 13-19 digits, optionally grouped with spaces or dashes, Luhn-valid
  -> "[card ending 4242]"
- IBANs: country code, check digits, 11-30 letters/digits, valid mod-97 -> "[IBAN ending 3000]"
- labelled security codes ("cvv 123", "security code: 1234") -> "cvv [security code removed]"
- labelled passwords and PINs ("password is hunter2", "pin: 1234") -> "password is [password
  removed]", "pin: [PIN removed]"

`redact_text` masks one string; `redact_value` masks every string (and card-like integer) in
nested JSON data, e.g. a whole Rasa tracker. Both are pure and idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

# What the masks look like, so later steps can leave them alone.
MASK = re.compile(
    r"\[(?:card ending \d{4}|IBAN ending \w{4}|(?:password|PIN|security code) removed)\]"
)
# A run of digit groups joined by single spaces or dashes, not glued to letters, digits or '+'
# (a phone number with a country code is not a card).
DIGIT_GROUPS = re.compile(r"(?<![\w+])\d+(?:[ -]\d+)*(?!\w)")
GROUP_SEPARATOR = re.compile(r"[ -]")
IBAN_CANDIDATE = re.compile(r"(?<!\w)[A-Za-z]{2}\d{2}[A-Za-z0-9]*(?: [A-Za-z0-9]+)*(?!\w)")
SECURITY_CODE = re.compile(
    r"\b(cvv2?|cvc2?|csc|cid|security code|card code|verification code)"
    r"(\s*(?:(?:is|was)\b)?\s*[:=#]?\s*)(\d{3,4})\b",
    re.IGNORECASE,
)
SECRET_LABELS = {**dict.fromkeys(("password", "passcode", "passwd", "pwd", "pw"), "password")}
SECRET_LABELS["pin"] = "PIN"
LABELLED_SECRET = re.compile(
    r"\b(password|passcode|passwd|pwd|pw|pin)(\s*(?:(?:is|was)\b)?\s*[:=]?\s*)"
    r"(\"[^\"]+\"|'[^']+'|\S+)",
    re.IGNORECASE,
)
PIN = re.compile(r"\d{4,8}")
# "my password is wrong": words that describe a password rather than being one.
NOT_A_SECRET = frozenset(
    (
        "not",
        "wrong",
        "incorrect",
        "invalid",
        "correct",
        "right",
        "too",
        "being",
        "still",
        "the",
        "a",
        "an",
        "my",
        "your",
        "this",
        "that",
        "it",
        "expired",
        "locked",
        "reset",
        "no",
        "never",
        "definitely",
        "probably",
        "case",
        "and",
        "or",
        "but",
        "so",
        "for",
        "of",
        "to",
        "from",
        "on",
        "in",
        "with",
        "without",
        "working",
        "rejected",
        "changed",
        "different",
        "same",
        "new",
        "old",
        "forgotten",
        "lost",
    )
)


def redact_text(text: str) -> str:
    """The text with card numbers, IBANs, security codes and passwords masked."""
    text = _mask_runs(text, IBAN_CANDIDATE, _iban_mask)
    text = _mask_runs(text, DIGIT_GROUPS, _card_mask)
    text = SECURITY_CODE.sub(lambda m: f"{m[1]}{m[2]}[security code removed]", text)
    return LABELLED_SECRET.sub(_secret_mask, text)


def redact_value(value: Any) -> Any:
    """A copy of JSON-like data with every string masked; card-like integers become masks."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        masked = _card_mask([str(value)])
        return masked if masked is not None else value
    if isinstance(value, dict):
        return {redact_value(key): redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97."""
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


Masker = Callable[[Sequence[str]], str | None]


def _mask_runs(text: str, candidate: re.Pattern[str], mask: Masker) -> str:
    """Within each candidate run of space/dash-separated groups, mask the longest leading
    groups that form a secret; then keep looking after it (or after the first group)."""
    pieces: list[str] = []
    position = 0
    for match in candidate.finditer(text):
        pieces.append(text[position : match.start()])
        pieces.append(_mask_groups(match.group(), mask))
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces)


def _mask_groups(run: str, mask: Masker) -> str:
    groups = GROUP_SEPARATOR.split(run)
    separators = GROUP_SEPARATOR.findall(run)
    out: list[str] = []
    start = 0
    while start < len(groups):
        for end in range(len(groups), start, -1):
            masked = mask(groups[start:end])
            if masked is not None:
                out.append(masked)
                start = end
                break
        else:
            out.append(groups[start])
            start += 1
        if start < len(groups):
            out.append(separators[start - 1])
    return "".join(out)


def _card_mask(groups: Sequence[str]) -> str | None:
    digits = "".join(groups)
    if digits.isdigit() and 13 <= len(digits) <= 19 and luhn_valid(digits):
        return f"[card ending {digits[-4:]}]"
    return None


def _iban_mask(groups: Sequence[str]) -> str | None:
    iban = "".join(groups).upper()
    return f"[IBAN ending {iban[-4:]}]" if iban_valid(iban) else None


def _secret_mask(match: re.Match[str]) -> str:
    label, separator, secret = match[1], match[2], match[3]
    if secret.lower().strip(".,!?") in NOT_A_SECRET or secret.startswith("["):
        return match.group()
    if label.lower() == "pin" and not PIN.fullmatch(secret.rstrip(".,!?")):
        return match.group()  # a PIN is digits: "pin it", "PIN code" are not secrets
    if label.lower() != "pin" and not separator.strip():
        return match.group()  # "password reset": a password needs "is", ":" or "="
    return f"{label}{separator}[{SECRET_LABELS[label.lower()]} removed]"
