"""The customer's answer about a follow-up email, read from what they write to an after-hours
ticket: an address, yes to the proposed one, no, or something that is not an address."""

from __future__ import annotations

from dataclasses import replace

from handoff import lifecycle
from handoff.customer_messages import take_customer_message
from handoff.ticket.model import Customer
from handoff.ticket_record import TicketRecord
from tests.handoff.test_lifecycle import NOW, waiting


def offline(email: str | None = None, verified: bool = False) -> TicketRecord:
    record = replace(waiting(), offline=True, email_offered=True)
    customer = Customer(id="c-1" if verified else None, verified=verified, email=email)
    return replace(record, ticket=replace(record.ticket, customer=customer))


def test_a_typed_address_is_kept_with_when_consent_was_given() -> None:
    taken = take_customer_message(offline(), "sure, it's Jane.Doe@Example.com thanks", now=NOW)
    assert taken.answer == "recorded"
    email = taken.record.follow_up_email
    assert email is not None and (email.address, email.source) == ("jane.doe@example.com", "typed")
    assert email.consent_at == "2026-03-10T14:00:00.000Z"
    assert taken.reply is not None and "email our reply to jane.doe@example.com" in taken.reply
    assert taken.record.ticket.transcript[-1].text.endswith("thanks")  # the message is kept too


def test_yes_takes_the_proposed_address_and_says_where_it_came_from() -> None:
    claim = take_customer_message(offline("vip@shop.example", verified=True), "Yes please", now=NOW)
    typed = take_customer_message(offline("jane@example.com"), "ok", now=NOW)
    assert claim.record.follow_up_email is not None and typed.record.follow_up_email is not None
    assert claim.record.follow_up_email.source == "claim"
    assert (typed.record.follow_up_email.address, typed.record.follow_up_email.source) == (
        "jane@example.com",
        "conversation",
    )


def test_yes_without_a_proposed_address_is_just_a_message() -> None:
    taken = take_customer_message(offline(), "yes", now=NOW)
    assert (taken.answer, taken.reply, taken.record.follow_up_email) == (None, None, None)


def test_a_broken_address_is_questioned_and_no_is_respected() -> None:
    broken = take_customer_message(offline(), "jane@example", now=NOW)
    assert broken.answer == "bad_address" and broken.record.follow_up_email is None
    assert broken.reply is not None and "complete email address" in broken.reply
    declined = take_customer_message(offline("jane@example.com"), "No thanks", now=NOW)
    assert declined.answer == "declined" and declined.record.follow_up_declined
    later = take_customer_message(declined.record, "jane@example.com", now=NOW)
    assert later.answer is None and later.record.follow_up_email is None  # not asked again


def test_only_a_waiting_ticket_offered_the_email_asks() -> None:
    live = take_customer_message(waiting(), "mail me at jane@example.com", now=NOW)
    assert live.answer is None and live.record.follow_up_email is None
    no_mail = replace(offline(), email_offered=False)  # mail is not set up
    assert take_customer_message(no_mail, "jane@example.com", now=NOW).answer is None
    claimed = lifecycle.assign(offline(), "priya", now=NOW, by="priya")
    assert take_customer_message(claimed, "jane@example.com", now=NOW).answer is None
    first = take_customer_message(offline(), "jane@example.com", now=NOW).record
    second = take_customer_message(first, "actually bob@example.com", now=NOW).record
    assert second.follow_up_email == first.follow_up_email  # the first consent stands


def test_the_follow_up_email_survives_the_store_round_trip() -> None:
    record = take_customer_message(offline(), "jane@example.com", now=NOW).record
    again = TicketRecord.from_fields(record.to_fields())
    assert again.follow_up_email == record.follow_up_email
    assert again.to_json()["follow_up_email"]["address"] == "jane@example.com"
    declined = replace(record, follow_up_email=None, follow_up_declined=True)
    assert TicketRecord.from_fields(declined.to_fields()).follow_up_declined
