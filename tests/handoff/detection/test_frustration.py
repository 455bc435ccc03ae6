from __future__ import annotations

import pytest

from handoff.detection.frustration import (
    BotOutcome,
    FrustrationAssessment,
    FrustrationScorer,
    Turn,
)
from handoff.escalation_file import load_frustration_config
from handoff.sentiment import vader_polarity

FALLBACK = "Sorry, I didn't quite get that. Could you rephrase it?"


@pytest.fixture(scope="module")
def scorer() -> FrustrationScorer:
    return FrustrationScorer(load_frustration_config(), vader_polarity())


def conversation(*texts: str) -> list[Turn]:
    """Alternating turns, the customer first."""
    return [Turn("customer" if i % 2 == 0 else "bot", text) for i, text in enumerate(texts)]


def named(assessment: FrustrationAssessment) -> dict[str, object]:
    return {signal.name: signal for signal in assessment.signals}


def test_shouted_complaint_scores_high_and_names_its_signals(scorer: FrustrationScorer) -> None:
    assessment = scorer.assess(conversation("This is USELESS!!! third time I'm asking"))

    assert assessment.frustrated
    assert assessment.score >= 2 * assessment.threshold
    signals = named(assessment)
    assert {"frustration_phrase", "shouting", "emphatic_punctuation", "negative_sentiment"} <= set(
        signals
    )
    assert "'USELESS'" in signals["frustration_phrase"].evidence
    assert "'third time'" in signals["frustration_phrase"].evidence


def test_negated_anger_with_a_calm_question_is_not_frustration(scorer: FrustrationScorer) -> None:
    calm = scorer.assess(conversation("not angry, just asking about my refund"))
    angry = scorer.assess(conversation("I am angry about my refund"))

    assert not calm.frustrated
    assert calm.score == 0
    assert "frustration_phrase" not in named(calm)
    assert "frustration_phrase" in named(angry)


def test_sarcasm_after_a_failed_answer_is_caught(scorer: FrustrationScorer) -> None:
    history = conversation(
        "where is my refund?", "Sorry, I couldn't find anything about that.", "great, just great"
    )
    assessment = scorer.assess(history)

    assert assessment.frustrated
    signals = named(assessment)
    assert signals["sarcasm"].turn_index == 2
    assert signals["bot_failure"].turn_index == 1
    assert "politeness" not in signals


def test_genuine_praise_after_an_answer_stays_low(scorer: FrustrationScorer) -> None:
    history = conversation("where is my refund?", "It was paid back yesterday.", "Great, thanks!")

    assert scorer.assess(history).score == 0


@pytest.mark.parametrize(
    "reply", ["thanks, that helped", "No thanks, that's all I needed", "Perfect, cheers!"]
)
def test_polite_replies_score_low(scorer: FrustrationScorer, reply: str) -> None:
    history = conversation("how do I reset my password?", "Use 'Forgot password'.", reply)
    assessment = scorer.assess(history)

    assert assessment.score < 0.5 * assessment.threshold
    assert "politeness" in named(assessment)


def test_asking_for_a_person_is_enough_but_declining_one_is_not(scorer: FrustrationScorer) -> None:
    asks = scorer.assess(conversation("Can I talk to a real person?"))
    declines = scorer.assess(conversation("I don't need to talk to a person, the article helped"))

    assert asks.frustrated
    assert "person_request" in named(asks)
    assert "person_request" not in named(declines)
    assert not declines.frustrated


def test_rephrase_loop_names_the_turns_behind_each_signal(scorer: FrustrationScorer) -> None:
    history = conversation(
        "where is my order HL-482913",
        FALLBACK,
        "my order HL-482913, where is it",
        FALLBACK,
        "where is order HL-482913???",
    )
    assessment = scorer.assess(history)
    signals = named(assessment)

    assert assessment.turn_index == 4
    assert assessment.frustrated
    assert signals["bot_failure"].turn_index == 3
    assert signals["bot_repeat"].turn_index == 3
    assert "bot turn 1" in signals["bot_repeat"].evidence
    assert "(turns 1, 3)" in signals["unresolved_streak"].evidence
    assert "turn 0" in signals["customer_repeat"].evidence
    assert "turn 3:" in assessment.explain()


