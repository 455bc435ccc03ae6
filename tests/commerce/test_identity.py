"""Proving an order is yours: the order's email, whatever its case or spaces; nothing else."""

from __future__ import annotations

from commerce.identity import EMAIL, ORDER_NUMBER, order_key, same_email


def test_the_orders_email_matches_whatever_its_case_and_spaces() -> None:
    assert same_email("Sam.Lee@Example.com", "  sam.lee@example.COM ")
    assert not same_email("sam.lee@example.com", "sam.lee@example.co")
    assert not same_email("sam.lee@example.com", "")


def test_order_numbers_and_emails_are_checked_before_anything_is_asked() -> None:
    assert ORDER_NUMBER.match("HL-100231") and not ORDER_NUMBER.match("../etc/passwd")
    assert not ORDER_NUMBER.match("HL 100231") and not ORDER_NUMBER.match("-HL")
    assert EMAIL.match("sam@example.com") and not EMAIL.match("sam at example.com")


def test_the_counters_name_an_order_by_a_digest() -> None:
    assert order_key("hl-100231 ") == order_key("HL-100231")
    assert "100231" not in order_key("HL-100231") and len(order_key("HL-100231")) == 32
