"""Mask secrets a customer types before anything else sees the text.

- card numbers: 13-19 digits, Luhn-valid, typed in one piece or in groups separated by spaces
  (any kind: double, non-breaking, narrow, zero-width), a dash or a dot, even glued to a word
  ("card4111...") -> "[card ending 4242]"
- IBANs: country code, check digits, 11-30 letters/digits, valid mod-97, grouped the same way
  -> "[IBAN ending 3000]"
- labelled security codes ("cvv 123", "security code: 1234") -> "cvv [security code removed]"
- labelled passwords, passphrases and PINs ("password is hunter2", "my password hunter2",
  "password's hunter2", "passphrase: correct horse battery", "pwd=x", "pin: 1234") ->
  "password is [password removed]", "pin: [PIN removed]"; talk about a password ("my password
  is wrong", "password reset") stays as it is.

`redact_text` masks one string; `redact_value` masks every string (and card-like integer) in
nested JSON data, e.g. a whole Rasa tracker. Both are pure and idempotent.

Masking runs on every tracker save and read in Rasa's event loop, so it is linear in the text
length: a secret has a bounded length (a card 19 digits, an IBAN 34 characters), so each place
a secret could start is tried against a bounded number of ends, and no pattern backtracks over
a long run of spaces (`benchmarks/masking.py` measures the adversarial cases).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

# What the masks look like, so later steps can leave them alone.
MASK = re.compile(
    r"\[(?:card ending \d{4}|IBAN ending \w{4}|(?:password|PIN|security code) removed)\]"
)
# Between the groups of a card number or an IBAN: 1-3 spaces of any kind (double spaces,
# non-breaking, narrow, newlines, zero-width), or a dash or a dot with at most a space each side.
_SPACE = r"[\s\u200b-\u200d\u2060\ufeff]"
SEPARATOR = rf"(?:{_SPACE}{{1,3}}|{_SPACE}?[-.\u2010-\u2015\u2212]{_SPACE}?)"
# A run of digit groups; a digit or '+' just before means a longer number or a phone number
# with its country code, not a card. A word just before ("card4111...") is fine.
DIGIT_RUN = re.compile(rf"(?<![\d+])\d+(?:{SEPARATOR}\d+)*")
DIGIT_GROUP = re.compile(r"\d+")
IBAN_RUN = re.compile(rf"(?<!\w)[A-Za-z]{{2}}\d{{2}}[A-Za-z0-9]*(?:{SEPARATOR}[A-Za-z0-9]+)*(?!\w)")
IBAN_GROUP = re.compile(r"[A-Za-z0-9]+")
IBAN_START = re.compile(r"[A-Za-z]{2}\d{2}")
IBAN_HEAD = re.compile(r"(?=[A-Z]{2}\d{2})")  # in upper-cased text, overlapping
CARD_DIGITS = range(13, 20)
IBAN_LENGTH = range(15, 35)
# Luhn's doubled digit, digit sum taken: 7 -> 14 -> 5.
LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
DIGIT_VALUES = str.maketrans("0123456789", "".join(map(chr, range(10))))
LUHN_DOUBLED_VALUES = str.maketrans("0123456789", "".join(map(chr, LUHN_DOUBLED)))
POWERS_OF_TEN = tuple(pow(10, exponent, 97) for exponent in range(2 * IBAN_LENGTH.stop))
MILLION = POWERS_OF_TEN[6]  # shifts a remainder past six decimal digits
# ISO 13616: letters count as two-digit numbers, A=10 ... Z=35.
IBAN_LETTER_VALUES = str.maketrans(
    {letter: str(value) for value, letter in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10)}
)
SECURITY_CODE = re.compile(
    r"\b(cvv2?|cvc2?|csc|cid|security code|card code|verification code)"
    r"(\s*(?:(?:is|was)\b\s*)?(?:[:=#]\s*)?)(\d{3,4})\b",  # each \s* is followed by a fixed token
    re.IGNORECASE,
)

SECURITY_CODE_WORD = re.compile(r"cvv|cvc|csc|cid|code", re.IGNORECASE)

SECRET_LABELS = {
    **dict.fromkeys(
        ("password", "passphrase", "passcode", "passwd", "pwd", "pw", "pass"), "password"
    ),
    "pin": "PIN",
}
# A label, then how the secret is introduced (named groups say which), then the first word of
# the secret, looked at but not consumed, so a label inside it is still found.
LABELLED_SECRET = re.compile(
    r"(?P<my>\bmy\s+(?:(?:new|old|current)\s+)?)?"
    r"\b(?P<label>password|passphrase|passcode|passwd|pwd|pw|pass|pin)"
    r"(?:(?P<colon>\s*(?:(?:is|was)\b\s*)?[:=]\s*)|(?P<said>\s+(?:is|was)\s+)"
    r"|(?P<dash>\s+[-\u2013\u2014]\s+)|(?P<possessive>['\u2019]s\s+)|(?P<space>\s+))"
    r"(?=(?P<secret>\"[^\"\n]{1,100}\"|'[^'\n]{1,100}'|\S+))",
    re.IGNORECASE,
)
SECRET_LABEL_WORD = re.compile(r"pass|pw|pin", re.IGNORECASE)
PIN = re.compile(r"\d{4,8}")
# Passphrases are several words: up to 6, to the end of the clause or sentence.
_PHRASE_WORD = r"[^\s,;!?]*[^\s,;!?.]"
PASSPHRASE = re.compile(rf"{_PHRASE_WORD}(?:[^\S\n]+{_PHRASE_WORD}){{0,5}}")
# What a password that is not a word has: a digit or a symbol ("hunter2", "p@ss").
NOT_A_WORD = re.compile(r"[\d_\W]")
CONTRACTION = re.compile(r"\w+['\u2019](?:t|s|re|ll|ve|d|m)", re.IGNORECASE)
CLAUSE_END = re.compile(r"[^\S\n]*(?:[.,;:!?)\n]|$)")
TRIM = "\"'()[].,;:!?"
# "my password is wrong": words that describe a password rather than being one.
_DESCRIBING_WORDS = """
    not wrong incorrect invalid correct right too being still the a an my your this that it
    expired locked reset no never definitely probably case and or but so for of to from on in
    with without working rejected changed different same new old forgotten lost
    is was be been has had have will would should can could does did do keeps kept got gets
    stopped needs need please again anymore now today yesterday here there help problem issue
    field box link email hint manager requirements strength length change update recovery
    expires expiring ok fine already also just only at by via into
