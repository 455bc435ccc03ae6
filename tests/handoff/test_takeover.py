"""What the assistant learns of a takeover: messages, outcome, agent and context."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from handoff import lifecycle
from handoff.customer_messages import add_customer_message
from handoff.routing.config import load_routing_config
from handoff.routing.rules import RoutingRequest, route
from handoff.takeover import takeover_json
from handoff.ticket.builder import build_ticket
from handoff.ticket.model import Routing
from handoff.ticket_record import TicketRecord
from tests.support.rasa_tracker import TrackerBuilder

CONFIG = load_routing_config()
NOW = datetime(2026, 3, 14, 14, 0, tzinfo=timezone.utc)
BEFORE = (NOW - timedelta(minutes=5)).timestamp()
NAMES = {"priya": "Priya Natarajan"}


def taken_over() -> TicketRecord:
    """A ticket about order HL-111111, claimed by priya; then both sides write."""
    tracker = (
        TrackerBuilder(start=BEFORE)
        .session_start()
        .user("my hub order HL-111111 never arrived", "report_problem")
        .tracker()
    )
    ticket = build_ticket(
        tracker,
        None,
        ticket_id="tk-1",
        conversation_id="conv-1",
        channel="rest",
        customer=None,
        now=NOW,
        nlp=None,
    )
    decision = route(RoutingRequest("hub", "report_problem"), CONFIG, NOW)
    routed = ticket.with_routing(Routing.from_dict(decision.to_dict()), at=NOW, by="router")
    record = TicketRecord(ticket=routed, idempotency_key="request")
    record = add_customer_message(record, "hello?", now=NOW + timedelta(seconds=10))
    record = lifecycle.assign(record, "priya", now=NOW + timedelta(seconds=20), by="priya")
    later = NOW + timedelta(seconds=30)
    record = lifecycle.reply(record, "priya", "Found it: order HL-222222 replaced it", now=later)
    return add_customer_message(
        record, "great, my email is ana@example.com", now=NOW + timedelta(seconds=40)
    )


def test_a_hand_back_carries_the_takeover_messages_and_the_agent() -> None:
    record = lifecycle.hand_back(taken_over(), "priya", now=NOW + timedelta(minutes=1))
    takeover = takeover_json(record, NAMES)

    assert (takeover["outcome"], takeover["resolution_code"]) == ("handed_back", None)
    assert (takeover["agent_id"], takeover["agent_name"]) == ("priya", "Priya Natarajan")
    said = [(m["speaker"], m["text"]) for m in takeover["messages"]]
    assert said == [
        ("customer", "hello?"),
        ("agent", "Found it: order HL-222222 replaced it"),
        ("customer", "great, my email is ana@example.com"),
    ], "only the takeover: the first request reached Rasa already"
    assert takeover["messages"][1]["agent_id"] == "priya"
    assert takeover["ended_at"] and takeover["closed"] is True


def test_the_latest_order_number_wins_and_context_is_carried() -> None:
    record = lifecycle.hand_back(taken_over(), "priya", now=NOW + timedelta(minutes=1))
    context = takeover_json(record, NAMES)["context"]
    assert context["order_number"] == "HL-222222"
    assert context["email"] == "ana@example.com"


def test_a_resolve_names_its_code_and_an_open_ticket_has_no_outcome() -> None:
    resolved = lifecycle.resolve(taken_over(), "priya", "replacement_sent", now=NOW)
    assert (
        takeover_json(resolved, NAMES)["outcome"],
        takeover_json(resolved, NAMES)["resolution_code"],
    ) == (
        "resolved",
        "replacement_sent",
    )
    still_open = takeover_json(taken_over(), NAMES)
    assert (still_open["outcome"], still_open["closed"]) == (None, False)
