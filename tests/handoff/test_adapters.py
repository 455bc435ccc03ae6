"""Exports to Chatwoot and Zendesk carry the fields their public APIs document."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from handoff.adapters import (
    AdapterError,
    chatwoot_conversation,
    chatwoot_private_note,
    handoff_note,
    zendesk_ticket,
)

TICKET: dict[str, Any] = {
    "ticket_id": "tk_01",
    "conversation_id": "conv-42",
    "status": "waiting",
    "team": "orders",
    "priority": "high",
    "escalation_type": "hierarchical",
    "incident_id": None,
    "summary": "Wants a refund of $480 for order HL-482913; two answers did not help.",
    "customer": {"id": "cust-7", "name": "Dana Reyes", "email": "dana@example.com", "tier": "vip"},
    "transcript": [
        {"speaker": "customer", "text": "I want my $480 back", "at": "2026-03-10T14:00:00Z"},
        {"speaker": "bot", "text": "Refunds take 2 business days.", "at": "2026-03-10T14:00:02Z"},
        {"speaker": "customer", "text": "get me a manager", "at": "2026-03-10T14:01:00Z"},
    ],
    "context": [{"kind": "order_number", "value": "HL-482913"}, {"kind": "money", "value": "$480"}],
    "decision": {"reason": "explicit_request", "signals": [{"name": "person_request"}]},
    "sla": {
        "first_response_due": "2026-03-10T14:15:00.000Z",
        "resolution_due": "2026-03-10T18:00:00.000Z",
    },
    "reasons": ["hierarchical: refund of USD 480.00 is above the USD 250.00 limit"],
}


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
    assert "Why escalated: explicit_request (signals: person_request)" in content
    assert "Context: order_number: HL-482913; money: $480" in content
    assert "[2026-03-10T14:01:00Z] Customer: get me a manager" in content
    assert "Assistant: Refunds take 2 business days." in content
    assert "Routing: hierarchical: refund of USD 480.00" in content


def test_zendesk_ticket_has_subject_private_comment_requester_and_our_id() -> None:
    body = zendesk_ticket(TICKET)
    assert list(body) == ["ticket"]
    ticket = body["ticket"]
    assert ticket["subject"].startswith("[high] Wants a refund of $480")
    assert ticket["comment"] == {"body": handoff_note(TICKET), "public": False}
    assert ticket["requester"] == {"name": "Dana Reyes", "email": "dana@example.com"}
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
    assert zendesk_ticket({**TICKET, "priority": ours})["ticket"]["priority"] == zendesk


def test_zendesk_subject_is_cut_to_150_characters() -> None:
    long = {**TICKET, "summary": "x" * 400}
    assert len(zendesk_ticket(long)["ticket"]["subject"]) == 150


def test_without_an_email_zendesk_gets_no_requester() -> None:
    anonymous = copy.deepcopy(TICKET)
    anonymous["customer"] = {"id": "cust-8"}
    assert "requester" not in zendesk_ticket(anonymous)["ticket"]
    named_by_email = copy.deepcopy(TICKET)
    del named_by_email["customer"]["name"]
    assert zendesk_ticket(named_by_email)["ticket"]["requester"]["name"] == "dana"


def test_zendesk_custom_fields_map_ticket_values_to_field_ids() -> None:
    body = zendesk_ticket(TICKET, custom_field_ids={"team": 360001, "first_response_due": 360002})
    assert body["ticket"]["custom_fields"] == [
        {"id": 360001, "value": "orders"},
        {"id": 360002, "value": "2026-03-10T14:15:00.000Z"},
    ]
    with pytest.raises(AdapterError, match="colour"):
        zendesk_ticket(TICKET, custom_field_ids={"colour": 1})


def test_an_incomplete_ticket_is_refused_with_every_problem() -> None:
    broken = {**TICKET, "priority": "critical", "summary": "", "customer": {}}
    with pytest.raises(AdapterError) as raised:
        zendesk_ticket(broken)
    message = str(raised.value)
    assert "summary" in message and "priority='critical'" in message and "customer" in message
    with pytest.raises(AdapterError, match="source_id"):
        chatwoot_conversation(TICKET, source_id="", inbox_id=1)
