from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone

import pytest

from handoff.ticket.model import (
    ESCALATION_TYPES,
    FEEDBACK_VALUES,
    PRIORITIES,
    TICKET_STATUSES,
    AgentTurn,
    ArticleShown,
    BotTurn,
    Button,
    ContextItem,
    Customer,
    CustomerTurn,
    Entity,
    Routing,
    StatusChange,
    Ticket,
    TicketFormatError,
    ticket_schema,
)
from infra.clock import iso_utc

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)
SCHEMA_DEFINITIONS = {
    "customer": Customer,
    "entity": Entity,
    "button": Button,
    "customer_turn": CustomerTurn,
    "bot_turn": BotTurn,
    "agent_turn": AgentTurn,
    "article_shown": ArticleShown,
    "context_item": ContextItem,
    "routing": Routing,
    "status_change": StatusChange,
}


def small_ticket() -> Ticket:
    return Ticket(
        ticket_id="t-1",
        conversation_id="conv-1",
        created_at=iso_utc(NOW),
        updated_at=iso_utc(NOW),
        channel="widget",
        customer=Customer(id="c-123", tier="vip", verified=True, email="jane@example.com"),
        transcript=(
            CustomerTurn(
                turn=1,
                text="where is HL-482913?",
                at="2026-03-14T09:20:00.000Z",
                intent="order_status",
                confidence=0.93,
                entities=(Entity("order_number", "HL-482913"),),
            ),
            BotTurn(
                turn=1,
                text="Did that help?",
                at="2026-03-14T09:20:02.500Z",
                buttons=(Button("Yes", "/feedback_helpful"),),
            ),
        ),
        articles_shown=(
            ArticleShown("late-package", "Late package", 0.71, True, "not_helpful", 1),
        ),
        context=(ContextItem("order_number", "HL-482913", "HL-482913", 1, "pattern"),),
        slots={"order_number": "HL-482913"},
        escalation_decision={"version": 1, "turn": 1, "action": "handoff", "signals": []},
        summary="Wants: ...\nTried: ...\nWhy: ...",
        routing=None,
        status="new",
        status_history=(StatusChange(iso_utc(NOW), "new", "assistant", "handed off"),),
    )


def test_every_dataclass_field_is_in_the_schema_and_required() -> None:
    """Required, unless added to version 1 later with a default (tickets stored before it
    still read)."""
    schema = ticket_schema()
    top = {item.name for item in fields(Ticket)}
    assert set(schema["properties"]) == top
    assert set(schema["required"]) == top
    for name, cls in SCHEMA_DEFINITIONS.items():
        definition = schema["$defs"][name]
        names = {item.name for item in fields(cls)}
        assert set(definition["properties"]) == names, name
        later = {key for key, value in definition["properties"].items() if "default" in value}
        assert set(definition["required"]) == names - later, name
        assert definition["additionalProperties"] is False, name


def test_the_schema_lists_the_same_choices_as_the_code() -> None:
    definitions = ticket_schema()["$defs"]
    assert tuple(definitions["status"]["enum"]) == TICKET_STATUSES
    assert tuple(definitions["routing"]["properties"]["priority"]["enum"]) == PRIORITIES
    escalation = definitions["routing"]["properties"]["escalation_type"]["enum"]
    assert tuple(escalation) == ESCALATION_TYPES
    feedback = definitions["article_shown"]["properties"]["feedback"]["enum"]
    assert tuple(feedback) == FEEDBACK_VALUES


def test_a_ticket_survives_json_and_back() -> None:
    ticket = small_ticket()
    routed = ticket.with_routing(
        Routing(
            "priority",
            "urgent",
            "billing",
            "2026-03-14T09:35:00.000Z",
            "2026-03-14T13:30:00.000Z",
            ("vip tier",),
        ),
        at=NOW + timedelta(seconds=1),
        by="router",
    )
    for original in (ticket, routed):
        text = json.dumps(original.to_dict())
        assert Ticket.from_dict(json.loads(text)) == original


