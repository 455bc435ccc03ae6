"""Export a handoff ticket to the help desk a company already uses: Chatwoot or Zendesk.

Pure functions from a plain ticket dict to request bodies; sending them (with the desk's
credentials, timeouts and error handling) is the caller's job. The ticket dict is
`Ticket.to_dict()` of a routed ticket (handoff/ticket/model.py, schema in handoff/ticket/schema/):

    ticket_id, conversation_id, status, summary, customer {id, tier, email, phone, ...},
    transcript [{speaker, text, at, ...}], context [{kind, value, ...}],
    escalation_decision {reason, signals, ...} or null,
    routing {team, priority (urgent|high|normal|low), escalation_type, first_response_due,
             resolution_due, reasons, incident_id, skill_team}

The ticket is already redacted (card numbers masked) before it gets here; nothing is added.

Chatwoot, Application API (https://developers.chatwoot.com/api-reference/conversations/
create-new-conversation; request schemas in github.com/chatwoot/chatwoot
swagger/definitions/request/conversation/create_payload.yml and create_message_payload.yml):
- POST /api/v1/accounts/{account_id}/conversations with source_id (required: the contact
  inbox's source id), inbox_id, contact_id, status (open|resolved|pending),
  additional_attributes, custom_attributes;
- POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages with content
  (required), message_type (outgoing|incoming) and private (true = a private note).
The transcript goes into the private note rather than being replayed as messages: an
outgoing message in an API inbox is delivered to the customer again.

Zendesk Support API (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
#create-ticket; comments: .../ticketing/tickets/ticket_comments/): POST /api/v2/tickets with
{"ticket": {subject, comment {body, public}, requester {name, email}, priority
(urgent|high|normal|low), tags, external_id, custom_fields [{id, value}]}}. The first comment
is private (public: false): an internal note for agents, never e-mailed to the customer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

PRIORITY_TO_ZENDESK = {"urgent": "urgent", "high": "high", "normal": "normal", "low": "low"}
"""Our four priorities are Zendesk's four; the map is explicit so a change is deliberate."""
CLOSED_STATUSES = frozenset({"resolved", "closed", "cancelled", "handed_back"})
SPEAKER_LABELS = {"customer": "Customer", "bot": "Assistant", "agent": "Agent"}
ZENDESK_SUBJECT_MAX = 150
TAG_UNSAFE = re.compile(r"[^a-z0-9_:-]+")


class AdapterError(ValueError):
    """The ticket lacks what a desk needs; the message lists every missing or bad field."""


def chatwoot_conversation(
    ticket: Mapping[str, Any], *, source_id: str, inbox_id: int, contact_id: int | None = None
) -> dict[str, Any]:
    """Body of Chatwoot's create-conversation request for this ticket."""
    _check(ticket)
    if not source_id:
        raise AdapterError("source_id is required by Chatwoot (the contact inbox's source id)")
    routing = ticket["routing"]
    payload: dict[str, Any] = {
        "source_id": source_id,
        "inbox_id": inbox_id,
        "status": "resolved" if ticket.get("status") in CLOSED_STATUSES else "open",
        "additional_attributes": {
            "handoff_conversation_id": ticket["conversation_id"],
            "handoff_summary": ticket["summary"],
        },
        "custom_attributes": {
            "handoff_ticket_id": ticket["ticket_id"],
            "team": routing["team"],
            "priority": routing["priority"],
            "escalation_reason": _decision(ticket).get("reason"),
            "escalation_type": routing.get("escalation_type"),
            "first_response_due": routing.get("first_response_due"),
            "resolution_due": routing.get("resolution_due"),
            "incident_id": routing.get("incident_id"),
            "customer_tier": ticket["customer"].get("tier"),
        },
    }
    if contact_id is not None:
        payload["contact_id"] = contact_id
    return payload


