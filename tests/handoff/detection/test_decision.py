from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from handoff.detection.decision import EscalationDecider
from handoff.detection.decision_config import parse_decision_config
from handoff.detection.decision_record import CustomerTurn
from handoff.detection.frustration import FrustrationScorer
from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH, ConfigError
from handoff.detection.vectors import decode_vector, encode_vector
from handoff.escalation_file import load_decision_config, load_frustration_config
from handoff.privacy.identity import CustomerContext
from handoff.sentiment import vader_polarity
from knowledge_base.embeddings import SentenceTransformerEmbedder
from tests.support.escalation_stories import EscalationStory, load_stories

MISS = ("action_answer_from_kb",)
STORIES = load_stories()


@pytest.fixture(scope="module")
def scorer() -> FrustrationScorer:
    return FrustrationScorer(load_frustration_config(), vader_polarity())


@pytest.fixture(scope="module")
def decider(scorer: FrustrationScorer) -> EscalationDecider:
    return EscalationDecider(load_decision_config(), scorer)


@pytest.fixture(scope="module")
def with_vectors() -> dict[str, tuple[float, ...] | None]:
    """Each story message's sentence vector as Rasa keeps it: the same model as the service,
    one text at a time, compacted like the parse data (handoff/detection/vectors.py)."""
    embedder = SentenceTransformerEmbedder()
    texts = {turn.text for story in STORIES for turn in story.turns}
    return {text: decode_vector(encode_vector(embedder.embed([text])[0])) for text in texts}


def miss(number: int, text: str) -> CustomerTurn:
    return CustomerTurn(number, text, "ask_question", 0.9, bot_actions=MISS, outcome="miss")


def shipped_document() -> dict:
    return yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("story", STORIES, ids=[story.name for story in STORIES])
def test_each_escalation_conversation_decides_at_the_expected_turn_for_the_expected_reason(
    decider: EscalationDecider,
    story: EscalationStory,
    with_vectors: dict[str, tuple[float, ...] | None],
) -> None:
    turns = [dataclasses.replace(turn, vector=with_vectors[turn.text]) for turn in story.turns]
    decisions = {d.turn: d for d in decider.replay(turns, story.verified_customer())}
    for expected in story.expect:
        decision = decisions[expected["turn"]]
        assert (decision.action, decision.reason) == (
            expected["action"],
            expected.get("reason"),
        ), decision.explanation()
    first = (
        min(e["turn"] for e in story.expect if e["action"] != "continue")
        if any(e["action"] != "continue" for e in story.expect)
        else len(story.turns) + 1
    )
    assert all(d.action == "continue" for t, d in decisions.items() if t < first)


def test_there_are_at_least_fourteen_escalation_conversations() -> None:
    assert len(STORIES) >= 14
    assert all(story.expect for story in STORIES)


def test_every_decision_names_the_signals_and_turns_behind_it(decider: EscalationDecider) -> None:
    turns = [miss(1, "do you sell garden furniture"), miss(2, "any patio chairs at all?")]
    record = decider.decide(turns).to_dict()

    assert (record["action"], record["reason"], record["turn"]) == ("offer", "unresolved", 2)
    named = {(s["name"], s["turn"]) for s in record["signals"]}
    assert {("kb_miss", 1), ("kb_miss", 2)} <= named
    assert "kb_miss" in record["explanation"] and "turn 1" in record["explanation"]
    assert record["score"] == pytest.approx(sum(s["contribution"] for s in record["signals"]), 0.01)


def test_a_changed_weight_in_the_yaml_changes_the_decision(
    tmp_path: Path, scorer: FrustrationScorer
) -> None:
    turns = [miss(1, "do you sell garden furniture"), miss(2, "any patio chairs?")]
    document = shipped_document()
    document["decision"]["weights"]["kb_miss"] = 0.2
    path = tmp_path / "escalation.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")

    shipped = EscalationDecider(load_decision_config(), scorer).decide(turns)
    changed = EscalationDecider(load_decision_config(path), scorer).decide(turns)

    assert shipped.action == "offer"
    assert changed.action == "continue"
    assert [s.weight for s in changed.signals if s.name == "kb_miss"] == [0.2, 0.2]


