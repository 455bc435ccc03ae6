from __future__ import annotations

import math

from handoff.conversation import customer_context, customer_turns
from handoff.vectors import decode_vector, encode_vector


def user(text: str, intent: str, confidence: float = 0.9, vector: str | None = None) -> dict:
    parse_data = {"intent": {"name": intent, "confidence": confidence}, "entities": []}
    if vector:
        parse_data["sentence_vector"] = vector
    return {"event": "user", "text": text, "parse_data": parse_data}


def test_customer_turns_collect_the_bots_reply_and_outcome_of_the_latest_session() -> None:
    events = [
        user("old session", "greet"),
        {"event": "session_started"},
        {"event": "action", "name": "action_session_start"},
        {"event": "action", "name": "action_listen"},
        user("do you sell garden furniture", "ask_question", 0.81, encode_vector([3.0, 4.0])),
        {"event": "action", "name": "action_answer_from_kb"},
        {"event": "bot", "text": "I'm not sure I have the right answer for that."},
        {"event": "slot", "name": "reply_outcome", "value": "miss"},
        {"event": "action", "name": "utter_offer_human"},
        {"event": "action", "name": "action_listen"},
        user("yes please", "affirm"),
    ]
    first, second = customer_turns(events)

    assert (first.number, first.intent, first.confidence) == (1, "ask_question", 0.81)
    assert first.bot_actions == ("action_answer_from_kb", "utter_offer_human")
    assert first.outcome == "miss"
    assert first.bot_texts == ("I'm not sure I have the right answer for that.",)
    assert first.vector is not None and math.isclose(first.vector[0], 0.6, abs_tol=0.01)
    assert (second.number, second.intent, second.bot_actions) == (2, "affirm", ())


def test_a_vector_survives_the_round_trip_within_a_percent() -> None:
    original = [math.sin(i) for i in range(384)]
    decoded = decode_vector(encode_vector(original))
    assert decoded is not None and len(decoded) == 384
    norm = math.sqrt(sum(v * v for v in original))
    cosine = sum(a * b for a, b in zip(original, decoded, strict=True)) / norm
    assert cosine > 0.99
    assert encode_vector([0.0, 0.0]) is None
    assert decode_vector("not base64 !") is None


def test_the_customer_comes_only_from_the_verified_slots() -> None:
    assert customer_context({"customer_id": None, "customer_tier": "vip"}) is None
    customer = customer_context(
        {"customer_id": "c-1", "customer_tier": "vip", "customer_prior_escalations": 2.0}
    )
    assert customer is not None and (customer.tier, customer.prior_escalations) == ("vip", 2)
