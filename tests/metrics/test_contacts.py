"""First-contact resolution and repeat contacts: the same customer (verified, or the same
conversation when anonymous) back on the same topic within 7 days."""

from __future__ import annotations

from metrics.windows import Filters
from tests.metrics.builders import escalated, escalation, metrics_of, rate, record

DAY = 24 * 60


def test_a_verified_customer_back_on_the_same_intent_within_7_days_undoes_fcr() -> None:
    records = [
        record("a", 0, customer_key="ck-1", first_intent="refund_request"),
        record("b", 6 * DAY, customer_key="ck-1", first_intent="refund_request"),
    ]
    metrics = metrics_of(records)

    assert rate(metrics, "fcr") == (1, 2, 0.5)
    assert rate(metrics, "repeat_contact") == (1, 2, 0.5)
    assert metrics.notes["anonymous_sessions"] == 0


def test_the_same_team_is_the_same_topic() -> None:
    records = [
        escalated("a", 0, customer_key="ck-1", first_intent="refund_request"),
        escalated("b", 2 * DAY, customer_key="ck-1", first_intent="ask_question"),
    ]
    assert rate(metrics_of(records), "fcr") == (1, 2, 0.5)


def test_another_topic_is_a_repeat_contact_but_keeps_fcr() -> None:
    records = [
        record("a", 0, customer_key="ck-1", first_intent="refund_request"),
        record("b", DAY, customer_key="ck-1", first_intent="order_status"),
    ]
    metrics = metrics_of(records)

    assert rate(metrics, "fcr") == (2, 2, 1.0)
    assert rate(metrics, "repeat_contact") == (1, 2, 0.5)


def test_back_after_more_than_7_days_is_a_new_contact() -> None:
    records = [
        record("a", 0, length=10, customer_key="ck-1"),
        record("b", 7 * DAY + 11, customer_key="ck-1"),  # 7 days and a minute after the end
    ]
    metrics = metrics_of(records)

    assert rate(metrics, "fcr") == (2, 2, 1.0)
    assert rate(metrics, "repeat_contact") == (0, 2, 0.0)


def test_exactly_7_days_after_the_end_still_counts() -> None:
    records = [
        record("a", 0, length=10, customer_key="ck-1"),
        record("b", 7 * DAY + 10, customer_key="ck-1"),
    ]
    assert rate(metrics_of(records), "fcr") == (1, 2, 0.5)


def test_anonymous_customers_are_linked_by_conversation_only() -> None:
    records = [
        record("a", 0),
        record("b", DAY),  # perhaps the same person, in a new conversation: unknowable
        record("a", 2 * DAY),  # the first conversation again
    ]
    metrics = metrics_of(records)

    assert rate(metrics, "fcr") == (2, 3, 2 / 3)
    assert rate(metrics, "repeat_contact") == (1, 3, 1 / 3)
    assert metrics.notes["anonymous_sessions"] == 3


def test_different_customers_are_never_linked() -> None:
    records = [record("a", 0, customer_key="ck-1"), record("b", 60, customer_key="ck-2")]
    assert rate(metrics_of(records), "fcr") == (2, 2, 1.0)


def test_a_session_without_a_topic_is_not_counted_for_fcr() -> None:
    records = [record("a", 0, first_intent=None), record("b", 60, first_intent=None)]
    metrics = metrics_of(records)

    assert rate(metrics, "fcr") == (0, 0, None)
    assert rate(metrics, "repeat_contact") == (0, 2, 0.0)


def test_a_follow_up_after_the_window_still_undoes_fcr_inside_it() -> None:
    last_day = 21 * DAY + 14 * 60  # 2026-03-31 23:00
    records = [
        record("a", last_day, customer_key="ck-1"),
        record("b", last_day + 2 * DAY, customer_key="ck-1"),  # April: outside the window
    ]
    metrics = metrics_of(records)

    assert metrics.sessions == 1
    assert rate(metrics, "fcr") == (0, 1, 0.0)


def test_a_follow_up_on_another_channel_or_filtered_out_still_counts() -> None:
    records = [
        record("a", 0, customer_key="ck-1", channel="widget"),
        record("b", DAY, customer_key="ck-1", channel="api"),
    ]
    assert rate(metrics_of(records, filters=Filters(channel="widget")), "fcr") == (0, 1, 0.0)


def test_escalated_without_intent_has_the_team_as_topic() -> None:
    records = [
        escalated("a", 0, first_intent=None, customer_key="ck-1"),
        escalated(
            "b", DAY, first_intent=None, customer_key="ck-1", escalation=escalation("orders")
        ),
    ]
    assert rate(metrics_of(records), "fcr") == (2, 2, 1.0)