def chatwoot_private_note(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """Body of Chatwoot's create-message request: a private note agents see, customers not."""
    _check(ticket)
    return {"content": handoff_note(ticket), "message_type": "outgoing", "private": True}


def zendesk_ticket(
    ticket: Mapping[str, Any], *, custom_field_ids: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Body of Zendesk's create-ticket request.

    `custom_field_ids` maps ticket keys (e.g. "team", "first_response_due", "escalation_reason")
    to the ids of custom ticket fields the company created in Zendesk; unknown keys are refused.
    """
    _check(ticket)
    customer = ticket["customer"]
    body: dict[str, Any] = {
        "subject": _subject(ticket),
        "comment": {"body": handoff_note(ticket), "public": False},
        "priority": PRIORITY_TO_ZENDESK[ticket["routing"]["priority"]],
        "tags": _tags(ticket),
        "external_id": ticket["ticket_id"],
    }
    if customer.get("email"):
        body["requester"] = {
            "name": customer.get("name") or customer["email"].split("@")[0],
            "email": customer["email"],
        }
    if custom_field_ids:
        values = _field_values(ticket)
        unknown = sorted(set(custom_field_ids) - set(values))
        if unknown:
            raise AdapterError(f"no ticket value for custom fields {unknown}: use {sorted(values)}")
        body["custom_fields"] = [
            {"id": field_id, "value": values[key]} for key, field_id in custom_field_ids.items()
        ]
    return {"ticket": body}


def handoff_note(ticket: Mapping[str, Any]) -> str:
    """Plain text an agent reads top-down: summary, why, priority and SLA, context, transcript."""
    routing = ticket["routing"]
    customer = ticket["customer"]
    lines = [
        f"Handoff {ticket['ticket_id']} (conversation {ticket['conversation_id']})",
        # what the customer wants, what was tried and why it escalated, in plain words
        *ticket["summary"].strip().splitlines(),
        f"Team: {routing['team']} | Priority: {routing['priority']}"
        + (f" | Incident: {routing['incident_id']}" if routing.get("incident_id") else ""),
        f"First response due: {routing.get('first_response_due') or '-'}"
        f" | Resolution due: {routing.get('resolution_due') or '-'}",
        "Customer: "
        + ", ".join(
            f"{key} {customer[key]}"
            for key in ("id", "name", "email", "phone", "tier")
            if customer.get(key)
        ),
    ]
    for reason in routing.get("reasons") or ():
        lines.append(f"Routing: {reason}")
    context = ticket.get("context") or []
    if context:
        lines.append("Context: " + "; ".join(f"{_words(c['kind'])}: {c['value']}" for c in context))
    lines.append("")
    lines.append("Transcript:")
    for turn in ticket["transcript"]:
        speaker = SPEAKER_LABELS.get(turn.get("speaker"), str(turn.get("speaker")))
        lines.append(f"[{_when(turn.get('at'))}] {speaker}: {turn.get('text', '')}")
    return "\n".join(lines)


def _check(ticket: Mapping[str, Any]) -> None:
    problems = []
    for key in ("ticket_id", "conversation_id", "summary"):
        if not isinstance(ticket.get(key), str) or not ticket[key].strip():
            problems.append(f"{key} must be non-empty text")
    routing = ticket.get("routing")
    if not isinstance(routing, Mapping):
        problems.append("routing is missing: route the ticket before exporting it")
    else:
        if not isinstance(routing.get("team"), str) or not routing["team"].strip():
            problems.append("routing.team must be non-empty text")
        if routing.get("priority") not in PRIORITY_TO_ZENDESK:
            problems.append(
                f"routing.priority={routing.get('priority')!r} must be one of "
                "urgent/high/normal/low"
            )
    if not isinstance(ticket.get("customer"), Mapping):
        problems.append("customer must be a mapping")
    transcript = ticket.get("transcript")
    if not isinstance(transcript, list) or not all(isinstance(t, Mapping) for t in transcript):
        problems.append("transcript must be a list of turns")
    if problems:
        raise AdapterError("ticket cannot be exported: " + "; ".join(problems))


def _subject(ticket: Mapping[str, Any]) -> str:
    first_line = ticket["summary"].strip().splitlines()[0]
    subject = f"[{ticket['routing']['priority']}] {first_line}"
    if len(subject) > ZENDESK_SUBJECT_MAX:
        subject = subject[: ZENDESK_SUBJECT_MAX - 3].rstrip() + "..."
    return subject


def _tags(ticket: Mapping[str, Any]) -> list[str]:
    """Zendesk tags cannot contain spaces (a space separates tags): lower case, _ for the rest."""
    routing = ticket["routing"]
    raw = ["handoff", f"team_{routing['team']}", f"priority_{routing['priority']}"]
    reason = _decision(ticket).get("reason")
    if reason:
        raw.append(f"escalation_{reason}")
    if routing.get("escalation_type"):
        raw.append(f"escalation_type_{routing['escalation_type']}")
    if routing.get("incident_id"):
        raw.append("incident")
    tier = ticket["customer"].get("tier")
    if tier:
        raw.append(f"tier_{tier}")
    return [TAG_UNSAFE.sub("_", tag.lower()).strip("_") for tag in raw]


def _field_values(ticket: Mapping[str, Any]) -> dict[str, Any]:
    routing = ticket["routing"]
    return {
        "ticket_id": ticket["ticket_id"],
        "conversation_id": ticket["conversation_id"],
        "team": routing["team"],
        "escalation_reason": _decision(ticket).get("reason"),
        "escalation_type": routing.get("escalation_type"),
        "first_response_due": routing.get("first_response_due"),
        "resolution_due": routing.get("resolution_due"),
        "incident_id": routing.get("incident_id"),
        "customer_tier": ticket["customer"].get("tier"),
    }


def _decision(ticket: Mapping[str, Any]) -> Mapping[str, Any]:
    decision = ticket.get("escalation_decision")
    return decision if isinstance(decision, Mapping) else {}


def _words(label: object) -> str:
    """A label as words for a person: "order_number" -> "order number"."""
    return str(label).replace("_", " ")


def _when(at: object) -> str:
    if isinstance(at, datetime):
        return at.isoformat(timespec="seconds")
    return str(at) if at else "-"