def test_a_declined_offer_is_not_repeated_until_things_get_worse(
    decider: EscalationDecider,
) -> None:
    offered = ("action_answer_from_kb", "utter_offer_human")
    turns = [
        miss(1, "do you sell garden furniture"),
        CustomerTurn(2, "any patio chairs?", "ask_question", 0.9, None, offered, (), "miss"),
        CustomerTurn(3, "no thanks", "deny", 0.95, bot_actions=("utter_keep_helping",)),
        miss(4, "can I pay in instalments"),
    ]
    decisions = decider.replay(turns)

    assert [d.action for d in decisions] == ["continue", "offer", "continue", "continue"]
    assert "declined" in decisions[2].note
    assert decisions[3].score >= decisions[1].score  # still unresolved, just not asked again


def test_a_turn_the_bot_answered_waits_for_the_customers_verdict(
    decider: EscalationDecider,
) -> None:
    angry = CustomerTurn(
        1,
        "This is RIDICULOUS, how do I reset my password???",
        "ask_question",
        0.9,
        None,
        MISS,
        (),
        "answered",
    )
    decision = decider.decide([angry])

    assert decision.action == "continue"
    assert decision.score >= decision.offer_at
    assert "verdict" in decision.note


def test_the_widgets_greeting_payload_says_nothing_about_the_customers_mood(
    decider: EscalationDecider,
) -> None:
    """The widget sends "/greet" when a chat opens: it must not become the cheerful start of a
    falling sentiment trend, nor change what the customer's own words decide."""
    greet = CustomerTurn(1, "/greet", "greet", 1.0, bot_texts=("Hi! How can I help?",))
    words = [
        CustomerTurn(
            2, "I was charged twice for my order", "ask_question", 0.9, outcome="answered"
        ),
        CustomerTurn(3, "no, that didn't help at all", "feedback_not_helpful", 0.9),
    ]
    with_greeting = decider.decide([greet, *words])
    without = decider.decide([dataclasses.replace(t, number=t.number - 1) for t in words])

    assert decider.decide([greet]).signals == ()
    assert "sentiment_trend" not in {signal.name for signal in with_greeting.signals}
    assert (with_greeting.action, with_greeting.score) == (without.action, without.score)


def test_before_the_bot_replies_only_a_request_or_a_policy_decides(
    decider: EscalationDecider,
) -> None:
    waiting = CustomerTurn(1, "this is useless, absolutely useless!!!", "express_frustration")
    assert decider.decide([waiting]).action == "continue"
    smoke = CustomerTurn(1, "my hub is sparking", "report_problem")
    decision = decider.decide([smoke])
    assert (decision.action, decision.reason) == ("handoff", "policy")
    assert decision.signals[0].evidence == "'sparking'"


def test_earlier_escalations_lower_the_thresholds(decider: EscalationDecider) -> None:
    turns = [miss(1, "do you sell garden furniture")]
    regular = decider.decide(turns, CustomerContext("c-1"))
    returning = decider.decide(turns, CustomerContext("c-1", prior_escalations=4))

    assert regular.action == "continue"
    assert (returning.action, returning.reason) == ("offer", "policy")
    assert returning.offer_at < regular.offer_at


def test_a_rephrased_question_counts_when_the_vectors_are_close(
    decider: EscalationDecider,
) -> None:
    first = CustomerTurn(1, "drone delivery?", "ask_question", 0.9, (1.0, 0.0), MISS, (), "miss")
    again = CustomerTurn(2, "by drone?", "ask_question", 0.9, (0.9, 0.1), MISS, (), "miss")
    other = CustomerTurn(2, "gift cards?", "ask_question", 0.9, (0.0, 1.0), MISS, (), "miss")

    assert "rephrase" in {s.name for s in decider.decide([first, again]).signals}
    assert "rephrase" not in {s.name for s in decider.decide([first, other]).signals}


