"""Review cases: what a verdict keeps of the decision's inputs, read from Rasa's masked tracker."""

from __future__ import annotations

import json

import pytest

from handoff.detection.decision_record import CustomerTurn
from handoff.detection.vectors import decode_vector, encode_vector
from handoff.ticket.model import ArticleShown
from review.capture import case_from_tracker
from review.case import CaseCustomer, CaseFormatError, RecordedDecision, ReviewCase, case_from_dict
from tests.review.support import EXCHANGES_VERSION, SESSION, case, miss, two_misses_tracker
from tests.support.rasa_tracker import TrackerBuilder


def test_a_case_round_trips_through_json_with_its_vectors_compact() -> None:
    vector = decode_vector(encode_vector([0.1 * i for i in range(1, 385)]))
    turn = CustomerTurn(
        1, "is drone delivery an option", "ask_question", 0.74, vector, ("a",), ("b",), "miss"
    )
    original = case(
        turn,
        recorded=(RecordedDecision(1, "continue", None, 0.75),),
        customer=CaseCustomer("vip", 2),
    )

    text = original.to_json()
    again = ReviewCase.from_json(text)

    assert again == original
    assert len(json.loads(text)["turns"][0]["vector"]) == 512  # 384 signed bytes in base64
    assert again.customer_context() is not None
    assert again.customer_context().tier == "vip"  # type: ignore[union-attr]
    assert again.key == f"conv-1:{SESSION}"


def test_card_numbers_never_reach_a_case_in_either_direction() -> None:
    built = case(miss(1, "charge my card 4242 4242 4242 4242 again"))
    assert "4242 4242" not in built.to_json()
    raw = built.to_dict()
    raw["turns"][0]["text"] = "card 4111111111111111"
    raw["turns"][0]["bot_texts"] = ["your card 4111111111111111"]
    read = case_from_dict(raw)
    assert "4111111111111111" not in read.to_json()
    assert "[card ending 1111]" in read.turns[0].text


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"turns": []}, "turns must be a list"),
        ({"session": ""}, "session must be non-empty"),
        ({"turns": [{"number": 0, "text": "x"}]}, "number must be a whole number"),
        ({"turns": [{"number": 1, "text": "x", "confidence": 2}]}, "confidence must be a number"),
        ({"turns": [{"number": 2, "text": "a"}, {"number": 1, "text": "b"}]}, "must increase"),
        ({"recorded": [{"turn": 1, "action": "shout"}]}, r"recorded\[0\]"),
        ({"customer": {"prior_escalations": -1}}, "prior_escalations"),
        ({"turns": [{"number": 1, "text": "x" * 5000}]}, "at most 4000"),
        ({"articles_shown": [{"article_id": "a", "answered": "yes"}]}, r"articles_shown\[0\]"),
        ({"articles_shown": [{"answered": True, "article_version": 7}]}, r"articles_shown\[0\]"),
        ({"articles_shown": {}}, "articles_shown must be a list"),
    ],
)
def test_a_malformed_case_is_refused_saying_what_is_wrong(change: dict, problem: str) -> None:
    raw = case(miss(1, "hello")).to_dict() | change
    with pytest.raises(CaseFormatError, match=problem):
        case_from_dict(raw)


def test_capture_reads_the_turns_the_policy_read_and_what_it_decided() -> None:
    tracker = two_misses_tracker().tracker()

    captured = case_from_tracker(json.dumps(tracker), captured_at="2026-03-14T10:00:00.000Z")

    assert captured.conversation_id == "conv-7"
    assert [t.text[:26] for t in captured.turns] == [
        "do you sell garden furnitu",
        "any outdoor furniture, pat",
    ]
    assert "[card ending 4242]" in captured.turns[1].text
    assert captured.turns[1].outcome == "miss"
    assert "utter_offer_human" in captured.turns[1].bot_actions
    assert captured.first_escalation == RecordedDecision(2, "offer", "unresolved", 1.5)
    assert captured.session == "2026-03-14T09:20:05.000Z"  # the session_started event's time
    assert captured.customer is None
    # the articles offered, with the version the customer saw, as the ticket lists them
    exchanges, nothing = captured.articles_shown
    assert (exchanges.article_id, exchanges.turn, exchanges.answered) == ("exchanges", 1, False)
    assert (exchanges.article_version, exchanges.article_updated) == EXCHANGES_VERSION
    assert (nothing.article_id, nothing.turn, nothing.article_version) == (None, 2, None)
    assert ReviewCase.from_json(captured.to_json()) == captured


def test_a_case_stored_before_articles_were_kept_still_reads() -> None:
    raw = case(miss(1, "hello"), articles_shown=(ArticleShown("a", "A", 0.4, False),)).to_dict()
    assert raw["articles_shown"][0]["article_version"] is None
    del raw["articles_shown"]
    assert case_from_dict(raw).articles_shown == ()


def test_capture_keeps_the_tier_but_never_the_customer_id() -> None:
    builder = TrackerBuilder("conv-8").session_start()
    builder.slot("customer_id", "c-42").slot("customer_tier", "vip")
    builder.user("do you sell garden furniture", "nlu_fallback", 0.3).kb_miss([])

    captured = case_from_tracker(builder.tracker(), session="2026-01-01T00:00:00.000Z")

    assert captured.customer == CaseCustomer("vip", 0)
    assert "c-42" not in captured.to_json()
    assert captured.session == "2026-01-01T00:00:00.000Z"


def test_capture_stops_at_the_first_hand_back_and_takes_the_latest_session() -> None:
    builder = TrackerBuilder("conv-9").session_start()
    builder.user("an old session", "greet").listen()
    builder.session_start()
    builder.user("I want a person", "request_human").action("action_handoff").listen()
    builder.user("/handed_back", "handed_back", 1.0).listen()
    builder.user("thanks, all sorted", "thank").listen()

    captured = case_from_tracker(builder.tracker())

    assert [t.text for t in captured.turns] == ["I want a person"]


@pytest.mark.parametrize(
    ("tracker", "problem"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ({"name": "x"}, "no list of events"),
        ({"events": []}, "names no conversation"),
        ({"name": "x", "events": [{"event": "session_started", "timestamp": 1.0}]}, "no customer"),
    ],
)
def test_an_unreadable_tracker_is_refused(tracker: object, problem: str) -> None:
    with pytest.raises(CaseFormatError, match=problem):
        case_from_tracker(tracker)  # type: ignore[arg-type]


def test_the_case_has_the_session_key_of_the_outcome_record() -> None:
    """A session holding only the service's hand-back message belongs to the one before, for
    the review case as for the outcome record (outcomes/session.py)."""
    from outcomes.session import read_session

    builder = TrackerBuilder("conv-10").session_start()
    builder.user("I want a person", "request_human").action("action_handoff").listen()
    builder.session_start()
    builder.user("/handed_back", "handed_back", 1.0).listen()
    for tracker in (builder.tracker(), two_misses_tracker().tracker()):
        stored = {"name": tracker["sender_id"], "events": tracker["events"]}
        session = read_session(stored)
        assert session is not None
        assert case_from_tracker(stored).session == session.key
    assert [t.text for t in case_from_tracker(builder.tracker()).turns] == ["I want a person"]
