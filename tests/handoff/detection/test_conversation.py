from __future__ import annotations

import math
import random

import pytest

from handoff.detection.conversation import customer_context, customer_turns, recent_window
from handoff.detection.vectors import decode_vector, encode_vector


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


def frustrated_then_handed_off() -> list[dict]:
    """Two angry turns and a request for a person, then the takeover ends."""
    return [
        {"event": "session_started"},
        user("this is useless!!!", "express_frustration"),
        {"event": "action", "name": "utter_empathize"},
        {"event": "bot", "text": "I'm sorry this has been so frustrating."},
        user("I want a person", "request_human"),
        {"event": "action", "name": "action_handoff"},
        {"event": "slot", "name": "handoff_status", "value": "assigned"},
    ]


def test_turns_before_the_latest_hand_back_and_the_hand_back_itself_do_not_count() -> None:
    events = frustrated_then_handed_off()
    events.append(user("/handed_back", "handed_back", 1.0))
    assert customer_turns(events) == []  # the policy decides on the hand-back: nothing to count

    events += [
        {"event": "action", "name": "action_resume_after_handoff"},
        {"event": "slot", "name": "takeover", "value": {"ticket_id": "tk-1", "messages": []}},
        {"event": "bot", "text": "You're back with Hearthly's assistant."},
        {"event": "action", "name": "action_listen"},
        user("where is my order HL-482913", "order_status"),
    ]
    (turn,) = customer_turns(events)
    # numbered as in the session (the ticket's transcript and idempotency key use it)
    assert (turn.number, turn.intent) == (3, "order_status")


def test_a_resolve_is_a_fresh_start_too_and_only_the_latest_one_counts() -> None:
    events = [
        *frustrated_then_handed_off(),
        user("/handoff_resolved", "handoff_resolved", 1.0),
        user("still broken!!!", "express_frustration"),
        *frustrated_then_handed_off()[1:],
        user("/handed_back", "handed_back", 1.0),
        user("thanks", "thank"),
    ]
    assert [turn.text for turn in customer_turns(events)] == ["thanks"]


def test_the_takeover_slot_alone_marks_the_end_of_a_takeover() -> None:
    """Rasa was down at hand-back: action_wait_for_agent records the takeover on the next
    message; that message and everything before it belong to the finished escalation."""
    events = [
        *frustrated_then_handed_off(),
        user("hello? anyone there?", "greet"),
        {"event": "action", "name": "action_wait_for_agent"},
        {"event": "slot", "name": "takeover", "value": {"ticket_id": "tk-1", "messages": []}},
        user("how do I reset my hub", "ask_question"),
    ]
    assert [(t.number, t.text) for t in customer_turns(events)] == [(4, "how do I reset my hub")]


def test_what_the_customer_wrote_during_the_takeover_is_never_a_turn() -> None:
    takeover = {
        "ticket_id": "tk-1",
        "messages": [{"speaker": "customer", "text": "my order is HL-482913", "at": "x"}],
    }
    events = [
        *frustrated_then_handed_off(),
        user("/handed_back", "handed_back", 1.0),
        {"event": "slot", "name": "takeover", "value": takeover},
        {"event": "slot", "name": "takeover", "value": None},  # cleared later: no new start
        user("ok thanks", "thank"),
    ]
    assert [t.text for t in customer_turns(events)] == ["ok thanks"]


def long_conversation(seed: int, length: int = 400) -> list[dict]:
    """Random events of a long conversation: customer turns with replies and outcomes, session
    starts and restarts, hand-backs by message and by the takeover slot (set and cleared)."""
    rng = random.Random(seed)
    rare = 0.005 if seed % 2 else 0.02  # long stretches of turns, or many fresh starts
    events: list[dict] = []
    for step in range(length):
        roll = rng.random()
        if roll < 0.35 - 3 * rare:
            intent = rng.choice(["ask_question", "thank", "deny", "affirm", "greet"])
            events.append(user(f"message {step}", intent, rng.random()))
        elif roll < 0.35 - 2 * rare:
            events.append(user(f"/{step}", rng.choice(["handed_back", "handoff_resolved"]), 1.0))
        elif roll < 0.35 - rare:
            value = rng.choice([None, {"ticket_id": f"tk-{step}", "messages": []}])
            events.append({"event": "slot", "name": "takeover", "value": value})
        elif roll < 0.35:
            events.append({"event": rng.choice(["session_started", "restart"])})
        elif roll < 0.6:
            name = rng.choice(["action_listen", "action_answer_from_kb", "utter_offer_human"])
            events.append({"event": "action", "name": name})
        elif roll < 0.8:
            events.append({"event": "bot", "text": f"reply {step}"})
        else:
            value = rng.choice(["miss", "answered", "tentative"])
            events.append({"event": "slot", "name": "reply_outcome", "value": value})
    return events


@pytest.mark.parametrize("seed", range(6))
def test_the_recent_window_gives_the_latest_turns_of_the_whole_walk(seed: int) -> None:
    """What the policy reads on every prediction (only the newest events) is exactly the end
    of what the whole conversation gives, numbers included, at every length."""
    events = long_conversation(seed)
    for end in range(len(events) + 1):
        prefix = events[:end]
        everything = customer_turns(prefix)
        for turns in (1, 3, 12):
            size, earlier = recent_window(reversed(prefix), turns)
            window = prefix[len(prefix) - size :]
            assert customer_turns(window, earlier=earlier) == everything[-turns:], (end, turns)


def test_the_window_stops_at_the_turns_it_needs() -> None:
    events = [user(f"question {n}", "ask_question") for n in range(1, 31)]
    events += [{"event": "action", "name": "action_answer_from_kb"}]
    assert recent_window(reversed(events), 12) == (13, 18)
    assert [t.number for t in customer_turns(events[-13:], earlier=18)] == list(range(19, 31))
