"""Building tickets from Rasa trackers, on the real spaCy model."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

from handoff.routing.config import load_routing_config
from handoff.routing.rules import Amount, ArticleTried, RoutingRequest, route
from handoff.ticket.builder import build_ticket
from handoff.ticket.extract import Nlp, english_nlp
from handoff.ticket.model import (
    ArticleShown,
    ContextItem,
    CustomerTurn,
    Routing,
    Ticket,
    ticket_schema,
)
from handoff.ticket.summary import first_request
from tests.support.rasa_tracker import TrackerBuilder

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)
CARD_FORMS = ("4242 4242 4242 4242", "4242-4242-4242-4242", "4242424242424242")
CARD_ENTITY = {"entity": "card", "value": "4242424242424242", "start": 8, "end": 27}
VERSION = ("5e0c2a9d41f7", "2026-10-14")  # (article_version, article_updated) as served
INTERNAL_LABEL = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # nlu_fallback, kb_miss, request_human


@dataclass(frozen=True)
class VerifiedCustomer:
    id: str
    tier: str | None
    prior_escalations: int = 0


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return english_nlp()


def escalated_conversation() -> TrackerBuilder:
    """An order number, an amount, a date, a card number and two answers that did not help."""
    builder = TrackerBuilder().session_start()
    builder.user("hi", "greet").action("utter_greet").bot("Hi! How can I help?").listen()
    builder.user(
        "I was charged $49.99 twice for order hl 482913 on 3/14/2026, I want my money back",
        "refund_request",
    )
    builder.kb_answer("refund-timeline", "When will I get my refund?", 0.71)
    builder.feedback(helpful=False).bot("Sorry! Tell me more?").listen()
    builder.user("card 4242 4242 4242 4242 was billed twice", "report_problem", 0.9, [CARD_ENTITY])
    builder.slot("card_number", "4242-4242-4242-4242")
    builder.kb_answer("payment-declined", "Payment declined", 0.55)
    builder.feedback(helpful=False)
    builder.user("let me talk to a real person. jane@example.com, 555 010 4477", "request_human")
    return builder.action("action_handoff").bot("Connecting you to a person.")


def decision_record() -> dict[str, Any]:
    evidence = "no answer for 'card 4242424242424242 was billed twice'"
    return {
        "version": 1,
        "turn": 6,
        "action": "handoff",
        "reason": "explicit_request",
        "score": 2.4,
        "offer_at": 1.0,
        "handoff_at": 2.0,
        "signals": [
            {"name": "person_request", "weight": 1.0, "strength": 1.0, "turn": 6, "evidence": ""},
            {"name": "not_helpful", "weight": 0.7, "strength": 1.0, "turn": 3, "evidence": ""},
            {"name": "not_helpful", "weight": 0.7, "strength": 1.0, "turn": 5, "evidence": ""},
            {"name": "kb_miss", "weight": 0.5, "strength": 1.0, "turn": 4, "evidence": evidence},
        ],
        "customer": {"id": "c-123", "tier": "vip", "prior_escalations": 1},
        "explanation": f"explicit request at turn 6; {evidence}",
    }


def build(tracker: dict[str, Any], decision: dict[str, Any] | None, nlp: Nlp | None) -> Ticket:
    return build_ticket(
        tracker,
        decision,
        ticket_id="t-1",
        conversation_id="conv-1",
        channel="widget",
        customer=VerifiedCustomer("c-123", "vip", 1),
        now=NOW,
        nlp=nlp,
    )


def test_the_agent_gets_everything_without_asking_again(nlp: Nlp) -> None:
    ticket = build(escalated_conversation().tracker(), decision_record(), nlp)

    assert [turn.turn for turn in ticket.customer_turns] == [1, 2, 3, 4, 5, 6]
    assert "".join(turn.speaker[0] for turn in ticket.transcript) == "cbcbbcbcbbccb"
    context = {(item.kind, item.value, item.turn) for item in ticket.context}
    assert {("order_number", "HL-482913", 2), ("date", "2026-03-14", 2)} <= context
    assert ContextItem("amount", "49.99", "$49.99", 2, "pattern", "USD") in ticket.context
    assert ticket.articles_shown == (
        ArticleShown("refund-timeline", "When will I get my refund?", 0.71, True, "not_helpful", 2),
        ArticleShown("payment-declined", "Payment declined", 0.55, True, "not_helpful", 4),
    )
    assert ticket.escalation_decision is not None
    assert ticket.escalation_decision["reason"] == "explicit_request"
    assert ticket.summary.splitlines() == [
        'Wants: a refund - "I was charged $49.99 twice for order hl 482913 on 3/14/2026, I '
        'want..." (turn 2); order HL-482913, 49.99 USD, 2026-03-14',
        'Tried: 2 answers did not help ("When will I get my refund?", "Payment declined")',
        "Why: asked for a person at turn 6",
        "- said 2 answers did not help (turns 3, 5)",
    ]
    assert (ticket.customer.id, ticket.customer.tier, ticket.customer.verified) == (
        "c-123",
        "vip",
        True,
    )
    assert (ticket.customer.email, ticket.customer.phone) == ("jane@example.com", "5550104477")


def test_a_new_ticket_is_unrouted_and_says_who_made_it_when(nlp: Nlp) -> None:
    ticket = build(escalated_conversation().tracker(), decision_record(), nlp)

    assert (ticket.status, ticket.routing) == ("new", None)
    assert ticket.created_at == ticket.updated_at == "2026-03-14T09:30:00.000Z"
    (created,) = ticket.status_history
    assert (created.status, created.by, created.note) == (
        "new",
        "assistant",
        "handed off: asked for a person at turn 6",
    )


def test_built_tickets_match_the_published_schema_before_and_after_routing(nlp: Nlp) -> None:
    ticket = build(escalated_conversation().tracker(), decision_record(), nlp)
    routed = ticket.with_routing(
        Routing("priority", "urgent", "billing", "2026-03-14T09:35:00.000Z", None, ("vip",)),
        at=NOW + timedelta(seconds=2),
        by="router",
    )
    for version in (ticket, routed):
        data = json.loads(json.dumps(version.to_dict()))
        jsonschema.Draft202012Validator(ticket_schema()).validate(data)
        assert Ticket.from_dict(data) == version


def test_the_routing_modules_decision_fits_the_ticket(nlp: Nlp) -> None:
    ticket = build(escalated_conversation().tracker(), decision_record(), nlp)
    request = first_request(ticket.customer_turns)
    assert request is not None and ticket.escalation_decision is not None
    routing_request = RoutingRequest(
        customer_text=request.text,
        intent=request.intent,
        articles=tuple(ArticleTried(a.article_id) for a in ticket.articles_shown if a.article_id),
        amounts=tuple(
            Amount(Decimal(item.value), item.currency)
            for item in ticket.context
            if item.kind == "amount" and item.currency
        ),
        customer_tier=ticket.customer.tier,
        escalation_reason=ticket.escalation_decision["reason"],
    )
    decision = route(routing_request, load_routing_config(), NOW)

    routed = ticket.with_routing(Routing.from_dict(decision.to_dict()), at=NOW, by="router")

    assert routed.routing is not None and routed.routing.team == decision.team
    assert Ticket.from_dict(json.loads(json.dumps(routed.to_dict()))) == routed


def test_a_typed_card_number_never_reaches_the_ticket(nlp: Nlp) -> None:
    tracker = escalated_conversation().tracker()
    original = copy.deepcopy(tracker)

    ticket = build(tracker, decision_record(), nlp)

    text = json.dumps(ticket.to_dict(), ensure_ascii=False)
    for form in CARD_FORMS:
        assert form not in text
    assert not re.search(r"4242\D?4242\D?4242", text)
    card_turn = ticket.customer_turns[3]
    assert card_turn.text == "card [card ending 4242] was billed twice"
    assert card_turn.entities[0].value == "[card ending 4242]"
    assert ticket.slots["card_number"] == "[card ending 4242]"
    assert "[card ending 4242]" in ticket.escalation_decision["signals"][3]["evidence"]  # type: ignore[index]
    assert tracker == original  # the caller's tracker is not changed


def test_a_password_the_nlu_took_for_an_order_number_never_reaches_the_ticket(nlp: Nlp) -> None:
    password = "Zq83941412!9"
    text = f"my password is {password}, call me back"
    entity = {"entity": "order_number", "value": password, "start": 15, "end": 27}
    tracker = (
        escalated_conversation()
        .user(text, "out_of_scope", 0.61, [entity])
        .slot("order_number", password)
        .tracker()
    )

    ticket = build(tracker, decision_record(), nlp)

    assert password not in json.dumps(ticket.to_dict(), ensure_ascii=False)
    turn = ticket.customer_turns[-1]
    assert turn.text == "my password is [password removed] call me back"
    assert turn.entities[0].value == "[password removed]"
    assert ticket.slots["order_number"] == "[password removed]"


def test_the_decision_record_is_read_from_the_slot_when_not_given(nlp: Nlp) -> None:
    builder = escalated_conversation().slot("escalation_decision", decision_record())

    ticket = build(builder.tracker(), None, nlp)

    assert (
        ticket.escalation_decision
        == build(builder.tracker(), decision_record(), nlp).escalation_decision
    )
    assert "escalation_decision" not in ticket.slots


def test_without_any_decision_record_the_ticket_still_says_why(nlp: Nlp) -> None:
    ticket = build(escalated_conversation().tracker(), None, nlp)

    assert ticket.escalation_decision is None
    assert (
        ticket.summary.splitlines()[2] == "Why: asked for a person at turn 6 (no decision record)"
    )
    assert ticket.status_history[0].note == "handed off"


def test_an_anonymous_customer_with_the_email_slot_and_no_spacy() -> None:
    builder = TrackerBuilder().session_start().user("where is HL-482913", "order_status")
    builder.slot("email", "Jane@Example.com")

    ticket = build_ticket(
        builder.tracker(),
        None,
        ticket_id="t-2",
        conversation_id="conv-2",
        channel="",
        customer=None,
        now=NOW,
        nlp=None,
    )

    assert (ticket.customer.id, ticket.customer.verified) == (None, False)
    assert ticket.customer.email == "Jane@Example.com"
    assert ticket.channel == "unknown"
    assert ticket.context[0].value == "HL-482913"
    assert ticket.customer_turns == (
        CustomerTurn(1, "where is HL-482913", "2026-03-14T09:20:15.000Z", "order_status", 0.97),
    )


def test_the_ticket_says_which_version_of_each_article_the_customer_read() -> None:
    builder = TrackerBuilder().session_start()
    builder.user("when will my refund arrive", "ask_question")
    builder.kb_answer("refund-timeline", "When will I get my refund?", 0.71, VERSION)
    builder.feedback(helpful=False)
    builder.user("any discount codes?", "ask_question").kb_miss([("promo-codes", "Promos", 0.4)])
    builder.user("a person please", "request_human").action("action_handoff")

    ticket = build(builder.tracker(), None, None)

    answered, missed = ticket.articles_shown
    assert (answered.article_version, answered.article_updated) == VERSION
    assert (answered.feedback, answered.turn) == ("not_helpful", 1)
    assert (missed.article_version, missed.article_updated) == (None, None)  # none served
    data = json.loads(json.dumps(ticket.to_dict()))
    jsonschema.Draft202012Validator(ticket_schema()).validate(data)
    assert Ticket.from_dict(data) == ticket
    # a ticket stored before versions were recorded still reads, without them
    for shown in data["articles_shown"]:
        del shown["article_version"], shown["article_updated"]
    assert Ticket.from_dict(data).articles_shown[0].article_version is None


def test_ids_are_required() -> None:
    with pytest.raises(ValueError, match="ticket_id must be a non-empty string"):
        build_ticket(
            {"events": []},
            None,
            ticket_id="",
            conversation_id="conv-1",
            channel="widget",
            customer=None,
            now=NOW,
            nlp=None,
        )


def signal(name: str, weight: float, strength: float, turn: int, evidence: str) -> dict[str, Any]:
    return {
        "name": name,
        "weight": weight,
        "strength": strength,
        "turn": turn,
        "evidence": evidence,
    }


def not_understood_first() -> tuple[TrackerBuilder, dict[str, Any]]:
    """The first message is not understood; the knowledge base then misses it twice; the
    decision record as the decider writes it, with a trace of an early mood (+0.03)."""
    builder = TrackerBuilder().session_start().user("/greet", "greet", 1.0)
    builder.action("utter_greet").bot("Hi! How can I help?").listen()
    builder.user("the plug clicks off every few minutes since the update", "nlu_fallback", 0.31)
    builder.action("utter_default").bot("Sorry, I didn't quite get that.").listen()
    builder.user("smart plug turns itself off", "report_problem", 0.62)
    builder.kb_miss([("plug-offline", "Smart Plug offline", 0.41)]).listen()
    builder.user("the plug keeps switching off by itself, ridiculous", "report_problem", 0.7)
    builder.kb_miss([("plug-offline", "Smart Plug offline", 0.44)]).listen()
    decision = {
        "version": 1,
        "turn": 4,
        "action": "handoff",
        "reason": "unresolved",
        "score": 3.2,
        "offer_at": 1.25,
        "handoff_at": 2.5,
        "signals": [
            signal("nlu_fallback", 0.25, 1.0, 2, "understood with 0.31"),
            signal("kb_miss", 0.75, 1.0, 3, "no answer for 'smart plug turns itself off'"),
            signal(
                "kb_miss",
                0.75,
                1.0,
                4,
                "no answer for 'the plug keeps switching off by itself, ridiculous'",
            ),
            signal("frustration_phrase", 1.0, 1.0, 4, "'ridiculous'"),
            signal("rephrase", 0.5, 0.84, 4, "asks turn 3's unanswered question again (0.84)"),
            signal("negative_sentiment", 1.1, 0.03, 2, "-0.12"),
        ],
        "customer": None,
        "note": "",
        "explanation": "turn 4: handoff (unresolved), score 3.20 ...",
    }
    return builder, decision


def person_at_once() -> tuple[TrackerBuilder, dict[str, Any]]:
    builder = TrackerBuilder().session_start()
    builder.user("I want to talk to a real person", "request_human", 0.96)
    builder.action("action_handoff").bot("Connecting you to a person.")
    decision = {
        "version": 1,
        "turn": 1,
        "action": "handoff",
        "reason": "explicit_request",
        "score": 0.0,
        "offer_at": 1.25,
        "handoff_at": 2.5,
        "signals": [
            signal("person_request", 1.0, 1.0, 1, "intent request_human (0.96)"),
        ],
        "customer": None,
        "note": "",
        "explanation": "turn 1: handoff (explicit_request) ...",
    }
    return builder, decision


def smoke() -> tuple[TrackerBuilder, dict[str, Any]]:
    builder = TrackerBuilder().session_start()
    builder.user("there's smoke coming out of my smart plug!!", "report_problem", 0.88)
    builder.action("action_handoff").bot("Connecting you to a person.")
    decision = {
        "version": 1,
        "turn": 1,
        "action": "handoff",
        "reason": "policy",
        "score": 0.3,
        "offer_at": 1.25,
        "handoff_at": 2.5,
        "signals": [
            signal("policy_phrase", 1.0, 1.0, 1, "'smoke'"),
            signal("emphatic_punctuation", 0.3, 0.67, 1, "'!!'"),
        ],
        "customer": None,
        "note": "",
        "explanation": "turn 1: handoff (policy) ...",
    }
    return builder, decision


def test_a_first_message_not_understood_reads_as_the_customers_words(nlp: Nlp) -> None:
    builder, decision = not_understood_first()

    ticket = build(builder.tracker(), decision, nlp)

    assert ticket.summary.splitlines() == [
        'Wants: "the plug clicks off every few minutes since the update" (turn 2); Hearthly Plug',
        "Tried: 2 questions without a confident answer (turns 3, 4)",
        "Why: the assistant could not resolve it",
        "- the help centre had no answer for 2 questions (turns 3, 4)",
        "- frustrated wording: 'ridiculous' (turn 4)",
    ]


def test_a_person_asked_for_at_once_tells_the_agent_to_ask_what_it_is_about(nlp: Nlp) -> None:
    builder, decision = person_at_once()

    ticket = build(builder.tracker(), decision, nlp)

    assert ticket.summary.splitlines() == [
        "Wants: asked for a person straight away (turn 1); hasn't said what it's about yet",
        "Tried: no help-centre article was shown",
        "Why: asked for a person at turn 1",
    ]


def refund_with_card() -> tuple[TrackerBuilder, dict[str, Any]]:
    return escalated_conversation(), decision_record()


@pytest.mark.parametrize("fixture", [refund_with_card, not_understood_first, person_at_once, smoke])
def test_no_agent_facing_text_of_a_ticket_shows_an_internal_label(nlp: Nlp, fixture: Any) -> None:
    builder, decision = fixture()
    tickets = [
        build(builder.tracker(), decision, nlp),
        build(builder.tracker(), None, nlp),  # no decision record at all
        build(builder.slot("escalation_decision", decision).tracker(), None, nlp),
    ]

    for ticket in tickets:
        agent_facing = [ticket.summary, *(change.note or "" for change in ticket.status_history)]
        for text in agent_facing:
            assert not INTERNAL_LABEL.findall(text), text
            assert "score" not in text and "+0." not in text, text