def test_a_first_plain_question_fires_nothing(scorer: FrustrationScorer) -> None:
    assessment = scorer.assess(conversation("How long does delivery to Canada take?"))

    assert assessment.signals == ()
    assert assessment.explain().endswith("no signals")


def test_the_scored_turn_must_be_the_customers(scorer: FrustrationScorer) -> None:
    with pytest.raises(ValueError, match="customer"):
        scorer.assess(conversation("hi", "Hello! How can I help?"))
    with pytest.raises(ValueError, match="customer"):
        scorer.assess([])


def with_outcome(history: list[Turn], index: int, outcome: BotOutcome) -> list[Turn]:
    """The same conversation, the bot turn at `index` carrying a known outcome."""
    turn = history[index]
    return [*history[:index], Turn(turn.speaker, turn.text, outcome), *history[index + 1 :]]


def test_a_known_no_result_is_a_bot_failure_whatever_the_words(scorer: FrustrationScorer) -> None:
    words = conversation(
        "any Thai restaurants in the north?", "Here is what I have for the north.", "and centre?"
    )
    known = with_outcome(words, 1, "no_result")

    assert "bot_failure" not in named(scorer.assess(words))
    signal = named(scorer.assess(known))["bot_failure"]
    assert signal.turn_index == 1
    assert signal.evidence == "outcome no_result"
    assert "turn 1: outcome no_result" in scorer.assess(known).explain()


def test_an_answered_outcome_overrides_an_apology_in_the_words(scorer: FrustrationScorer) -> None:
    words = conversation(
        "book a table for two at 7",
        "Sorry for the wait - your table for two at 7 pm is booked.",
        "what is the reference number?",
    )

    assert "bot_failure" in named(scorer.assess(words))
    assert "bot_failure" not in named(scorer.assess(with_outcome(words, 1, "answered")))


@pytest.mark.parametrize(
    "reply",
    [
        "No, they don't do takeout. Anything else?",
        "The hotel does not allow pets.",
        "Outdoor seating is not available there.",
    ],
)
def test_a_bot_answer_that_says_no_is_a_failure_when_the_outcome_is_unknown(
    scorer: FrustrationScorer, reply: str
) -> None:
    signals = named(scorer.assess(conversation("do they do takeout?", reply, "what about wifi?")))

    assert signals["bot_failure"].turn_index == 1


@pytest.mark.parametrize("reply", ["No problem, what else can I help with?", "No worries!"])
def test_a_bot_saying_no_problem_has_not_failed(scorer: FrustrationScorer, reply: str) -> None:
    assert "bot_failure" not in named(scorer.assess(conversation("thanks", reply, "one more")))


def test_failed_outcomes_in_a_row_make_an_unresolved_streak(scorer: FrustrationScorer) -> None:
    words = conversation(
        "book the Acorn for Friday",
        "Let me see.",
        "then Saturday",
        "Let me see.",
        "ok, Sunday",
    )
    known = with_outcome(with_outcome(words, 1, "failed"), 3, "not_understood")

    assert "unresolved_streak" not in named(scorer.assess(words))
    signals = named(scorer.assess(known))
    assert "(turns 1, 3)" in signals["unresolved_streak"].evidence
    assert signals["bot_failure"].evidence == "outcome not_understood"


def test_an_outcome_belongs_to_a_bot_turn_and_must_be_known() -> None:
    with pytest.raises(ValueError, match="only a bot turn"):
        Turn("customer", "hello", "answered")
    with pytest.raises(ValueError, match="unknown bot outcome 'kb_miss'"):
        Turn("bot", "I found nothing.", "kb_miss")  # type: ignore[arg-type]