def test_an_agent_reply_in_the_transcript_survives_json_and_back() -> None:
    ticket = small_ticket()
    reply = AgentTurn(turn=1, text="I have refunded it.", at=iso_utc(NOW), agent_id="maya")
    answered = replace(ticket, transcript=(*ticket.transcript, reply))
    data = json.loads(json.dumps(answered.to_dict()))
    assert data["transcript"][-1]["speaker"] == "agent"
    assert Ticket.from_dict(data) == answered
    data["transcript"][-1]["agent_id"] = ""
    with pytest.raises(TicketFormatError, match="transcript/2"):
        Ticket.from_dict(data)


def test_routing_reads_from_json_and_refuses_what_the_schema_refuses() -> None:
    data = {
        "escalation_type": "hierarchical",
        "priority": "high",
        "team": "supervisors",
        "skill_team": "billing",
        "first_response_due": "2026-03-14T09:45:00.000Z",
        "resolution_due": None,
        "reasons": ["hierarchical: refund above 200.00 USD"],
        "incident_id": None,
    }

    assert Routing.from_dict(data).skill_team == "billing"
    with pytest.raises(TicketFormatError, match="priority: 'asap' is not one of"):
        Routing.from_dict({**data, "priority": "asap"})


def test_an_unrouted_ticket_reads_back_as_unrouted() -> None:
    data = small_ticket().to_dict()

    assert data["routing"] is None and data["status"] == "new"
    assert Ticket.from_dict(data).routing is None


def test_reading_invalid_data_lists_every_problem_with_its_place() -> None:
    data = small_ticket().to_dict()
    data["status"] = "lost"
    data["created_at"] = "14/03/2026 09:30"
    data["transcript"][0]["confidence"] = 1.5
    del data["summary"]

    with pytest.raises(TicketFormatError) as raised:
        Ticket.from_dict(data)

    message = str(raised.value)
    assert "status: 'lost' is not one of" in message
    assert "created_at: '14/03/2026 09:30' does not match" in message
    assert "transcript/0/confidence: 1.5 is greater than the maximum of 1" in message
    assert "'summary' is a required property" in message


def test_a_newer_schema_version_is_refused_by_name() -> None:
    data = small_ticket().to_dict()
    data["schema_version"] = 2

    with pytest.raises(TicketFormatError, match="unsupported ticket schema_version 2"):
        Ticket.from_dict(data)


def test_not_a_ticket_at_all() -> None:
    with pytest.raises(TicketFormatError, match="is not of type 'object'"):
        Ticket.from_dict(["t-1"])


def test_status_changes_are_recorded_with_who_and_when() -> None:
    later = NOW + timedelta(minutes=4)
    ticket = small_ticket().with_status("assigned", at=later, by="agent:ana", note="claimed")

    assert ticket.status == "assigned"
    assert ticket.updated_at == "2026-03-14T09:34:00.000Z"
    assert ticket.created_at == "2026-03-14T09:30:00.000Z"
    assert [change.status for change in ticket.status_history] == ["new", "assigned"]
    assert ticket.status_history[-1] == StatusChange(
        "2026-03-14T09:34:00.000Z", "assigned", "agent:ana", "claimed"
    )


def test_routing_moves_the_ticket_to_the_queue() -> None:
    routing = Routing("functional", "normal", "shipping", None, None)
    ticket = small_ticket().with_routing(routing, at=NOW, by="router", note="topic: shipping")

    assert ticket.routing == routing
    assert ticket.status == "waiting"
    assert ticket.status_history[-1].note == "topic: shipping"


def test_unknown_statuses_priorities_and_naive_times_are_refused() -> None:
    ticket = small_ticket()
    with pytest.raises(ValueError, match="unknown ticket status 'lost'"):
        ticket.with_status("lost", at=NOW, by="x")
    with pytest.raises(ValueError, match="'asap' is not one of"):
        ticket.with_routing(Routing("functional", "asap", "billing", None, None), at=NOW, by="x")
    with pytest.raises(ValueError, match="no time zone"):
        ticket.with_status("closed", at=datetime(2026, 3, 14, 9, 30), by="x")


def test_times_are_utc_whatever_zone_the_clock_gives() -> None:
    eastern = timezone(timedelta(hours=-4))

    assert iso_utc(datetime(2026, 3, 14, 5, 30, tzinfo=eastern)) == "2026-03-14T09:30:00.000Z"
