"""The decider remembers where its walk over the earlier turns ended: deciding with the memo
gives exactly what walking the turns afresh gives, in every order it is asked."""

from __future__ import annotations

import random

import pytest

from handoff.detection.decision import EscalationDecider
from handoff.detection.decision_record import CustomerTurn
from handoff.detection.frustration import FrustrationScorer
from handoff.escalation_file import load_decision_config, load_frustration_config
from handoff.privacy.identity import CustomerContext
from handoff.sentiment import vader_polarity

MESSAGES = [
    ("do you sell garden furniture", "ask_question"),
    ("do you sell garden furniture?? this is ridiculous", "ask_question"),
    ("where is my order HL-482913", "order_status"),
    ("thanks", "thank"),
    ("that didn't help at all", "feedback_not_helpful"),
    ("yes please", "affirm"),
    ("no thanks", "deny"),
    ("I WANT A REFUND NOW!!!", "refund_request"),
    ("let me talk to a person", "request_human"),
    ("how do I reset the hub", "ask_question"),
    ("you keep saying the same thing", "express_frustration"),
]
REPLIES = [
    (("action_answer_from_kb",), ("Here is how...", "Did that help?"), "answered"),
    (("action_answer_from_kb",), ("I'm not sure I have the right answer for that.",), "miss"),
    (("action_answer_from_kb", "utter_offer_human"), ("Would you like a person?",), "miss"),
    (("utter_you_are_welcome",), ("You're welcome!",), None),
]


def conversation(seed: int, length: int) -> list[CustomerTurn]:
    rng = random.Random(seed)
    turns = []
    for number in range(1, length + 1):
        text, intent = rng.choice(MESSAGES)
        actions, texts, outcome = rng.choice(REPLIES)
        vector = tuple(rng.choice((0.6, 0.8)) for _ in range(4)) if rng.random() < 0.5 else None
        turns.append(
            CustomerTurn(number, text, intent, rng.random(), vector, actions, texts, outcome)
        )
    return turns


@pytest.fixture(scope="module")
def scorer() -> FrustrationScorer:
    return FrustrationScorer(load_frustration_config(), vader_polarity())


@pytest.mark.parametrize("seed", range(8))
def test_deciding_turn_by_turn_with_the_memo_equals_walking_afresh(
    scorer: FrustrationScorer, seed: int
) -> None:
    remembering = EscalationDecider(load_decision_config(), scorer)
    customer = CustomerContext("c-1", "vip", 1) if seed % 2 else None
    turns = conversation(seed, 30)  # longer than the 12-turn window
    for end in range(1, len(turns) + 1):
        waiting = [*turns[: end - 1], CustomerTurn(end, turns[end - 1].text)]  # before the reply
        for asked in (waiting, turns[:end]):
            fresh = EscalationDecider(load_decision_config(), scorer)
            assert remembering.decide(asked, customer) == fresh.replay(asked, customer)[-1]


def test_asked_out_of_order_and_with_a_tiny_memo_it_still_decides_as_afresh(
    scorer: FrustrationScorer,
) -> None:
    remembering = EscalationDecider(load_decision_config(), scorer, memo_size=3)
    conversations = [conversation(seed, 20) for seed in range(20, 24)]
    rng = random.Random(7)
    for _ in range(120):
        turns = rng.choice(conversations)[: rng.randint(1, 20)]
        assert remembering.decide(turns) == remembering.replay(turns)[-1]
