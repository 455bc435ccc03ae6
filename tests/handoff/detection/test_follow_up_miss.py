"""A miss on a follow-up question ("how much does it cost?" after an answer) counts less
against the conversation than a fresh miss (weights.follow_up_miss in escalation.yml)."""

from __future__ import annotations

import pytest
import yaml

from handoff.detection.decision import EscalationDecider
from handoff.detection.decision_config import parse_decision_config
from handoff.detection.decision_record import CustomerTurn
from handoff.detection.frustration import FrustrationScorer
from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH, ConfigError
from handoff.escalation_file import load_decision_config, load_frustration_config
from handoff.sentiment import vader_polarity

KB = ("action_answer_from_kb",)


@pytest.fixture(scope="module")
def decider() -> EscalationDecider:
    scorer = FrustrationScorer(load_frustration_config(), vader_polarity())
    return EscalationDecider(load_decision_config(), scorer)


def turn(number: int, text: str, outcome: str) -> CustomerTurn:
    return CustomerTurn(number, text, "ask_question", 0.9, bot_actions=KB, outcome=outcome)


ANSWERED = turn(1, "what do I get with the membership?", "answered")


def test_two_follow_up_misses_after_an_answer_do_not_offer_a_person(
    decider: EscalationDecider,
) -> None:
    turns = [
        ANSWERED,
        turn(2, "how much does it cost?", "follow_up_miss"),
        turn(3, "and for families?", "follow_up_miss"),
    ]
    decision = decider.decide(turns)
    assert decision.action == "continue"
    signals = [(s.name, s.turn, s.weight) for s in decision.signals]
    assert ("follow_up_miss", 2, 0.375) in signals and ("follow_up_miss", 3, 0.375) in signals
    assert "kb_miss" not in {s.name for s in decision.signals}


def test_two_fresh_misses_still_offer_a_person(decider: EscalationDecider) -> None:
    turns = [
        ANSWERED,
        turn(2, "do you sell garden furniture", "miss"),
        turn(3, "any patio chairs at all?", "miss"),
    ]
    assert decider.decide(turns).action == "offer"


def test_follow_up_misses_still_add_up(decider: EscalationDecider) -> None:
    questions = ["how much is it?", "and for families?", "what about students?", "and abroad?"]
    turns = [ANSWERED] + [
        turn(number, text, "follow_up_miss") for number, text in enumerate(questions, start=2)
    ]
    decision = decider.decide(turns)
    assert decision.action == "offer"
    assert "no answer for the follow-up 'and abroad?'" in [s.evidence for s in decision.signals]


def test_the_follow_up_weight_must_be_set() -> None:
    document = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    del document["decision"]["weights"]["follow_up_miss"]
    with pytest.raises(ConfigError, match="weights.follow_up_miss"):
        parse_decision_config(document)
