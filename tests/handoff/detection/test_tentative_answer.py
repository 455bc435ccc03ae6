"""A tentative answer ("did you mean ...?", reply_outcome "tentative") is evidence like a miss -
the knowledge base was not sure - but the customer's verdict on it comes first: no offer of a
person in its own turn, unless the customer is asking an unanswered question again."""

from __future__ import annotations

import pytest

from handoff.detection.decision import EscalationDecider
from handoff.detection.decision_record import CustomerTurn
from handoff.detection.frustration import FrustrationScorer
from handoff.escalation_file import load_decision_config, load_frustration_config
from handoff.sentiment import vader_polarity

KB = ("action_answer_from_kb",)


@pytest.fixture(scope="module")
def decider() -> EscalationDecider:
    scorer = FrustrationScorer(load_frustration_config(), vader_polarity())
    return EscalationDecider(load_decision_config(), scorer)


def turn(number: int, text: str, outcome: str, vector: tuple[float, float]) -> CustomerTurn:
    return CustomerTurn(number, text, "ask_question", 0.9, vector, KB, (), outcome)


def test_a_tentative_answer_counts_like_a_miss_but_waits_for_the_verdict(
    decider: EscalationDecider,
) -> None:
    first = turn(1, "how do I pay with paypal", "tentative", (1.0, 0.0))
    second = turn(2, "can I get a gift card for my mum", "tentative", (0.0, 1.0))

    decision = decider.decide([first, second])

    assert [(s.name, s.turn) for s in decision.signals if s.name == "kb_miss"] == [
        ("kb_miss", 1),
        ("kb_miss", 2),
    ]
    assert decision.score >= decision.offer_at  # two misses' worth of evidence...
    assert decision.action == "continue"  # ...but the customer has not said yet


def test_asking_a_tentatively_answered_question_again_offers_a_person(
    decider: EscalationDecider,
) -> None:
    first = turn(1, "how do I pay with paypal", "tentative", (1.0, 0.0))
    again = turn(2, "can I use paypal to pay?", "tentative", (0.95, 0.05))
    answered = turn(1, "how do I pay with paypal", "answered", (1.0, 0.0))

    decision = decider.decide([first, again])
    assert "rephrase" in {s.name for s in decision.signals}
    assert (decision.action, decision.reason) == ("offer", "unresolved")
    assert "rephrase" not in {s.name for s in decider.decide([answered, again]).signals}
