"""The assistant's actions on orders in the outcome record: a refund issued, a cancellation or a
return done is a session the assistant resolved by acting; a refund over the limit handed to the
supervisors is an escalation that still shows what was asked; every action counts once, in the
session it was taken in, although the `order_actions` slot repeats earlier ones after each action
and at each new session; no order number, email or amount reaches the record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from outcomes.classify import classify, classify_session
from outcomes.record import ActionCount, OutcomeRecord
from outcomes.session import read_sessions
from tests.outcomes.conversations import (
    ORDER_EMAIL,
    SECRET,
    acts_on_an_order,
    at,
    greeted,
    handed_off,
    stored_form,
    wait,
)
from tests.support.rasa_tracker import TrackerBuilder

HOUR = timedelta(hours=1)
PLACED = "HL-100231"
DELIVERED = "HL-100152"


def decide(builder: TrackerBuilder, tickets: list[Any] = []) -> OutcomeRecord:  # noqa: B006
    record = classify(
        stored_form(builder),
        tickets,
        conversation_id=builder.sender_id,
        now=at(builder) + HOUR,
        customer_key_secret=SECRET,
    )
    assert record is not None
    return OutcomeRecord.from_json(record.to_json())  # what the stream gives back


def test_a_refund_the_assistant_issued_is_contained_and_resolved_with_an_action() -> None:
    builder = greeted()
    acts_on_an_order(builder, "refund", DELIVERED, "issued", amount_cents=8999).listen()
    builder.user("great, thanks!", "thank").action("utter_you_are_welcome").bot("Welcome!")

    record = decide(builder)

    assert (record.outcome, record.escalation, record.ticket) == ("contained", None, None)
    assert record.actions == (ActionCount("refund", "issued", 1),)
    assert (record.completed_actions, record.resolved_with_action) == (1, True)
    assert (record.turns, record.first_intent) == (5, "refund_request")
    text = record.to_json()
    for secret in (DELIVERED, ORDER_EMAIL, "8999", "89.99", "RF-1A2B3C"):
        assert secret not in text, secret


def test_each_action_counts_once_although_the_slot_repeats_the_earlier_ones() -> None:
    builder = greeted()
    acts_on_an_order(builder, "cancel", PLACED, "done").listen()
    acts_on_an_order(builder, "return", DELIVERED, "refused").listen()
    acts_on_an_order(builder, "refund", DELIVERED, "issued", amount_cents=4999).listen()
    assert len(builder.slots["order_actions"]) == 3  # the last slot event holds all three

    record = decide(builder)

    assert record.actions == (
        ActionCount("cancel", "done", 1),
        ActionCount("refund", "issued", 1),
        ActionCount("return", "refused", 1),
    )
    assert (record.completed_actions, record.resolved_with_action) == (2, True)


def test_a_refused_action_alone_is_contained_but_not_resolved_with_an_action() -> None:
    builder = greeted()
    acts_on_an_order(builder, "return", DELIVERED, "refused").listen()

    record = decide(builder)

    assert record.outcome == "contained"
    assert record.actions == (ActionCount("return", "refused", 1),)
    assert (record.completed_actions, record.resolved_with_action) == (0, False)


def test_a_refund_over_the_limit_is_an_escalation_that_shows_the_action() -> None:
    builder = greeted()
    acts_on_an_order(builder, "refund", DELIVERED, "needs_approval", amount_cents=48000)
    builder.action("action_handoff")  # the EscalationPolicy hands off at once
    ticket = handed_off(builder, "tk-approval", turn=5, reason="policy")

    record = decide(builder, [ticket])

    assert record.escalation is not None
    assert (record.escalation.team, record.escalation.escalation_type) == (
        "supervisors",
        "hierarchical",
    )
    assert record.actions == (ActionCount("refund", "needs_approval", 1),)
    assert (record.completed_actions, record.resolved_with_action) == (0, False)


def test_the_shop_down_and_the_customer_gone_is_abandoned_with_the_attempt_counted() -> None:
    builder = greeted()
    acts_on_an_order(builder, "cancel", PLACED, "unavailable").listen()

    record = decide(builder)

    assert (record.outcome, record.abandoned_at) == ("abandoned", "after_miss")
    assert record.actions == (ActionCount("cancel", "unavailable", 1),)
    assert record.resolved_with_action is False


def test_an_action_counts_in_its_own_session_not_in_the_next_one() -> None:
    builder = greeted()
    acts_on_an_order(builder, "refund", DELIVERED, "issued", amount_cents=4999).listen()
    wait(builder, 2 * 3600)  # Rasa's session expired; the slots are carried over
    builder.session_start().user("where is my other order?", "ask_question")
    builder.kb_answer("late-or-missing-package", "Late or missing package", 0.8)
    carried = [e for e in builder.events if e.get("name") == "order_actions"][-1]
    assert carried["value"][0]["result"] == "issued"  # the new session repeats it
    carried_only = decide(builder)
    acts_on_an_order(builder, "cancel", PLACED, "done").listen()

    first, second = read_sessions(stored_form(builder))
    common: dict[str, Any] = {"conversation_id": "c", "now": at(builder)}
    earlier = classify_session(first, [], customer_key_secret=SECRET, **common)
    latest = classify_session(second, [], customer_key_secret=SECRET, **common)

    assert (carried_only.actions, carried_only.resolved_with_action) == ((), False)
    assert earlier is not None and latest is not None
    assert earlier.actions == (ActionCount("refund", "issued", 1),)
    assert latest.actions == (ActionCount("cancel", "done", 1),)


def test_a_no_to_the_question_or_unreadable_slot_values_count_nothing() -> None:
    builder = greeted()
    builder.user("cancel my order", "cancel_order").action("action_order_request")
    builder.bot(f"Shall I cancel order {PLACED}?").listen()
    builder.user("no, leave it", "deny").action("action_order_confirm").bot("Okay.").listen()
    junk = [
        "refund issued",
        {"action": "refund"},
        {"action": "Refund for Ana Lopez!", "result": "issued", "turn": 3},
        {"action": "cancel", "result": None, "turn": 3},
    ]
    builder.slot("order_actions", junk).listen()

    record = decide(builder)

    assert record.outcome == "contained"
    assert (record.actions, record.resolved_with_action) == ((), False)
