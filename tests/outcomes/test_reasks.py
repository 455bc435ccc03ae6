"""Agent re-asks: asking for what the ticket already had counts; confirming it, mentioning it,
or asking for something the ticket did not have does not."""

from __future__ import annotations

import pytest

from handoff import lifecycle
from outcomes.reasks import agent_reasks, asks_in, known_values
from tests.outcomes.conversations import asks_for_a_person, at, greeted, handed_off
from tests.support.rasa_tracker import TrackerBuilder

KNOWN = {
    "order_number": ("HL-482913",),
    "email": ("sam@example.com",),
    "amount": ("480",),
    "what_was_tried": (),
}


@pytest.mark.parametrize(
    ("message", "kinds"),
    [
        ("Hi! What's your order number?", {"order_number"}),
        ("Could you send me the order number please.", {"order_number"}),
        ("Which order is this about?", {"order_number"}),
        ("Please share your email address so I can look you up.", {"email"}),
        ("What is your email?", {"email"}),
        ("How much were you charged?", {"amount"}),
        ("What was the amount?", {"amount"}),
        ("Have you tried restarting the hub?", {"what_was_tried"}),
        ("What have you already tried?", {"what_was_tried"}),
        ("Thanks. What's your order number and how much did you pay?", {"order_number", "amount"}),
        (
            "Sorry for the wait! Can you tell me your order number? And your email address?",
            {"order_number", "email"},
        ),
    ],
)
def test_asking_for_what_the_ticket_had_is_a_re_ask(message: str, kinds: set[str]) -> None:
    assert asks_in(message, KNOWN) == kinds


@pytest.mark.parametrize(
    "message",
    [
        "I can see your order number HL-482913, let me check it.",  # not a request
        "Is your order number HL-482913?",  # confirming the value, not asking for it
        "Is the order HL 482913 the one that arrived broken?",
        "Did the refund email arrive?",  # about an email, not the customer's address
        "Can you check your email? I've sent the label.",
        "I've refunded $480 to your card.",
        "Is $480 the amount you were charged?",  # carries the value
        "How much would a replacement cost you?",
        "I tried to call you earlier.",
        "Is there anything else I can help you with?",
    ],
)
def test_mentions_confirmations_and_other_questions_are_not_re_asks(message: str) -> None:
    assert asks_in(message, KNOWN) == set()


def test_only_what_the_ticket_had_counts() -> None:
    assert asks_in("What's your order number? And your email address?", {"email": ()}) == {"email"}


def test_the_ticket_s_context_and_articles_are_what_it_had() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)

    known = known_values(ticket.ticket)

    assert known["order_number"] == ("HL-482913",)
    assert "amount" in known and "what_was_tried" in known and "email" not in known


def test_agent_re_asks_read_the_agent_s_turns_only() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    ticket = lifecycle.assign(ticket, "maya", now=at(builder), by="maya")
    assert agent_reasks(ticket.ticket) == ()  # the customer's own "order HL-482913" is no ask

    ticket = lifecycle.reply(ticket, "maya", "What is your order number?", now=at(builder))
    ticket = lifecycle.reply(ticket, "maya", "Have you tried the refund form?", now=at(builder))

    assert agent_reasks(ticket.ticket) == ("order_number", "what_was_tried")


def test_a_ticket_without_context_has_nothing_to_re_ask() -> None:
    builder = TrackerBuilder().session_start()
    builder.user("a person please", "request_human").action("action_handoff")
    ticket = handed_off(builder, "tk-1", turn=1)
    ticket = lifecycle.assign(ticket, "maya", now=at(builder), by="maya")
    ticket = lifecycle.reply(ticket, "maya", "What's your order number?", now=at(builder))

    assert agent_reasks(ticket.ticket) == ()