def test_an_unanswered_question_asked_again_and_declined_as_out_of_scope_is_unresolved(
    decider: EscalationDecider,
) -> None:
    """The knowledge base missed "garden furniture?"; asked again, the NLU calls it out of scope
    and the bot declines: two failures to help, so a person is offered - as after two misses."""
    declined = ("utter_out_of_scope",)
    first = CustomerTurn(1, "garden furniture?", "ask_question", 0.9, (1.0, 0.0), MISS, (), "miss")
    again = CustomerTurn(2, "patio chairs?", "out_of_scope", 0.9, (0.9, 0.2), declined)
    two_misses = decider.decide([first, dataclasses.replace(again, outcome="miss")])

    decision = decider.decide([first, again])

    assert (decision.action, decision.reason) == ("offer", "unresolved")
    assert (two_misses.action, two_misses.reason) == ("offer", "unresolved")
    signal = next(s for s in decision.signals if s.name == "declined")
    assert (signal.turn, signal.evidence) == (
        2,
        "turn 1's question asked again, declined as out of scope",
    )


def test_out_of_scope_small_talk_is_not_an_unanswered_question(
    decider: EscalationDecider,
) -> None:
    declined = ("utter_out_of_scope",)
    joke = CustomerTurn(1, "tell me a joke", "out_of_scope", 0.9, (0.0, 1.0), declined)
    another = CustomerTurn(2, "tell me another joke", "out_of_scope", 0.9, (0.1, 1.0), declined)

    decision = decider.decide([joke, another])

    assert decision.action == "continue"
    assert "declined" not in {s.name for s in decision.signals}


def test_invalid_decision_settings_are_all_reported() -> None:
    document = shipped_document()
    document["decision"]["handoff_at"] = 0.5
    document["decision"]["weights"]["kb_miss"] = "a lot"
    document["decision"]["weights"]["typo"] = 1
    document["decision"]["phrases"]["policy"] = ["(unclosed"]
    with pytest.raises(ConfigError) as error:
        parse_decision_config(document)
    message = str(error.value)
    for problem in ("handoff_at must be >= ", "weights.kb_miss", "weights.typo", "policy"):
        assert problem in message


def test_a_falling_sentiment_names_the_customer_turn_not_transcript_positions(
    decider: EscalationDecider,
) -> None:
    """The agent reads "turn 3" in the record: the evidence must not add positions counted
    another way (the scorer's transcript interleaves bot turns and starts at 0)."""
    turns = [
        CustomerTurn(1, "hi, lovely to meet you, great shop", "greet", 0.9, bot_texts=("Hi!",)),
        CustomerTurn(2, "where is my order?", "order_status", 0.9, bot_texts=("Which order?",)),
        CustomerTurn(3, "this is terrible and I am angry", "complain", 0.9),
    ]
    trend = next(s for s in decider.decide(turns).signals if s.name == "sentiment_trend")

    assert trend.turn == 3
    assert "2 earlier customer turns" in trend.evidence
    assert "turns 0" not in trend.evidence


def test_a_refund_above_the_assistants_limit_goes_to_a_person_at_once(
    decider: EscalationDecider,
) -> None:
    """A calm customer, first turn: the assistant may not approve the refund, so a person
    with authority decides - no offer to decline, whatever the score."""
    turn = CustomerTurn(
        1,
        "yes please",
        "affirm",
        0.95,
        bot_actions=("action_order_confirm",),
        outcome="needs_approval",
    )
    decision = decider.decide([turn])
    assert (decision.action, decision.reason) == ("handoff", "policy")
    assert decision.signals[0].name == "needs_approval"
    before_the_reply = dataclasses.replace(turn, bot_actions=())
    assert decider.decide([before_the_reply]).action == "continue"
