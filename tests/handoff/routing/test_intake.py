"""From a built ticket to routing, incident detection and the customer's next-step sentence."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

from handoff.routing.intake import (
    NextStep,
    customer_message,
    escalation_label,
    routing_request,
)
from handoff.routing.rules import Amount, ArticleTried
from handoff.ticket.builder import build_ticket
from tests.support.rasa_tracker import TrackerBuilder

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)


def refund_ticket():  # type: ignore[no-untyped-def]
    builder = TrackerBuilder().session_start()
    builder.user("I want my $480 back for HL-482913", "refund_request")
    builder.kb_answer("refund-timeline", "When will I get my refund?", 0.7)
    builder.feedback(helpful=False)
    builder.user("get me a manager", "request_human")
    return build_ticket(
        builder.tracker(),
        {"turn": 3, "reason": "explicit_request"},
        ticket_id="tk-1",
        conversation_id="conv-1",
        channel="rest",
        customer=None,
        now=NOW,
        nlp=None,
    )


def test_the_escalation_label_is_the_decision_turn() -> None:
    assert escalation_label({"turn": 4}) == "turn-4"
    assert escalation_label(None) == escalation_label({"turn": "4"}) == "request"


def test_routing_reads_every_customer_turn_the_amounts_and_the_articles_front_matter() -> None:
    articles = {"refund-timeline": ArticleTried("refund-timeline", "returns-refunds", ("refund",))}
    request = routing_request(refund_ticket(), articles)
    assert request.customer_text == "I want my $480 back for HL-482913\nget me a manager"
    assert request.intent == "refund_request"
    assert request.articles == (articles["refund-timeline"],)
    assert request.amounts == (Amount(Decimal("480.00"), "USD"),)
    assert (request.customer_tier, request.escalation_reason) == (None, "explicit_request")


def test_the_customer_hears_who_when_and_how() -> None:
    assert customer_message(NextStep("assigned", "Billing", agent_name="Maya")).startswith(
        "Maya from Billing is joining this chat now"
    )
    queued = customer_message(
        NextStep("queued", "Billing", position=2, wait_text="about 8 minutes")
    )
    assert queued.startswith(
        "You're number 2 in the queue for Billing; the expected wait is about 8"
    )
    closed = NextStep("offline", "Billing", team_open=False, hours="Mon-Fri 08:00-20:00 ET")
    asked = customer_message(replace(closed, promise="8:30 AM ET tomorrow"))
    assert "is closed right now (hours: Mon-Fri 08:00-20:00 ET)" in asked
    assert "type your email address here" in asked and "by 8:30 AM ET tomorrow" in asked
    proposed = customer_message(replace(closed, promise="9 AM", contact="jane@example.com"))
    assert proposed.endswith(
        "Shall we also email the reply to jane@example.com? Say yes, or type another address."
    )
    consented = customer_message(replace(closed, promise="9 AM", follow_up_email="j@x.org"))
    assert "someone will reply to j@x.org by 9 AM" in consented and "Shall we" not in consented
    declined = customer_message(replace(closed, promise="9 AM", ask_for_email=False))
    assert "email" not in declined and "reply here by 9 AM" in declined
    resolved = customer_message(NextStep("closed", "Billing", status="resolved"))
    assert resolved == "A person on our team has already resolved this request."


def test_an_order_action_waiting_for_approval_reaches_routing_from_the_conversation() -> None:
    builder = TrackerBuilder().session_start()
    builder.user("I want a refund for HL-100201", "refund_request")
    builder.action("action_order_request").slot(
        "order_pending", {"kind": "approval", "order_number": "HL-100201"}
    )
    builder.user("yes", "affirm")
    builder.action("action_order_confirm").slot(
        "order_actions",
        [
            {
                "turn": 1,
                "action": "refund",
                "order_number": "HL-100001",
                "amount_cents": 500,
                "currency": "USD",
                "result": "issued",
            },
            {
                "turn": 2,
                "action": "refund",
                "order_number": "HL-100201",
                "amount_cents": 24000,
                "limit_cents": 10000,
                "currency": "USD",
                "result": "needs_approval",
            },
            {"result": "needs_approval", "amount_cents": "lots"},  # malformed: skipped
        ],
    )
    ticket = build_ticket(
        builder.tracker(),
        {"turn": 2, "reason": "policy"},
        ticket_id="tk-2",
        conversation_id="conv-2",
        channel="rest",
        customer=None,
        now=NOW,
        nlp=None,
    )
    (approval,) = routing_request(ticket, {}).approvals
    assert approval.order_number == "HL-100201"
    assert approval.amount == Amount(Decimal("240.00"), "USD")
    assert approval.limit == Amount(Decimal("100.00"), "USD")
