"""Deciding a session's outcome from realistic trackers and tickets: every outcome, and the edge
cases (no data, one turn, handed back and escalated again, abandoned while waiting, a skipped
survey, a session that holds only the hand-back)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handoff import lifecycle
from handoff.ticket_record import Csat
from outcomes.classify import classify, classify_session, customer_key, must_wait
from outcomes.record import OutcomeRecord, Survey
from outcomes.session import read_sessions
from tests.outcomes.conversations import (
    QUESTION,
    REFUND,
    SECRET,
    agent_resolves,
    asks_for_a_person,
    at,
    decision_with,
    frustration_signal,
    greeted,
    handed_off,
    offline,
    stored_form,
    told_rasa,
    wait,
)
from tests.support.rasa_tracker import TrackerBuilder

HOUR = timedelta(hours=1)


def decide(builder: TrackerBuilder, tickets: list[Any] = [], **extra: Any) -> OutcomeRecord:  # noqa: B006
    record = classify(
        stored_form(builder),
        tickets,
        conversation_id=builder.sender_id,
        now=at(builder) + HOUR,
        customer_key_secret=SECRET,
        **extra,
    )
    assert record is not None
    return OutcomeRecord.from_json(record.to_json())  # what the stream gives back


def test_a_question_answered_and_marked_helpful_is_contained() -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem")
    builder.kb_answer("hub-offline", "Hearthly Hub offline or blinking", 0.83)
    builder.feedback(helpful=True).action("utter_glad").bot("Glad that helped!").listen()
    builder.user("thanks!", "thank").action("utter_you_are_welcome").bot("You're welcome!")

    record = decide(builder)

    assert record.outcome == "contained" and record.abandoned_at is None
    assert (record.turns, record.first_intent, record.articles) == (
        3,  # the question, "Yes, that helped" (pressed), thanks; not the init payload
        "report_problem",
        ("hub-offline",),
    )
    assert (record.last_answer_helpful, record.misses) == (True, 0)
    assert (record.escalation, record.ticket, record.survey) == (None, None, None)
    assert (record.channel, record.customer_key) == ("widget", None)
    assert record.session == record.started_at == "2026-03-14T09:20:05.000Z"
    assert record.ended_at > record.started_at
    assert record.key == f"conv-1:{record.session}"


def test_one_turn_answered_without_feedback() -> None:
    builder = TrackerBuilder().session_start()
    builder.user("where does the c-wire go on the thermostat", "ask_question")
    builder.kb_answer("thermostat-c-wire", "Installing the Hearth Thermostat", 0.9)

    record = decide(builder)

    assert (record.outcome, record.turns, record.first_intent) == ("contained", 1, "ask_question")
    assert record.last_answer_helpful is None


@pytest.mark.parametrize(
    "tracker",
    [
        {"events": []},
        {"name": "conv-1", "events": TrackerBuilder().session_start().events},
    ],
    ids=["no events", "session started, nobody spoke"],
)
def test_nothing_to_record_without_a_customer_message(tracker: dict[str, Any]) -> None:
    record = classify(
        tracker, [], conversation_id="conv-1", now=at(TrackerBuilder()), customer_key_secret=SECRET
    )
    assert record is None


def test_a_widget_opened_and_closed_records_nothing() -> None:
    builder = greeted()  # only the init payload: no typed or pressed turn, no ticket
    assert (
        classify(
            stored_form(builder), [], conversation_id="c", now=at(builder), customer_key_secret=b"k"
        )
        is None
    )


def test_leaving_after_a_miss_is_abandoned_after_miss() -> None:
    builder = greeted()
    builder.user("can I pay with a gift card from another shop", "ask_question")
    builder.kb_miss([("payment-declined", "Declined", 0.31)])

    record = decide(builder)

    assert (record.outcome, record.abandoned_at, record.misses) == ("abandoned", "after_miss", 1)
    assert record.articles == () and record.last_answer_helpful is None


def test_leaving_after_a_follow_up_that_found_nothing_is_abandoned_after_miss() -> None:
    builder = greeted()
    builder.user("and for members?", "ask_question").action("action_answer_from_kb")
    builder.bot("I'm not sure which article answers that.").slot("reply_outcome", "follow_up_miss")
    builder.listen()

    record = decide(builder)

    assert (record.outcome, record.abandoned_at, record.misses) == ("abandoned", "after_miss", 1)


def test_leaving_after_an_unhelpful_answer_is_abandoned_after_miss() -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem")
    builder.kb_answer("hub-offline", "Hearthly Hub offline or blinking", 0.83)
    builder.feedback(helpful=False).bot("Sorry about that. Can you tell me more?").listen()

    record = decide(builder)

    assert (record.outcome, record.abandoned_at) == ("abandoned", "after_miss")
    assert record.last_answer_helpful is False


def test_out_of_scope_answers_count_as_misses() -> None:
    builder = greeted()
    builder.user("wie ist das Wetter", "out_of_scope").action("utter_out_of_scope").listen()
    builder.user("hallo??", "out_of_scope").action("utter_out_of_scope").listen()
    builder.user("bye", "goodbye").action("utter_goodbye").listen()

    record = decide(builder)

    assert (record.outcome, record.misses, record.first_intent) == (
        "contained",
        2,
        "out_of_scope",
    )


@pytest.mark.parametrize("asking", ["utter_ask_order_number", "utter_offer_human"])
def test_leaving_when_the_bot_asked_something_is_abandoned_mid_flow(asking: str) -> None:
    builder = greeted()
    builder.user("where is my order", "order_status").action(asking).bot("...?").listen()

    record = decide(builder)

    assert (record.outcome, record.abandoned_at) == ("abandoned", "mid_flow")


def test_an_open_form_is_mid_flow() -> None:
    builder = greeted()
    builder.user("where is my order", "order_status").action("order_form")
    builder.event("active_loop", name="order_form")
    builder.listen()

    assert decide(builder).abandoned_at == "mid_flow"


def test_an_agent_resolved_chat_is_escalated_with_its_times_and_sla() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    resolved = agent_resolves(builder, ticket)

    record = decide(builder, [resolved])

    assert record.outcome == "escalated"
    assert record.escalation is not None and record.ticket is not None
    escalation = record.escalation
    assert (escalation.reason, escalation.explicit, escalation.turn) == (
        "explicit_request",
        True,
        4,
    )
    routing = resolved.routing
    assert (escalation.team, escalation.priority, escalation.escalation_type) == (
        routing.team,
        routing.priority,
        routing.escalation_type,
    )
    assert [(s.name, s.contribution) for s in escalation.signals] == [("person_request", 1.0)]
    times = record.ticket
    assert (times.ticket_id, times.closed_as, times.resolution_code, times.agent_id) == (
        "tk-1",
        "resolved",
        "refund_issued",
        "maya",
    )
    assert times.created_at == resolved.ticket.created_at
    assert times.first_agent_message_at == resolved.first_response_at
    assert times.closed_at == resolved.closed_at
    assert times.queue_wait_seconds == 70.0  # the bot's reply and slots (10 s), then a minute
    assert (times.first_response_sla_met, times.resolution_sla_met) == (True, True)
    assert times.escalation_not_needed is False
    # the refund's order number and amount were in the ticket; the agent did not ask again
    assert times.agent_reasks == ()
    assert record.turns == 3  # neither the init payload nor the hand-back message
    assert record.ended_at >= (resolved.closed_at or "")


def test_the_agent_marking_no_person_needed_and_re_asking_reach_the_record() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    resolved = agent_resolves(
        builder,
        ticket,
        reply="Hi! What's your order number? And how much were you charged?",
        escalation_needed=False,
    )

    times = decide(builder, [resolved]).ticket

    assert times is not None
    assert times.escalation_not_needed is True
    assert times.agent_reasks == ("order_number", "amount")


def test_a_breached_first_response_sla_is_not_met() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    due = ticket.routing.first_response_due
    assert due is not None
    ticket = lifecycle.assign(ticket, "maya", now=wait(builder, 60), by="maya")
    ticket = type(ticket)(**{**ticket.__dict__, "fired_breaches": (f"tk-1|first_response|{due}",)})

    times = decide(builder, [ticket]).ticket

    assert times is not None and times.first_response_sla_met is False
    assert times.resolution_sla_met is None  # still open, not yet due


def test_a_request_the_customer_withdrew_is_withdrawn() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    builder.user("never mind, I found it", "deny").action("action_cancel_handoff")
    builder.slot("handoff_status", "cancelled").slot("handoff_ticket_id", None).listen()
    cancelled = lifecycle.cancel(ticket, now=at(builder))

    record = decide(builder, [cancelled])

    assert (record.outcome, record.escalation is not None) == ("withdrawn", True)
    assert record.ticket is not None and record.ticket.closed_as == "cancelled"
    assert record.ticket.first_response_sla_met is None


def test_a_handoff_while_the_team_was_closed_is_after_hours() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)

    record = decide(builder, [offline(ticket, at(builder))])

    assert record.outcome == "after_hours" and record.abandoned_at is None
    assert record.escalation is not None and record.escalation.reason == "explicit_request"


def test_leaving_while_waiting_in_open_hours() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    inactivity = timedelta(minutes=30)

    assert must_wait([ticket], at(builder) + timedelta(minutes=10), inactivity)
    assert not must_wait([ticket], at(builder) + timedelta(minutes=31), inactivity)
    record = decide(builder, [ticket])

    assert (record.outcome, record.abandoned_at) == ("abandoned", "while_waiting")
    assert record.ticket is not None and record.ticket.queue_wait_seconds is None


def test_an_agent_with_the_chat_or_a_customer_writing_to_the_queue_waits() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    later = at(builder) + timedelta(hours=5)
    inactivity = timedelta(minutes=30)

    assert must_wait(
        [lifecycle.assign(ticket, "maya", now=at(builder), by="maya")], later, inactivity
    )
    assert not must_wait([offline(ticket, at(builder))], later, inactivity)
    assert not must_wait([], later, inactivity)


def test_handed_back_and_escalated_again_is_one_record_with_the_latest_escalation() -> None:
    builder = greeted()
    first = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    first = lifecycle.assign(first, "maya", now=wait(builder, 30), by="maya")
    first = lifecycle.hand_back(first, "maya", now=wait(builder, 60))
    told_rasa(builder, first)
    builder.user("my camera shows a black screen", "report_problem")
    builder.kb_answer("camera-offline", "Sentinel Cam is offline", 0.8)
    builder.user("this is useless, a person please", "request_human").action("action_handoff")
    second = handed_off(builder, "tk-2", turn=6)

    record = decide(builder, [first, second])

    assert record.outcome == "abandoned" and record.abandoned_at == "while_waiting"
    assert record.ticket is not None and record.ticket.ticket_id == "tk-2"
    assert record.escalation is not None and record.escalation.turn == 6
    assert record.articles == ("refund-timeline", "camera-offline")
    assert record.turns == 5  # typed or pressed; the init payload and the hand-back are not
    assert record.first_intent == "refund_request"


def test_a_session_holding_only_the_hand_back_belongs_to_the_one_before() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    first_session = decide(builder, [ticket]).session
    resolved = agent_resolves(builder, ticket)
    # the takeover outlasted Rasa's session expiry: the hand-back starts a new session
    events = builder.events
    marker = next(i for i, e in enumerate(events) if e.get("text") == "/handoff_resolved")
    builder.events = [
        *events[:marker],
        {"event": "action", "name": "action_session_start", "timestamp": builder.clock},
        {"event": "session_started", "timestamp": builder.clock},
        *events[marker:],
    ]

    record = decide(builder, [resolved])

    assert (record.session, record.outcome) == (first_session, "escalated")


def test_a_new_session_is_recorded_on_its_own() -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    first = decide(builder)
    wait(builder, 2 * 3600)
    builder.session_start().user("how do I return a bulb", "ask_question")
    builder.kb_answer("returns", "Returns", 0.8)

    second = decide(builder)

    assert second.session > first.session
    assert (second.turns, second.first_intent, second.articles) == (1, "ask_question", ("returns",))


def test_a_ticket_of_an_earlier_session_does_not_count() -> None:
    builder = greeted()
    old = handed_off(asks_for_a_person(builder), "tk-old", turn=4)
    wait(builder, 2 * 3600)
    builder.session_start().user("thanks for the refund", "thank")

    record = decide(builder, [old])

    assert (record.outcome, record.ticket, record.escalation) == ("contained", None, None)


def test_a_skipped_survey_is_kept_and_the_ticket_csat_is_the_fallback() -> None:
    builder = greeted()
    resolved = agent_resolves(builder, handed_off(asks_for_a_person(builder), "tk-1", turn=4))

    skipped = decide(builder, [resolved], survey=Survey(audience="agent", skipped=True))
    rated = decide(builder, [type(resolved)(**{**resolved.__dict__, "csat": Csat(5, None, "x")})])

    assert skipped.survey == Survey(audience="agent", skipped=True)
    assert rated.survey == Survey(audience="agent", csat=5)


def test_the_verified_customer_is_a_keyed_hash_never_the_id() -> None:
    builder = greeted()
    builder.slot("customer_id", "cust-8841").slot("customer_tier", "vip")
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)

    record = decide(builder)

    assert record.customer_key == customer_key("cust-8841", SECRET)
    assert record.customer_key and len(record.customer_key) == 32
    assert "cust-8841" not in record.to_json()
    assert customer_key("cust-8841", b"another secret") != record.customer_key
    assert customer_key("cust-8842", SECRET) != record.customer_key
    assert customer_key(None, SECRET) is None


def test_frustration_signals_without_an_offer_are_flagged() -> None:
    builder = greeted()
    builder.user("this app is garbage", "express_frustration")
    builder.slot("escalation_decision", decision_with([frustration_signal(1)], turn=1))
    builder.action("utter_empathize").bot("I'm sorry this has been so frustrating.").listen()

    assert decide(builder).frustrated_without_offer is True

    builder.action("utter_offer_human").bot("Would you like to talk to a person?").listen()
    assert decide(builder).frustrated_without_offer is False


def test_the_record_holds_no_customer_or_agent_text() -> None:
    builder = greeted()
    card = "4111 1111 1111 1111"
    ticket = handed_off(asks_for_a_person(builder, f"{REFUND}, card {card}"), "tk-1", turn=4)
    resolved = agent_resolves(builder, ticket, reply="Refund sent to your card ending 1111.")

    text = decide(builder, [resolved]).to_json()

    for words in ("refund of", "arrived broken", "real person", "Refund sent", "1111", "$480"):
        assert words not in text


def test_the_stored_tracker_and_the_api_tracker_give_the_same_record() -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem")
    builder.kb_answer("hub-offline", "Hearthly Hub offline or blinking", 0.83).feedback(True)
    common: dict[str, Any] = {
        "conversation_id": "c",
        "now": at(builder),
        "customer_key_secret": SECRET,
    }

    assert classify(builder.tracker(), [], **common) == classify(stored_form(builder), [], **common)


def test_every_session_of_a_conversation_is_recorded_with_its_own_tickets() -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    wait(builder, 2 * 3600)  # Rasa's session expired; the customer comes back
    builder.session_start().user("how do I return a bulb", "ask_question")
    builder.kb_answer("returns", "Returns", 0.8)

    first, second = read_sessions(stored_form(builder))
    common: dict[str, Any] = {"conversation_id": "c", "now": at(builder)}
    common["customer_key_secret"] = b"k"
    earlier = classify_session(first, [ticket], **common)
    latest = classify_session(second, [ticket], **common)

    assert first.next_started_at == second.started_at and second.next_started_at is None
    assert earlier is not None and latest is not None
    assert (earlier.outcome, earlier.abandoned_at) == ("abandoned", "while_waiting")
    assert earlier.ticket is not None and earlier.ticket.ticket_id == "tk-1"
    assert (latest.outcome, latest.ticket, latest.articles) == ("contained", None, ("returns",))
    assert earlier.session != latest.session
