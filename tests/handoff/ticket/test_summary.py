from __future__ import annotations

import re
from typing import Any

import pytest

from handoff.detection.decision import EscalationDecider
from handoff.detection.frustration import FrustrationScorer
from handoff.escalation_file import load_decision_config, load_frustration_config
from handoff.sentiment import vader_polarity
from handoff.ticket.model import ArticleShown, ContextItem, CustomerTurn
from handoff.ticket.summary import summarise, tried_line, wants_line, why_it_escalated
from tests.support.escalation_stories import EscalationStory, load_stories

TURNS = (
    CustomerTurn(1, "hello", None, "greet"),
    CustomerTurn(2, "can i pay for order HL-482913 in bitcoin? it's $49.99", None, "ask_question"),
    CustomerTurn(3, "pay with bitcoin for my order??", None, "ask_question"),
    CustomerTurn(4, "/feedback_not_helpful", None, "feedback_not_helpful", button="No, it didn't"),
)
CONTEXT = (
    ContextItem("order_number", "HL-482913", "HL-482913", 2, "pattern"),
    ContextItem("amount", "49.99", "$49.99", 2, "pattern", "USD"),
)
UNRESOLVED: dict[str, Any] = {
    "version": 1,
    "turn": 4,
    "action": "handoff",
    "reason": "unresolved",
    "score": 2.35,
    "offer_at": 1.0,
    "handoff_at": 2.0,
    "signals": [
        {"name": "kb_miss", "weight": 0.5, "strength": 1.0, "turn": 2, "evidence": "..."},
        {"name": "kb_miss", "weight": 0.5, "strength": 1.0, "turn": 3, "evidence": "..."},
        {"name": "rephrase", "weight": 0.6, "strength": 0.9, "turn": 3, "evidence": "..."},
        {"name": "politeness", "weight": -0.8, "strength": 1.0, "turn": 2, "evidence": "..."},
        {"name": "shouting", "weight": 0.1, "strength": 0.2, "turn": 3, "evidence": "..."},
    ],
    "customer": None,
    "explanation": "unresolved 2.35 >= 2.00: ...",
}
# What the decider wrote at the fourth turn of a conversation that grew angry: the two
# frustrated turns carry it; what is left of earlier moods (+0.03 and the like) does not.
FRUSTRATED: dict[str, Any] = {
    "version": 1,
    "turn": 4,
    "action": "handoff",
    "reason": "frustration",
    "score": 2.64,
    "offer_at": 1.25,
    "handoff_at": 2.5,
    "signals": [
        {"name": "frustration_phrase", "contribution": 1.0, "turn": 4, "evidence": "'useless'"},
        {"name": "frustration_phrase", "contribution": 0.5, "turn": 3, "evidence": "'annoying'"},
        {"name": "negative_sentiment", "contribution": 0.48, "turn": 4, "evidence": "-0.44"},
        {"name": "emphatic_punctuation", "contribution": 0.3, "turn": 4, "evidence": "'!!!'"},
        {"name": "shouting", "contribution": 0.25, "turn": 4, "evidence": "'STILL'"},
        {"name": "negative_sentiment", "contribution": 0.03, "turn": 1, "evidence": "-0.41"},
        {"name": "sentiment_trend", "contribution": 0.03, "turn": 2, "evidence": "fell"},
        {"name": "kb_miss", "contribution": 0.05, "turn": 2, "evidence": "no answer for '...'"},
    ],
    "customer": None,
    "note": "",
    "explanation": "turn 4: handoff (frustration), score 2.64 ...",
}
STORIES = load_stories()
INTERNAL_LABEL = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # nlu_fallback, kb_miss, request_human


@pytest.fixture(scope="module")
def decider() -> EscalationDecider:
    return EscalationDecider(
        load_decision_config(), FrustrationScorer(load_frustration_config(), vader_polarity())
    )


def test_a_short_note_an_agent_reads_in_ten_seconds() -> None:
    articles = (
        ArticleShown("payment-methods", "Payment methods", 0.48, False, "none", 2),
        ArticleShown("pay-in-4", "Pay in 4 with Klarna", 0.52, True, "not_helpful", 3),
    )

    summary = summarise(TURNS, articles, CONTEXT, UNRESOLVED)

    assert summary.splitlines() == [
        'Wants: "can i pay for order HL-482913 in bitcoin? it\'s $49.99" (turn 2); '
        "order HL-482913, 49.99 USD",
        'Tried: 1 answer did not help ("Pay in 4 with Klarna"); '
        "1 question without a confident answer (turn 2)",
        "Why: the assistant could not resolve it",
        "- the help centre had no answer for 2 questions (turns 2, 3)",
        "- asked the same thing again (turn 3)",
    ]
    assert all(len(line) <= 160 for line in summary.splitlines())


