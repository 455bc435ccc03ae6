from __future__ import annotations

import pytest

from handoff.ticket.model import ArticleShown, BotTurn, Button, CustomerTurn, Entity
from handoff.ticket.transcript import TrackerFormatError, read_tracker
from tests.support.rasa_tracker import TrackerBuilder

ORDER_ENTITY = {"entity": "order_number", "value": "HL-482913", "start": 21, "end": 30}


def refund_conversation() -> TrackerBuilder:
    builder = TrackerBuilder().session_start()
    builder.user("hi", "greet").action("utter_greet").bot("Hi! How can I help?").listen()
    builder.user("refund for my order HL-482913", "refund_request", 0.88, [ORDER_ENTITY])
    builder.slot("order_number", "HL-482913")
    builder.kb_answer("refund-timeline", "When will I get my refund?", 0.71)
    return builder.feedback(helpful=False)


def test_turns_come_in_order_with_intent_confidence_entities_and_time() -> None:
    record = read_tracker(refund_conversation().tracker())

    greet, hello, refund, answer, did_it_help, pressed = record.transcript
    assert greet == CustomerTurn(1, "hi", "2026-03-14T09:20:15.000Z", "greet", 0.97)
    assert hello == BotTurn(1, "Hi! How can I help?", "2026-03-14T09:20:22.500Z")
    assert isinstance(refund, CustomerTurn)
    assert (refund.turn, refund.intent, refund.confidence) == (2, "refund_request", 0.88)
    assert refund.entities == (Entity("order_number", "HL-482913"),)
    assert isinstance(answer, BotTurn) and "When will I get my refund?" in answer.text
    assert isinstance(did_it_help, BotTurn) and did_it_help.turn == 2
    assert did_it_help.buttons == (
        Button("Yes, that helped", "/feedback_helpful"),
        Button("No, it didn't", "/feedback_not_helpful"),
    )
    # a pressed button reads as what the customer saw on it
    assert isinstance(pressed, CustomerTurn)
    assert (pressed.turn, pressed.text, pressed.button) == (
        3,
        "/feedback_not_helpful",
        "No, it didn't",
    )


def test_articles_carry_their_turn_score_and_the_customers_feedback() -> None:
    record = read_tracker(refund_conversation().tracker())

    assert record.articles_shown == (
        ArticleShown("refund-timeline", "When will I get my refund?", 0.71, True, "not_helpful", 2),
    )


def test_a_miss_lists_the_closest_article_as_not_answered() -> None:
    builder = TrackerBuilder().session_start().user("can i pay in bitcoin", "ask_question")
    builder.kb_miss([("payment-methods", "Payment methods", 0.44)])
    builder.user("zzzz qqq", "nlu_fallback", 0.2).kb_miss([])

    record = read_tracker(builder.tracker())

    assert record.articles_shown == (
        ArticleShown("payment-methods", "Payment methods", 0.44, False, "none", 1),
        ArticleShown(None, None, None, False, "none", 2),
    )
    assert record.transcript[1].buttons == (Button("Payment methods", "Payment methods"),)


def test_only_the_latest_session_counts() -> None:
    builder = refund_conversation()
    builder.user("thanks bye", "goodbye").bot("Bye!").listen()
    builder.clock += 3 * 3600  # the customer comes back the next morning
    builder.session_start()
    builder.user("my hub light is blinking amber", "report_problem")
    builder.kb_answer("hub-offline", "Hub offline", 0.83)

    record = read_tracker(builder.tracker())

    customer = record.customer_turns
    assert [(turn.turn, turn.text) for turn in customer] == [(1, "my hub light is blinking amber")]
    assert all(turn.at and turn.at >= "2026-03-14T12:" for turn in record.transcript)
    # kb_history carried over from yesterday, but yesterday's article is not "tried" today
    assert [article.article_id for article in record.articles_shown] == ["hub-offline"]
    assert record.articles_shown[0].turn == 1
    assert record.slots["order_number"] == "HL-482913"  # slots do carry over


def test_a_restart_is_a_boundary_too_and_no_boundary_keeps_everything() -> None:
    builder = TrackerBuilder()
    builder.user("hello", "greet").bot("Hi!").listen()
    builder.user("where is HL-482913", "order_status").bot("Let me look.").listen()

    assert [turn.turn for turn in read_tracker(builder.tracker()).customer_turns] == [1, 2]

    builder.user("/restart", "restart").action("action_restart")
    builder.event("restart")
    builder.user("new question", "ask_question")
    assert [turn.text for turn in read_tracker(builder.tracker()).customer_turns] == [
        "new question"
    ]


