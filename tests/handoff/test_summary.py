from __future__ import annotations

from typing import Any

from handoff.summary import summarise, tried_line, wants_line, why_line
from handoff.ticket import ArticleShown, ContextItem, CustomerTurn

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


def test_three_short_lines_an_agent_reads_in_ten_seconds() -> None:
    articles = (
        ArticleShown("payment-methods", "Payment methods", 0.48, False, "none", 2),
        ArticleShown("pay-in-4", "Pay in 4 with Klarna", 0.52, True, "not_helpful", 3),
    )

    summary = summarise(TURNS, articles, CONTEXT, UNRESOLVED)

    assert summary.splitlines() == [
        'Wants: an answer - "can i pay for order HL-482913 in bitcoin? it\'s $49.99" (turn 2); '
        "order HL-482913, 49.99 USD",
        'Tried: 1 answer did not help ("Pay in 4 with Klarna"); '
        "1 question without a confident answer (turn 2)",
        "Why: unresolved, score 2.35 (hands off at 2.00) - "
        "2 knowledge-base misses (turns 2, 3), customer rephrased at turn 3, shouting at turn 3",
    ]
    assert all(len(line) <= 160 for line in summary.splitlines())


def test_the_request_skips_greetings_and_button_presses_and_long_words_are_cut() -> None:
    turns = (
        CustomerTurn(1, "hi!", None, "greet"),
        CustomerTurn(2, "/affirm", None, "affirm", button="Yes, please"),
        CustomerTurn(3, "my refund " + "is late " * 20, None, "refund_request"),
    )

    line = wants_line(turns, ())

    assert line.startswith('Wants: a refund - "my refund is late is late')
    assert line.endswith('..." (turn 3)')
    assert len(line) < 100


def test_a_customer_who_only_asked_for_a_person_wants_a_person() -> None:
    turns = (CustomerTurn(1, "agent please", None, "request_human"),)

    assert wants_line(turns, ()) == 'Wants: a person - "agent please" (turn 1)'
    assert wants_line((), ()) == "Wants: unknown - the customer wrote nothing yet"


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


def test_an_explicit_request_is_said_once_with_its_turn() -> None:
    decision = {
        "reason": "explicit_request",
        "score": 1.0,
        "handoff_at": 2.0,
        "signals": [
            {"name": "person_request", "weight": 1.0, "strength": 1.0, "turn": 3},
            {"name": "not_helpful", "weight": 0.7, "strength": 1.0, "turn": 2},
        ],
    }

    assert why_line(decision, TURNS) == (
        "Why: asked for a person at turn 3 - answer marked not helpful at turn 2"
    )


def test_an_accepted_offer_keeps_the_detectors_note() -> None:
    decision = {
        "reason": "frustration",
        "score": 1.2,
        "handoff_at": 2.0,
        "signals": [{"name": "frustration_phrase", "contribution": 1.2, "turn": 2}],
        "note": "accepted the offer of turn 2",
    }

    assert why_line(decision, TURNS) == (
        "Why: frustration, score 1.20 (hands off at 2.00) - "
        "frustrated wording at turn 2, accepted the offer of turn 2"
    )


def test_without_a_decision_record_the_transcript_tells_why() -> None:
    asked = (*TURNS, CustomerTurn(5, "let me talk to a human", None, "request_human"))

    assert why_line(None, asked) == "Why: asked for a person at turn 5 (no decision record)"
    assert why_line(None, TURNS) == "Why: no decision record (handed over by hand or by a rule)"


def test_odd_records_from_other_versions_do_not_break_the_summary() -> None:
    decision = {"reason": "vip_callback", "signals": [{"name": "new_signal", "weight": 2}, "x"]}

    assert why_line(decision, TURNS) == "Why: vip callback"
    assert why_line({"reason": None, "signals": "none"}, TURNS) == "Why: no reason given"
    decision = {
        "reason": "policy",
        "signals": [{"name": "refund_limit", "contribution": 1, "turn": 2}],
    }
    assert why_line(decision, TURNS) == "Why: policy - refund limit at turn 2"
