"""Conversations for the outcome tests, as the real stack stores them: a Rasa tracker
(tests/support/rasa_tracker.py, the events Rasa 3.6 and the project's actions write) and the
session's tickets, built, routed and moved through handoff/lifecycle.py as the service does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from handoff import lifecycle
from handoff.routing.intake import routing_request
from handoff.routing.rules import route
from handoff.ticket.builder import build_ticket
from handoff.ticket.model import Routing
from handoff.ticket_record import TicketRecord
from tests.support.handoff import ROUTING, decision
from tests.support.rasa_tracker import TrackerBuilder

SECRET = b"outcome-test-secret-" + b"x" * 16
QUESTION = "my hub is blinking amber and none of my lights respond"
REFUND = "I want a refund of $480 for order HL-482913, it arrived broken"
AGENT = "maya"
ORDER_EMAIL = "ana.lopez@example.com"
ORDER_INTENTS = {"cancel": "cancel_order", "return": "return_order", "refund": "refund_request"}
REPLY_OUTCOMES = {"done": "answered", "issued": "answered", "needs_approval": "needs_approval"}
REPLY_OUTCOMES |= {"unavailable": "unavailable"}


def at(builder: TrackerBuilder) -> datetime:
    """The builder's clock as a time (the time of its latest event)."""
    return datetime.fromtimestamp(builder.clock, tz=timezone.utc)


def wait(builder: TrackerBuilder, seconds: float) -> datetime:
    builder.clock += seconds
    return at(builder)


def greeted(conversation_id: str = "conv-1") -> TrackerBuilder:
    builder = TrackerBuilder(sender_id=conversation_id).session_start()
    builder.user("/greet", "greet", confidence=1.0)  # the widget's init payload
    builder.action("utter_greet").bot("Hi! I'm Hearthly's assistant.").listen()
    return builder


def asks_for_a_person(builder: TrackerBuilder, text: str = REFUND) -> TrackerBuilder:
    """A question whose article does not help, then "a person, please"."""
    builder.user(text, "refund_request")
    builder.kb_answer("refund-timeline", "When will I get my refund?", 0.71)
    builder.feedback(helpful=False).bot("Sorry about that. Can you tell me more?").listen()
    builder.user("let me talk to a real person", "request_human")
    return builder.action("action_handoff")


def handed_off(
    builder: TrackerBuilder, ticket_id: str, turn: int, reason: str = "explicit_request"
) -> TicketRecord:
    """The ticket action_handoff gets from the service, routed; the tracker records it."""
    now = at(builder)
    ticket = build_ticket(
        builder.tracker(),
        decision(turn, reason),
        ticket_id=ticket_id,
        conversation_id=builder.sender_id,
        channel="rest",
        customer=None,
        now=now,
        nlp=None,
    )
    routed = route(routing_request(ticket, {}), ROUTING, now)
    ticket = ticket.with_routing(Routing.from_dict(routed.to_dict()), at=now, by="router")
    builder.bot("Connecting you to a person.")
    builder.slot("handoff_status", "waiting").slot("handoff_ticket_id", ticket_id).listen()
    return TicketRecord(ticket=ticket, idempotency_key=f"turn-{turn}")


def agent_resolves(
    builder: TrackerBuilder,
    record: TicketRecord,
    *,
    reply: str = "Hi, I'm Maya. I've refunded the $480 for your order.",
    escalation_needed: bool = True,
) -> TicketRecord:
    """An agent claims the chat after a minute, replies, resolves; Rasa is told."""
    record = lifecycle.assign(record, AGENT, now=wait(builder, 60), by=AGENT)
    record = lifecycle.reply(record, AGENT, reply, now=wait(builder, 30))
    record = lifecycle.resolve(
        record,
        AGENT,
        "refund_issued",
        now=wait(builder, 120),
        escalation_needed=escalation_needed,
    )
    told_rasa(builder, record)
    return record


def told_rasa(builder: TrackerBuilder, record: TicketRecord) -> None:
    """The service's /handoff_resolved or /handed_back and the resume action's slots."""
    intent = "handoff_resolved" if record.status == "resolved" else "handed_back"
    builder.user(f"/{intent}", intent, confidence=1.0)
    builder.action("action_resume_after_handoff")
    takeover: dict[str, Any] = {"ticket_id": record.ticket_id, "outcome": record.status}
    builder.slot("takeover", takeover).slot("handoff_status", None)
    builder.slot("handoff_ticket_id", None).slot("escalation_decision", None).listen()


def offline(record: TicketRecord, now: datetime) -> TicketRecord:
    return lifecycle.go_offline(record, now + timedelta(hours=12), "the team is closed", now=now)


def stored_form(builder: TrackerBuilder) -> dict[str, Any]:
    """The tracker as Rasa's Redis tracker store keeps it: name and events, no slots."""
    tracker = builder.tracker()
    return {"name": tracker["sender_id"], "events": tracker["events"]}


def decision_with(signals: list[dict[str, Any]], turn: int, action: str = "continue") -> dict:
    return replace_decision(decision(turn), action=action, reason=None, signals=signals)


def replace_decision(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**record, **changes}


def frustration_signal(turn: int) -> dict[str, Any]:
    return {
        "name": "frustration_phrase",
        "category": "frustration",
        "weight": 1.0,
        "strength": 0.8,
        "contribution": 0.8,
        "turn": turn,
        "evidence": "[phrase]",
    }


def acts_on_an_order(
    builder: TrackerBuilder,
    action: str,
    number: str,
    result: str,
    *,
    amount_cents: int | None = None,
    request: str = "I'd like to sort out my order",
) -> TrackerBuilder:
    """An action on an order as the order flow runs it (bot/data/rules/orders.yml,
    actions/orders.py): the form asks for the number and the order's email, action_order_request
    asks before acting, the customer says yes and action_order_confirm records the action in the
    `order_actions` slot - the conversation's latest actions, earlier ones included. Ends after
    the confirmation (then Rasa listens, or the EscalationPolicy hands off)."""
    builder.user(request, ORDER_INTENTS[action]).action("order_form")
    builder.event("active_loop", name="order_form")
    builder.slot("requested_slot", "order_number").bot("What's your order number?").listen()
    builder.user(number, "inform").action("order_form").slot("order_number", number)
    builder.slot("requested_slot", "email").bot("And the email you ordered with?").listen()
    builder.user(ORDER_EMAIL, "inform").action("order_form").slot("order_verified", number)
    builder.event("active_loop", name=None)
    builder.slot("requested_slot", None)
    turn = sum(1 for event in builder.events if event["event"] == "user")
    pending = {"kind": action, "order_number": number, "amount_cents": amount_cents, "turn": turn}
    builder.action("action_order_request").slot("order_pending", pending)
    builder.bot(f"Shall I {action} order {number}?").listen()
    builder.user("yes please", "affirm").action("action_order_confirm")
    record = {
        "turn": turn,
        "action": action,
        "order_number": number,
        "amount_cents": amount_cents,
        "currency": "USD",
        "result": result,
        "reference": "RF-1A2B3C" if result == "issued" else None,
    }
    earlier = builder.slots.get("order_actions") or []
    builder.bot(f"{result}: {action} of order {number}").slot("order_pending", None)
    builder.slot("order_actions", [*earlier, record][-5:])
    if result in REPLY_OUTCOMES:
        builder.slot("reply_outcome", REPLY_OUTCOMES[result])
    return builder