def test_feedback_finds_its_article_after_the_history_is_full() -> None:
    builder = TrackerBuilder().session_start()
    for number in range(23):  # kb_history keeps the latest 3 entries
        builder.user(f"question {number}", "ask_question")
        builder.kb_answer(f"article-{number}", f"Article {number}", 0.6)
    builder.feedback(helpful=True)

    shown = read_tracker(builder.tracker()).articles_shown

    assert [article.article_id for article in shown] == [f"article-{n}" for n in range(23)]
    assert [article.turn for article in shown] == list(range(1, 24))
    assert [article.feedback for article in shown] == ["none"] * 22 + ["helpful"]


def test_the_same_question_asked_again_and_again_is_listed_every_time() -> None:
    builder = TrackerBuilder().session_start()
    for _ in range(5):  # more than kb_history keeps, each entry the same but for its number
        builder.user("where is my order", "ask_question")
        builder.kb_answer("track-your-order", "Track your order", 0.6)

    shown = read_tracker(builder.tracker()).articles_shown

    assert [article.turn for article in shown] == [1, 2, 3, 4, 5]


def test_without_kb_history_events_the_slot_is_read_with_turns_unknown() -> None:
    tracker = refund_conversation().tracker()
    tracker["events"] = [e for e in tracker["events"] if e.get("name") != "kb_history"]

    shown = read_tracker(tracker).articles_shown

    assert shown == (
        ArticleShown(
            "refund-timeline", "When will I get my refund?", 0.71, True, "not_helpful", None
        ),
    )


def test_slots_are_copied_except_those_with_their_own_place_and_browser_metadata() -> None:
    builder = refund_conversation()
    builder.slot("escalation_decision", {"action": "handoff"})
    builder.slot("session_started_metadata", {"customer": {"tier": "vip"}})

    slots = read_tracker(builder.tracker()).slots

    assert slots == {"order_number": "HL-482913", "kb_miss_count": 0.0}


def test_entity_values_that_are_not_text_are_kept_as_json() -> None:
    duckling = {"entity": "time", "value": {"from": "2026-03-01", "to": None}}
    builder = TrackerBuilder().user("since march", "report_problem", entities=[duckling])

    (turn,) = read_tracker(builder.tracker()).customer_turns

    assert turn.entities == (Entity("time", '{"from": "2026-03-01", "to": null}'),)


def test_events_without_timestamps_or_intents_still_make_turns() -> None:
    tracker = {"events": [{"event": "user", "text": "hello?"}, {"event": "bot"}], "slots": None}

    record = read_tracker(tracker)

    assert record.transcript == (
        CustomerTurn(1, "hello?", None),
        BotTurn(1, "", None),
    )


@pytest.mark.parametrize(
    ("tracker", "message"),
    [
        (["not", "a", "tracker"], "a tracker is a JSON object"),
        ({"sender_id": "x"}, "no 'events' list"),
        ({"events": [], "slots": ["kb_history"]}, "'slots' must be an object"),
    ],
)
def test_something_else_than_a_tracker_is_refused(tracker: object, message: str) -> None:
    with pytest.raises(TrackerFormatError, match=message):
        read_tracker(tracker)  # type: ignore[arg-type]


def test_a_reverted_message_stays_in_the_transcript() -> None:
    builder = TrackerBuilder().session_start()
    builder.user("blorp", "nlu_fallback", 0.3).bot("Did you mean 'order status'?").listen()
    builder.event("rewind")  # Rasa's two-stage fallback: the customer rephrases
    builder.user("where is my package", "order_status")

    texts = [turn.text for turn in read_tracker(builder.tracker()).customer_turns]

    assert texts == ["blorp", "where is my package"]  # the agent sees what was said


def test_the_services_hand_back_message_is_not_a_customer_turn() -> None:
    builder = refund_conversation()
    builder.user("/handed_back", "handed_back", 1.0).action("action_resume_after_handoff")
    builder.bot("You're back with Hearthly's assistant.").listen()
    builder.user("and my other order?", "order_status")
    record = read_tracker(builder.tracker())

    customer = [turn for turn in record.transcript if isinstance(turn, CustomerTurn)]
    assert [(turn.turn, turn.text) for turn in customer][-2:] == [
        (3, "/feedback_not_helpful"),
        (4, "and my other order?"),
    ]
    back = next(t for t in record.transcript if isinstance(t, BotTurn) and "back" in t.text)
    assert back.turn == 3  # after the customer's third turn: the hand-back counted as none