def test_a_first_message_the_bot_did_not_understand_is_quoted_never_named() -> None:
    turns = (
        CustomerTurn(1, "/greet", None, "greet"),
        CustomerTurn(2, "my plug keeps clicking off every few minutes", None, "nlu_fallback", 0.3),
    )
    decision = {
        "reason": "unresolved",
        "score": 1.5,
        "offer_at": 1.25,
        "handoff_at": 2.5,
        "signals": [{"name": "nlu_fallback", "contribution": 0.25, "turn": 2}],
    }

    summary = summarise(turns, (), (), decision)

    assert summary.splitlines()[0] == (
        'Wants: "my plug keeps clicking off every few minutes" (turn 2)'
    )
    assert "fallback" not in summary
    assert "- the assistant did not understand the message (turn 2)" in summary.splitlines()


def test_a_person_asked_for_at_once_says_so_and_that_the_need_is_unknown() -> None:
    first = (CustomerTurn(1, "agent please", None, "request_human"),)
    after_hello = (
        CustomerTurn(1, "/greet", None, "greet"),
        CustomerTurn(2, "hi", None, "greet"),
        CustomerTurn(3, "I want to talk to a real person, jane@example.com", None, "request_human"),
    )

    assert wants_line(first, ()) == (
        "Wants: asked for a person straight away (turn 1); hasn't said what it's about yet"
    )
    assert wants_line(after_hello, ()) == (
        "Wants: asked for a person straight away (turn 3); hasn't said what it's about yet"
    )
    assert wants_line((), ()) == "Wants: not known yet - the customer has written nothing"


def test_a_request_for_a_person_that_says_what_it_is_about_is_the_need() -> None:
    turns = (
        CustomerTurn(1, "help", None, "nlu_fallback", 0.2),
        CustomerTurn(2, "I need a person about my refund for HL-482913", None, "request_human"),
    )

    assert wants_line(turns, ()) == (
        'Wants: "I need a person about my refund for HL-482913" (turn 2)'
    )


def test_the_need_skips_greetings_and_button_presses_and_long_words_are_cut() -> None:
    turns = (
        CustomerTurn(1, "hi!", None, "greet"),
        CustomerTurn(2, "/affirm", None, "affirm", button="Yes, please"),
        CustomerTurn(3, "my refund " + "is late " * 20, None, "refund_request"),
    )

    line = wants_line(turns, ())

    assert line.startswith('Wants: a refund - "my refund is late is late')
    assert line.endswith('..." (turn 3)')
    assert len(line) < 100


def test_a_greeting_that_says_what_is_wrong_is_the_need() -> None:
    turns = (CustomerTurn(1, "hi, my hub is blinking amber all night", None, "greet"),)

    assert wants_line(turns, ()) == 'Wants: "hi, my hub is blinking amber all night" (turn 1)'


def test_what_was_tried_counts_answers_by_feedback() -> None:
    articles = (
        ArticleShown("a", "Refund timeline", 0.7, True, "not_helpful", 1),
        ArticleShown("b", "Return an item", 0.6, True, "not_helpful", 2),
        ArticleShown("c", "Exchanges", 0.6, True, "not_helpful", 3),
        ArticleShown("d", "Invoices", 0.8, True, "helpful", 4),
        ArticleShown("e", "Late package", 0.6, True, "none", 5),
        ArticleShown(None, None, None, False, "none", 6),
        ArticleShown("f", "Payment methods", 0.3, False, "none", 7),
    )

    assert tried_line(articles) == (
        'Tried: 3 answers did not help ("Refund timeline", "Return an item", ...); '
        '1 answer helped ("Invoices"); 1 answer got no feedback ("Late package"); '
        "2 questions without a confident answer (turns 6, 7)"
    )
    assert tried_line(()) == "Tried: no help-centre article was shown"


def test_the_reason_lists_only_the_signals_that_carried_the_decision() -> None:
    summary = summarise(TURNS, (), (), FRUSTRATED)

    assert summary.splitlines()[2:] == [
        "Why: the customer is frustrated",
        "- frustrated wording: 'annoying', 'useless' (turns 3, 4)",
        "- sounded upset (turn 4)",
        "- emphatic punctuation: '!!!' (turn 4)",
        "- wrote in capitals: 'STILL' (turn 4)",
    ]


def test_an_explicit_request_is_the_reason_and_earlier_trouble_only_if_it_earned_an_offer() -> None:
    decision = {
        "reason": "explicit_request",
        "score": 0.7,
        "offer_at": 1.25,
        "handoff_at": 2.5,
        "signals": [
            {"name": "person_request", "contribution": 1.0, "turn": 3, "evidence": "intent x"},
            {"name": "not_helpful", "contribution": 0.7, "turn": 2},
        ],
    }
    earned = {
        **decision,
        "score": 1.45,
        "signals": [*decision["signals"], {"name": "kb_miss", "contribution": 0.75, "turn": 1}],
    }

    assert why_it_escalated(TURNS, decision).lines() == ["Why: asked for a person at turn 3"]
    assert why_it_escalated(TURNS, earned).lines() == [
        "Why: asked for a person at turn 3",
        "- the help centre had no answer for the question (turn 1)",
        "- said an answer did not help (turn 2)",
    ]


