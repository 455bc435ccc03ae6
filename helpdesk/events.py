"""Help-desk events from one ticket write, as pure data: the record before (None for a new
ticket) and after in, zero or more events out.

    created      a new ticket: the summary, why it escalated and the masked transcript so far
    assigned     the ticket's agent or team changed (agent_id null: back in a team queue)
    message      a customer or agent turn was added to the transcript (one event per turn)
    resolved, handed_back, cancelled, closed
                 the ticket closed with that status (handoff/vocabulary.py)

Every event has a stable id derived from the ticket, never from a clock or a counter: the same
write always gives the same ids, so a receiver can use the id (and the `Idempotency-Key` built
from it) to drop a repeat. Customer text is the ticket's, masked when the ticket was built or the
turn added; nothing here reads anything else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handoff.ticket.model import AgentTurn, CustomerTurn, TranscriptTurn
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import CLOSED_TICKET_STATUSES

CREATED = "created"
ASSIGNED = "assigned"
MESSAGE = "message"
EVENT_KINDS = (CREATED, ASSIGNED, MESSAGE, *CLOSED_TICKET_STATUSES)
SCHEMA_VERSION = 1


class EventFormatError(ValueError):
    """A stream entry that is not a help-desk event."""


@dataclass(frozen=True)
class HelpdeskEvent:
    """One event: `teams` says whose targets get it (the ticket's team, and the team it left on
    a transfer), `body` is the JSON every target builds its requests from (a webhook gets it as
    it is)."""

    event_id: str
    kind: str
    ticket_id: str
    teams: tuple[str, ...]
    body: dict[str, Any]

    def to_fields(self) -> dict[str, str]:
        """The stream entry's fields (no customer text outside `body`)."""
        return {
            "event_id": self.event_id,
            "kind": self.kind,
            "ticket_id": self.ticket_id,
            "teams": " ".join(self.teams),
            "body": json.dumps(self.body, ensure_ascii=False, separators=(",", ":")),
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> HelpdeskEvent:
        try:
            body = json.loads(fields["body"])
            if not isinstance(body, dict):
                raise ValueError("body is not a JSON object")
            return cls(
                event_id=fields["event_id"],
                kind=fields["kind"],
                ticket_id=fields["ticket_id"],
                teams=tuple(fields["teams"].split()),
                body=body,
            )
        except (KeyError, ValueError) as error:
            raise EventFormatError(f"not a help-desk event: {error}") from error

    @property
    def ticket(self) -> dict[str, Any]:
        """The ticket's facts at the event: ids, team, status, priority, agent, summary, why."""
        facts: dict[str, Any] = self.body["ticket"]
        return facts


def events_of(old: TicketRecord | None, new: TicketRecord) -> list[HelpdeskEvent]:
    """What the help desks hear of one write, in order: created, then each added customer or
    agent turn, then an owner or team change, then the closing."""
    ticket_id = new.ticket_id
    facts = ticket_facts(new)
    at = new.ticket.updated_at
    teams: tuple[str, ...] = (new.team,)
    if old is not None and old.team != new.team:
        teams = (new.team, old.team)

    def event(event_id: str, kind: str, when: str | None = None, **extra: Any) -> HelpdeskEvent:
        body = {"version": SCHEMA_VERSION, "event_id": event_id, "kind": kind, "at": when or at}
        return HelpdeskEvent(event_id, kind, ticket_id, teams, {**body, "ticket": facts, **extra})

    transcript = new.ticket.transcript
    events: list[HelpdeskEvent] = []
    if old is None:
        turns = [turn_json(turn) for turn in transcript]
        events.append(event(f"{ticket_id}:created", CREATED, transcript=turns))
        before_turns, before_agent, before_team, before_status = len(transcript), None, new.team, ""
    else:
        before_turns = len(old.ticket.transcript)
        before_agent, before_team, before_status = old.agent_id, old.team, old.status
    for index in range(before_turns, len(transcript)):
        turn = transcript[index]
        if isinstance(turn, CustomerTurn | AgentTurn):
            event_id = f"{ticket_id}:message:{index + 1}"
            events.append(event(event_id, MESSAGE, turn.at, message=turn_json(turn)))
    if new.agent_id != before_agent or new.team != before_team:
        step = len(new.ticket.status_history)
        moved = {"previous_team": before_team} if new.team != before_team else {}
        events.append(event(f"{ticket_id}:assigned:{step}", ASSIGNED, **moved))
    if new.status != before_status and new.status in CLOSED_TICKET_STATUSES:
        note = new.ticket.status_history[-1].note if new.ticket.status_history else None
        events.append(event(f"{ticket_id}:{new.status}", new.status, note=note))
    return events


def ticket_facts(record: TicketRecord) -> dict[str, Any]:
    """The ticket as every event carries it: short, no transcript."""
    ticket = record.ticket
    decision = ticket.escalation_decision or {}
    customer = ticket.customer
    return {
        "ticket_id": record.ticket_id,
        "conversation_id": record.conversation_id,
        "created_at": ticket.created_at,
        "status": record.status,
        "team": record.team,
        "agent_id": record.agent_id,
        "priority": record.priority,
        "escalation_type": record.routing.escalation_type,
        "escalation_reason": decision.get("reason"),
        "summary": ticket.summary,
        "customer": {
            "id": customer.id if customer.verified else None,
            "tier": customer.tier if customer.verified else None,
            "email": customer.email,
        },
        "first_response_due": record.routing.first_response_due,
        "resolution_due": record.routing.resolution_due,
    }


def turn_json(turn: TranscriptTurn) -> dict[str, Any]:
    """One transcript turn as the events carry it: who, what (masked), when."""
    plain: dict[str, Any] = {"speaker": turn.speaker, "text": turn.text, "at": turn.at}
    if isinstance(turn, AgentTurn):
        plain["agent_id"] = turn.agent_id
    return plain
