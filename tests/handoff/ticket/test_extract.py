"""Extraction on the real spaCy model (en_core_web_sm 3.8), no stand-ins."""

from __future__ import annotations

import subprocess
import sys

import pytest

from handoff.ticket.extract import Nlp, english_nlp, extract_context, find_in_text
from handoff.ticket.model import ContextItem, CustomerTurn


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return english_nlp()


def found(text: str, nlp: Nlp | None) -> list[tuple[str, str, str | None]]:
    return [(item.kind, item.value, item.currency) for item in find_in_text(text, 1, nlp)]


def test_what_an_agent_needs_from_a_refund_request(nlp: Nlp) -> None:
    turns = [
        CustomerTurn(1, "hi", None, "greet"),
        CustomerTurn(2, "I was charged $49.99 twice for hl 482913 on March 3rd", None),
        CustomerTurn(3, "it was the Sentinel Doorbell, I'm Jane Miller from Denver", None),
    ]

    context = extract_context(turns, nlp)

    assert ContextItem("order_number", "HL-482913", "hl 482913", 2, "pattern") in context
    assert ContextItem("amount", "49.99", "$49.99", 2, "pattern", "USD") in context
    assert ContextItem("date", "March 3rd", "March 3rd", 2, "ner") in context
    assert ContextItem("product", "Sentinel Doorbell", "Sentinel Doorbell", 3, "catalogue") in (
        context
    )
    assert ContextItem("person", "Jane Miller", "Jane Miller", 3, "ner") in context
    assert ContextItem("place", "Denver", "Denver", 3, "ner") in context
    # the order number is not also read as a date or a number by spaCy
    assert [item.kind for item in context if "482913" in item.text] == ["order_number"]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("refund $49.99 please", ("49.99", "USD")),
        ("it cost 49.99 dollars", ("49.99", "USD")),
        ("charged EUR 12 extra", ("12.00", "EUR")),
        ("a €12 fee", ("12.00", "EUR")),
        ("I paid 1,299 bucks", ("1299.00", "USD")),
        ("C$ 12.95 for shipping to Canada", ("12.95", "CAD")),
        ("£5.5 more", ("5.50", "GBP")),
    ],
)
def test_amounts_become_a_decimal_and_a_currency(text: str, amount: tuple[str, str]) -> None:
    amounts = [item for item in find_in_text(text, 1, None) if item.kind == "amount"]

    assert [(item.value, item.currency) for item in amounts] == [amount]


def test_contact_details_are_normalised(nlp: Nlp) -> None:
    text = "email Jane.Doe@Example.com or call (555) 123-4567, abroad +44 20 7946 0958"

    assert [item for item in found(text, nlp) if item[0] in ("email", "phone")] == [
        ("email", "jane.doe@example.com", None),
        ("phone", "5551234567", None),
        ("phone", "+442079460958", None),
    ]


def test_numeric_dates_are_read_the_american_way(nlp: Nlp) -> None:
    assert ("date", "2026-03-14", None) in found("delivered 3/14/2026", nlp)
    assert ("date", "2026-03-04", None) in found("on 2026-03-04 it broke", nlp)
    assert not [kind for kind, *_ in found("on 13/14/2026", None) if kind == "date"]


def test_spoken_dates_and_money_come_from_spacy(nlp: Nlp) -> None:
    items = found("I ordered it last Tuesday and paid fifty bucks", nlp)

    assert ("date", "last Tuesday", None) in items
    assert ("money", "fifty bucks", None) in items  # said in words: kept as said


def test_products_by_their_everyday_names(nlp: Nlp) -> None:
    assert ("product", "Hearth Thermostat", None) in found("my thermostat is offline", nlp)
    assert ("product", "Hearthly Plus", None) in found("cancel my plus membership", nlp)
    items = found("the Sentinel Doorbell and two glow bulbs", nlp)
    assert [value for kind, value, _ in items if kind == "product"] == [
        "Sentinel Doorbell",
        "Glow bulb",
    ]


def test_the_shop_itself_is_not_context(nlp: Nlp) -> None:
    assert not [kind for kind, *_ in found("I bought it from Hearthly Inc.", nlp)]


def test_masked_secrets_are_not_mistaken_for_anything(nlp: Nlp) -> None:
    text = "my card [card ending 4242] and cvv [security code removed] for order HL-482913"

    assert found(text, nlp) == [("order_number", "HL-482913", None)]


def test_first_mention_wins_and_pressed_buttons_are_skipped(nlp: Nlp) -> None:
    turns = [
        CustomerTurn(1, "order HL-482913 is late", None),
        CustomerTurn(2, '/inform{"order_number": "HL-111111"}', None, button="HL-111111"),
        CustomerTurn(3, "yes hl-482913, the one for $20", None),
    ]

    context = extract_context(turns, nlp)

    assert [(item.kind, item.value, item.turn) for item in context] == [
        ("order_number", "HL-482913", 1),
        ("amount", "20.00", 3),
    ]


def test_without_spacy_the_patterns_still_work() -> None:
    assert found("where is HL-482913, I paid $15", None) == [
        ("order_number", "HL-482913", None),
        ("amount", "15.00", "USD"),
    ]


def test_the_model_loads_once_and_not_at_import() -> None:
    assert english_nlp() is english_nlp()
    code = "import sys, handoff.ticket.extract; print('spacy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