def test_a_safety_phrase_is_stated_plainly() -> None:
    decision = {
        "reason": "policy",
        "turn": 1,
        "signals": [
            {"name": "policy_phrase", "contribution": 1.0, "turn": 1, "evidence": "'smoke'"}
        ],
    }

    assert why_it_escalated(TURNS, decision).lines() == [
        "Why: mentioned 'smoke' at turn 1: safety, legal and security matters always go to a person"
    ]


def test_an_accepted_offer_and_a_vip_customer_are_said_in_words() -> None:
    accepted = {
        "reason": "frustration",
        "turn": 3,
        "score": 0.85,
        "offer_at": 1.25,
        "handoff_at": 2.5,
        "signals": [
            {
                "name": "frustration_phrase",
                "contribution": 0.75,
                "turn": 2,
                "evidence": "'come on'",
            },
            {"name": "emphatic_punctuation", "contribution": 0.1, "turn": 2, "evidence": "'!!'"},
        ],
        "note": "accepted the offer of turn 2",
    }
    vip = {
        "reason": "policy",
        "score": 0.75,
        "offer_at": 0.62,
        "handoff_at": 1.25,
        "signals": [{"name": "kb_miss", "contribution": 0.75, "turn": 1}],
        "customer": {"id": "c-1", "tier": "vip", "prior_escalations": 0},
        "note": "vip: thresholds x 0.50",
    }

    assert why_it_escalated(TURNS, accepted).lines() == [
        "Why: the customer is frustrated; accepted the offer of a person at turn 3",
        "- frustrated wording: 'come on' (turn 2)",
    ]
    assert why_it_escalated(TURNS, vip).lines() == [
        "Why: handed over sooner for a VIP customer",
        "- the help centre had no answer for the question (turn 1)",
    ]


def test_without_a_decision_record_the_transcript_tells_why() -> None:
    asked = (*TURNS, CustomerTurn(5, "let me talk to a human", None, "request_human"))

    assert why_it_escalated(asked, None).lines() == [
        "Why: asked for a person at turn 5 (no decision record)"
    ]
    assert why_it_escalated(TURNS, None).lines() == [
        "Why: no decision record (handed over by hand or by a rule)"
    ]


def test_odd_records_from_other_versions_do_not_break_the_summary() -> None:
    decision = {
        "reason": "vip_callback",
        "signals": [{"name": "new_signal", "contribution": 2}, {"name": "no_weight"}, "x"],
    }

    assert why_it_escalated(TURNS, decision).lines() == ["Why: vip callback", "- new signal"]
    assert why_it_escalated(TURNS, {"reason": "odd\n- made up"}).lines() == ["Why: odd - made up"]
    assert why_it_escalated(TURNS, {"reason": None, "signals": "none"}).lines() == [
        "Why: no escalation reason recorded"
    ]
    decision = {
        "reason": "unresolved",
        "signals": [{"name": "refund_limit", "contribution": 1, "turn": True}],
    }
    assert why_it_escalated(TURNS, decision).lines() == [
        "Why: the assistant could not resolve it",
        "- refund limit",
    ]


@pytest.mark.parametrize("story", STORIES, ids=[story.name for story in STORIES])
def test_no_summary_of_a_scripted_conversation_shows_an_internal_label(
    decider: EscalationDecider, story: EscalationStory
) -> None:
    for decision in decider.replay(story.turns, story.verified_customer()):
        turns = tuple(
            CustomerTurn(turn.number, turn.text, None, turn.intent, turn.confidence)
            for turn in story.turns[: decision.turn]
        )
        summary = summarise(turns, (), (), decision.to_dict())

        assert not INTERNAL_LABEL.findall(summary), summary
        assert "score" not in summary and "+0." not in summary, summary


def test_a_refund_waiting_for_a_supervisor_says_so_not_handed_over_sooner() -> None:
    approval = {
        "turn": 3,
        "reason": "policy",
        "score": 0.0,
        "offer_at": 1.0,
        "handoff_at": 2.5,
        "signals": [
            {
                "name": "needs_approval",
                "contribution": 1.0,
                "turn": 3,
                "evidence": "an action on the order needs a supervisor's approval",
            }
        ],
    }
    (head, *_rest) = why_it_escalated(TURNS, approval).lines()
    assert (
        head == "Why: asked for what the assistant may not do alone at turn 3: a supervisor decides"
    )


def test_the_assistants_actions_on_orders_are_part_of_what_was_tried() -> None:
    actions = [
        {"turn": 2, "action": "refund", "order_number": "HL-100152", "amount_cents": 8999,
         "currency": "USD", "result": "issued"},
        {"turn": 4, "action": "refund", "order_number": "HL-100110", "amount_cents": 24000,
         "currency": "USD", "result": "needs_approval"},
        {"turn": 5, "action": "cancel", "order_number": "HL-100198", "result": "refused"},
        "not a record",
    ]  # fmt: skip
    assert tried_line([], actions) == (
        "Tried: refund of $89.99 on HL-100152 issued (turn 2); refund of $240.00 on HL-100110 "
        "needs a supervisor's approval (turn 4); cancellation on HL-100198 refused (turn 5)"
    )
    assert tried_line([]) == "Tried: no help-centre article was shown"