"""
NOT_A_SECRET = frozenset(_DESCRIBING_WORDS.split())

Found = tuple[int, int, str]  # where a secret starts and ends, and the mask that replaces it


def redact_text(text: str) -> str:
    """The text with card numbers, IBANs, security codes and passwords masked."""
    for finder in _FINDERS:
        found = finder(text)
        if found:
            text = _replaced(text, found)
    return text


def secret_spans(text: str) -> list[Found]:
    """Where `redact_text` masks something in `text`: (start, end, mask) in `text`'s own
    positions, in order, overlapping spans merged (e.g. to find an entity Rasa extracted from
    inside a password). Only worth calling on text that `redact_text` changes."""
    # The raw span each character of the text being masked stands for: itself at first, the
    # whole span it replaced once it is part of a mask.
    starts, ends = list(range(len(text))), list(range(1, len(text) + 1))
    spans: list[Found] = []
    for finder in _FINDERS:
        found = finder(text)
        if not found:
            continue
        new_starts: list[int] = []
        new_ends: list[int] = []
        position = 0
        for start, end, mask in found:
            raw = (starts[start], ends[end - 1]) if end > start else (starts[start],) * 2
            spans.append((*raw, mask))
            new_starts += starts[position:start] + [raw[0]] * len(mask)
            new_ends += ends[position:start] + [raw[1]] * len(mask)
            position = end
        starts, ends = new_starts + starts[position:], new_ends + ends[position:]
        text = _replaced(text, found)
    return _merged(spans)


def redact_value(value: Any) -> Any:
    """A copy of JSON-like data with every string masked; card-like integers become masks."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        digits = str(abs(value))  # a minus sign is no digit
        is_card = len(digits) in CARD_DIGITS and luhn_valid(digits)
        return f"[card ending {digits[-4:]}]" if is_card else value
    if isinstance(value, dict):
        return {redact_value(key): redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        total += LUHN_DOUBLED[digit] if position % 2 == 1 else digit
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97."""
    if len(iban) not in IBAN_LENGTH or not IBAN_START.match(iban) or not iban.isascii():
        return False
    if not iban.isalnum():
        return False
    rearranged = (iban[4:] + iban[:4]).upper()
    return int(rearranged.translate(IBAN_LETTER_VALUES)) % 97 == 1


def _replaced(text: str, found: list[Found]) -> str:
    """The text with each found span (in order, not overlapping) replaced by its mask."""
    pieces: list[str] = []
    position = 0
    for start, end, mask in found:
        pieces += [text[position:start], mask]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _merged(spans: list[Found]) -> list[Found]:
    """Spans in order, those that overlap joined (the later mask kept)."""
    merged: list[Found] = []
    for start, end, mask in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), mask)
        else:
            merged.append((start, end, mask))
    return merged


def _found_in_runs(
    text: str, candidate: re.Pattern[str], find: Callable[[re.Match[str]], Iterator[Found]]
) -> list[Found]:
    """What `find(run)` finds in each candidate run of separated groups, in text positions."""
    return [
        (run.start() + start, run.start() + end, mask)
        for run in candidate.finditer(text)
        for start, end, mask in find(run)
    ]


def _ibans(text: str) -> list[Found]:
    return _found_in_runs(text, IBAN_RUN, _ibans_in)


def _cards(text: str) -> list[Found]:
    return _found_in_runs(text, DIGIT_RUN, _cards_in)


def _security_codes(text: str) -> list[Found]:
    if not SECURITY_CODE_WORD.search(text):  # a quick look first: most text has none
        return []
    return [(m.start(3), m.end(3), "[security code removed]") for m in SECURITY_CODE.finditer(text)]


def _cards_in(run: re.Match[str]) -> Iterator[Found]:
    """From the first group on: the longest groups forming a Luhn-valid 13-19 digit number;
    then the search goes on after it (or after the first group when there is none).
    Digits with a letter on both sides ("ab4111...1cd") are part of an identifier, not a card
    typed by a person.

    Linear in the number of groups: the Luhn total of digits[first:stop] is a difference of two
    prefix sums (`_luhn_prefix_sums`): valid when their last digits (a key) are equal. Keeping
    the furthest group end seen with each key answers "the longest card from this group" with
    two look-ups, whatever the number of groups."""
    run_text, text = run.group(), run.string
    if len(run_text) < CARD_DIGITS.start:
        return
    before, after = run.start() - 1, run.end()
    if before >= 0 and after < len(text) and text[before].isalpha() and text[after].isalpha():
        return
    groups = DIGIT_GROUP.findall(run_text)
    if len(groups) == 1:
        if len(run_text) in CARD_DIGITS and luhn_valid(run_text):
            yield 0, len(run_text), f"[card ending {run_text[-4:]}]"
        return
    digits = "".join(groups)
    if len(digits) < CARD_DIGITS.start:
        return
    offsets = list(accumulate(map(len, groups), initial=0))  # group g starts at digit offsets[g]
    kept_even, kept_odd = _luhn_prefix_sums(digits)
    furthest_end = [0] * 20  # by key: the furthest group end within 19 digits so far (0: none)
    start, last, spans = 0, 0, None
    while start < len(groups):
        first = offsets[start]
        while last < len(groups) and offsets[last + 1] - first < CARD_DIGITS.stop:
            last += 1
            stop = offsets[last]  # the key of a number ending here (its last digit at stop - 1)
            key = kept_even[stop] % 10 if stop % 2 else 10 + kept_odd[stop] % 10
            furthest_end[key] = last
        # the furthest end with the key of a number starting here, for either parity
        end = max(furthest_end[kept_even[first] % 10], furthest_end[10 + kept_odd[first] % 10])
        if end <= start or offsets[end] - first < CARD_DIGITS.start:
            start += 1  # no card starts at this group
            continue
        stop = offsets[end]
        if spans is None:  # where the groups are: only needed once a card is found
            spans = [group.span() for group in DIGIT_GROUP.finditer(run_text)]
        yield spans[start][0], spans[end - 1][1], f"[card ending {digits[stop - 4 : stop]}]"
        start = end


def _luhn_prefix_sums(digits: str) -> tuple[list[int], list[int]]:
    """kept_even[k]: the Luhn total of digits[:k] counting a digit at an even index as itself
    and one at an odd index doubled; kept_odd[k] the other way round. Luhn keeps a number's
    last digit, so the total of digits[first:stop] is kept_even[stop] - kept_even[first] when
    stop - 1 is even, else the same with kept_odd; it is valid when that is 0 mod 10, i.e.
    when both prefix sums have the same last digit (the "keys" above)."""
    if not digits.isascii():  # other scripts' digits ("\u0664"): as ASCII digits
        digits = "".join(str(int(char)) for char in digits)
    values = digits.translate(DIGIT_VALUES).encode("latin-1")  # "7" -> b"\x07"
    doubled = digits.translate(LUHN_DOUBLED_VALUES).encode("latin-1")  # "7" -> b"\x05"
    kept_even, kept_odd = bytearray(values), bytearray(doubled)
    kept_even[1::2], kept_odd[1::2] = doubled[1::2], values[1::2]
    return list(accumulate(kept_even, initial=0)), list(accumulate(kept_odd, initial=0))


def _ibans_in(run: re.Match[str]) -> Iterator[Found]:
    """From each group on: the longest groups forming a valid IBAN of 15-34 characters; then
    the search goes on after it (or after the first group when there is none).

    The run is read as one ISO 13616 number (A=10 ... Z=35), keeping the remainder modulo 97
    of everything before each group, so checking any slice costs a few operations; only
    groups where two letters and two digits begin ("DE89", or "GB8 2WEST") are tried."""
    texts = IBAN_GROUP.findall(run.group().upper())
    chars = list(accumulate(map(len, texts), initial=0))
    # A group longer than an IBAN is in none: read as nothing, it keeps the numbers short.
    numbers = [text.translate(IBAN_LETTER_VALUES) if len(text) <= 34 else "" for text in texts]
    digits = list(accumulate(map(len, numbers), initial=0))
    before = [0]
    for number in numbers:
        before.append((before[-1] * POWERS_OF_TEN[len(number)] + int(number or "0")) % 97)
    all_digits = "".join(numbers)
    group_at = {offset: group for group, offset in enumerate(chars[:-1])}
    position, spans = 0, None  # groups before `position` are masked already
    for head in IBAN_HEAD.finditer("".join(texts)):
        start = group_at.get(head.start(), -1)
        if start < position:
            continue  # not where a group starts, or inside an IBAN found already
        # the group ends 15 to 34 characters from here (a longer group ends the window)
        shortest = bisect_left(chars, chars[start] + IBAN_LENGTH.start)
        longest = bisect_right(chars, chars[start] + IBAN_LENGTH.stop - 1) - 1
        if shortest > longest:
            continue
        # The check moves the first four characters (two letters, two digits: six decimal
        # digits) to the end: the rest (the body) is read first, those six last.
        head_value = int(all_digits[digits[start] : digits[start] + 6])
        before_body = (before[start] * MILLION + head_value) % 97
        body_start = digits[start] + 6
        for end in range(longest, shortest - 1, -1):  # the longest first
            body = before[end] - before_body * POWERS_OF_TEN[digits[end] - body_start]
            if (body * MILLION + head_value) % 97 == 1:
                if spans is None:  # where the groups are: only needed once an IBAN is found
                    spans = [group.span() for group in IBAN_GROUP.finditer(run.group())]
                iban = "".join(texts[start:end])
                yield spans[start][0], spans[end - 1][1], f"[IBAN ending {iban[-4:]}]"
                position = end
                break


def _labelled_secrets(text: str) -> list[Found]:
    if not SECRET_LABEL_WORD.search(text):  # a quick look first: most text has none
        return []
    found: list[Found] = []
    position = 0
    for match in LABELLED_SECRET.finditer(text):
        if match.start("secret") < position:
            continue  # inside a passphrase already masked
        end = _secret_end(match)
        if end is not None:
            label = SECRET_LABELS[match["label"].lower()]
            found.append((match.start("secret"), end, f"[{label} removed]"))
            position = end
    return found


# In the order redact_text applies them, each to the text the one before left.
_FINDERS: tuple[Callable[[str], list[Found]], ...] = (
    _ibans,
    _cards,
    _security_codes,
    _labelled_secrets,
)


def _secret_end(match: re.Match[str]) -> int | None:
    """Where the secret after a label ends, or None when the words are about a password."""
    label, secret = match["label"].lower(), match["secret"]
    word = secret.strip(TRIM)
    if not word or secret.startswith("[") or word.lower() in NOT_A_SECRET:
        return None
    if CONTRACTION.fullmatch(word):
        return None  # "password isn't working", "my password's been reset"
    if label == "pin":  # a PIN is digits: "pin it", "PIN code" are not secrets
        return match.end("secret") if PIN.fullmatch(word) else None
    if label == "pass" and not match["colon"]:
        return None  # a common word: only "pass: x" or "pass=x" introduces a secret
    if (match["space"] or match["possessive"]) and not NOT_A_WORD.search(word):
        # A plain word right after the label is a password only when said last, as in
        # "my password swordfish" or "password's swordfish"; "password reset link",
        # "password's length is..." are about a password.
        said_last = secret[-1] in ".,;:!?)" or CLAUSE_END.match(match.string, match.end("secret"))
        if not said_last or (match["space"] and not match["my"]):
            return None
    if label == "passphrase" and not secret.startswith(("'", '"')):
        phrase = PASSPHRASE.match(match.string, match.start("secret"))
        if phrase:
            return max(phrase.end(), match.end("secret"))
    return match.end("secret")
