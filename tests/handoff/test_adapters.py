"""Exports to Chatwoot and Zendesk carry the fields their public APIs document."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest

from handoff.adapters import (
    AdapterError,
    chatwoot_conversation,
    chatwoot_private_note,
    handoff_note,
    zendesk_ticket,
)
from handoff.ticket.model import (
    BotTurn,
    ContextItem,
    Customer,
    CustomerTurn,
    Routing,
    StatusChange,
    Ticket,
)

NOW = datetime(2026, 3, 10, 14, 2, tzinfo=timezone.utc)


def routed_ticket() -> dict[str, Any]:
    """A routed ticket in its real JSON form (Ticket.to_dict(), as the store keeps it)."""
    ticket = Ticket(
        ticket_id="tk_01",
        conversation_id="conv-42",
        created_at="2026-03-10T14:01:30.000Z",
        updated_at="2026-03-10T14:01:30.000Z",
        channel="rest",
        customer=Customer(id="cust-7", tier="vip", verified=True, email="dana@example.com"),
        transcript=(
            CustomerTurn(1, "I want my $480 back", "2026-03-10T14:00:00Z", "refund_request"),
            BotTurn(1, "Refunds take 2 business days.", "2026-03-10T14:00:02Z"),
            CustomerTurn(2, "get me a manager", "2026-03-10T14:01:00Z", "request_human"),
        ),
        articles_shown=(),
        context=(
            ContextItem("order_number", "HL-482913", "hl 482913", 1, "pattern"),
            ContextItem("money", "$480", "$480", 1, "ner"),
        ),
        slots={},
        escalation_decision={"reason": "explicit_request", "signals": [{"name": "person_request"}]},
        summary=(
            'Wants: a refund - "I want my $480 back" (turn 1); order HL-482913, $480\n'
            "Tried: no help-centre article matched\n"
            "Why: asked for a person at turn 2"
        ),
        routing=None,
        status="new",
        status_history=(StatusChange("2026-03-10T14:01:30.000Z", "new", "assistant"),),
    )
    routing = Routing(
        escalation_type="hierarchical",
        priority="high",
        team="orders",
        first_response_due="2026-03-10T14:15:00.000Z",
        resolution_due="2026-03-10T18:00:00.000Z",
        reasons=("hierarchical: refund of USD 480.00 is above the USD 250.00 limit",),
    )
    return ticket.with_routing(routing, at=NOW, by="router").to_dict()


TICKET = routed_ticket()


def with_routing(**changes: Any) -> dict[str, Any]:
    ticket = copy.deepcopy(TICKET)
    ticket["routing"].update(changes)
    return ticket


def test_chatwoot_conversation_has_the_required_source_and_our_attributes() -> None:
    payload = chatwoot_conversation(TICKET, source_id="src-123", inbox_id=4, contact_id=99)
    assert payload["source_id"] == "src-123"  # the only field Chatwoot requires
    assert (payload["inbox_id"], payload["contact_id"]) == (4, 99)
    assert payload["status"] in {"open", "resolved", "pending"}
    assert payload["status"] == "open"
    attributes = payload["custom_attributes"]
    assert attributes["handoff_ticket_id"] == "tk_01"
    assert (attributes["team"], attributes["priority"]) == ("orders", "high")
    assert attributes["escalation_reason"] == "explicit_request"
    assert attributes["first_response_due"] == "2026-03-10T14:15:00.000Z"
    assert payload["additional_attributes"]["handoff_conversation_id"] == "conv-42"
    assert "contact_id" not in chatwoot_conversation(TICKET, source_id="s", inbox_id=4)


def test_a_resolved_ticket_exports_as_a_resolved_conversation() -> None:
    closed = {**TICKET, "status": "resolved"}
    assert chatwoot_conversation(closed, source_id="s", inbox_id=1)["status"] == "resolved"


def test_chatwoot_note_is_private_and_carries_the_whole_handoff() -> None:
    note = chatwoot_private_note(TICKET)
    assert note["private"] is True
    assert note["message_type"] == "outgoing"
    content = note["content"]
    assert content.startswith("Handoff tk_01 (conversation conv-42)")
    assert 'Wants: a refund - "I want my $480 back" (turn 1)' in content
    assert "\nWhy: asked for a person at turn 2\n" in content
    assert "Context: order number: HL-482913; money: $480" in content
    # what an agent reads carries no internal labels
    assert "explicit_request" not in content and "person_request" not in content
    assert "[2026-03-10T14:01:00Z] Customer: get me a manager" in content
    assert "Customer: id cust-7, email dana@example.com, tier vip" in content
    assert "Assistant: Refunds take 2 business days." in content
    assert "Routing: hierarchical: refund of USD 480.00" in content


def test_zendesk_ticket_has_subject_private_comment_requester_and_our_id() -> None:
    body = zendesk_ticket(TICKET)
    assert list(body) == ["ticket"]
    ticket = body["ticket"]
    assert ticket["subject"].startswith('[high] Wants: a refund - "I want my $480 back"')
    assert ticket["comment"] == {"body": handoff_note(TICKET), "public": False}
    assert ticket["requester"] == {"name": "dana", "email": "dana@example.com"}
    assert ticket["external_id"] == "tk_01"
    assert ticket["tags"] == [
        "handoff",
        "team_orders",
        "priority_high",
        "escalation_explicit_request",
        "escalation_type_hierarchical",
        "tier_vip",
    ]
    assert all(" " not in tag for tag in ticket["tags"])


@pytest.mark.parametrize(
    ("ours", "zendesk"),
    [("urgent", "urgent"), ("high", "high"), ("normal", "normal"), ("low", "low")],
)
def test_our_priority_maps_to_zendesk_priority(ours: str, zendesk: str) -> None:
    assert zendesk_ticket(with_routing(priority=ours))["ticket"]["priority"] == zendesk


def test_zendesk_subject_is_cut_to_150_characters() -> None:
    long = {**TICKET, "summary": "x" * 400}
    assert len(zendesk_ticket(long)["ticket"]["subject"]) == 150


def test_without_an_email_zendesk_gets_no_requester() -> None:
    anonymous = copy.deepcopy(TICKET)
    anonymous["customer"] = {
        "id": None,
        "tier": None,
        "verified": False,
        "email": None,
        "phone": None,
    }
    assert "requester" not in zendesk_ticket(anonymous)["ticket"]
    assert "Customer: " in handoff_note(anonymous)


def test_zendesk_custom_fields_map_ticket_values_to_field_ids() -> None:
    body = zendesk_ticket(TICKET, custom_field_ids={"team": 360001, "first_response_due": 360002})
    assert body["ticket"]["custom_fields"] == [
        {"id": 360001, "value": "orders"},
        {"id": 360002, "value": "2026-03-10T14:15:00.000Z"},
    ]
    with pytest.raises(AdapterError, match="colour"):
        zendesk_ticket(TICKET, custom_field_ids={"colour": 1})


def test_an_incomplete_ticket_is_refused_with_every_problem() -> None:
    broken = {**with_routing(priority="critical"), "summary": "", "customer": None}
    with pytest.raises(AdapterError) as raised:
        zendesk_ticket(broken)
    message = str(raised.value)
    assert "summary" in message and "priority='critical'" in message and "customer" in message
    with pytest.raises(AdapterError, match="route the ticket before exporting"):
        chatwoot_private_note({**TICKET, "routing": None})
    with pytest.raises(AdapterError, match="source_id"):
        chatwoot_conversation(TICKET, source_id="", inbox_id=1)
