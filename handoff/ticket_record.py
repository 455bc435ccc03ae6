"""A stored ticket: the ticket itself plus what the service tracks around it.

The ticket (handoff/ticket/model.py) is what an agent reads; the record adds who owns it now, when
it was first answered and closed, the SLA breaches already fired, the private notes, whether
it went to the offline path, the customer's satisfaction rating (CSAT) of a resolved chat, and
whether the resolving agent said a person was needed at all (`escalation_needed`).
Pure: `to_fields`/`from_fields` give the flat string form the store keeps in one Redis hash,
`sla_timers` and `conversation_state` derive the store's indexes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, cast

from handoff.routing.config import Priority
from handoff.routing.sla import SLA_KINDS, breach_key
from handoff.ticket.model import AgentTurn, CustomerTurn, Routing, Ticket
from handoff.vocabulary import OPEN_TICKET_STATUSES
from infra.clock import parse_time

ConversationState = Literal["bot", "waiting", "agent", "closed"]
"""handoff/vocabulary.py's CONVERSATION_STATES, as a type."""
STATE_OF_STATUS: dict[str, ConversationState] = {
    "new": "bot",
    "waiting": "waiting",
    "assigned": "agent",
    "resolved": "closed",
    "closed": "closed",
    "handed_back": "bot",
    "cancelled": "bot",
}


class RecordFormatError(ValueError):
    """A stored record that cannot be read back."""


@dataclass(frozen=True)
class Note:
    """A private note: agents see it, the customer never does. Text is masked."""

    at: str
    by: str
    text: str


@dataclass(frozen=True)
class Csat:
    """The customer's rating of a resolved chat: 1-5 and an optional comment (masked)."""

    rating: int
    comment: str | None
    at: str


@dataclass(frozen=True)
class FollowUpEmail:
    """The address a customer gave, with consent, for the team's reply by email
    (handoff/follow_up_email.py): when they consented, and whether they typed it (`typed`) or
    said yes to the one the assistant proposed (`claim`: the signed customer claim's,
    `conversation`: one they had typed earlier)."""

    address: str
    consent_at: str
    source: str


@dataclass(frozen=True)
class TicketRecord:
    ticket: Ticket
    idempotency_key: str
    agent_id: str | None = None
    first_response_at: str | None = None
    closed_at: str | None = None
    offline: bool = False
    follow_up_by: str | None = None
    fired_breaches: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    csat: Csat | None = None
    escalation_needed: bool = True
    """False when the agent who resolved the chat marked that a person was not needed (the
    over-escalation QA sample and metric)."""
    email_offered: bool = False
    """The customer was offered the reply by email (offline, with mail set up)."""
    follow_up_email: FollowUpEmail | None = None
    follow_up_declined: bool = False
    """The customer said no to a follow-up email; they are not asked again."""

    @property
    def ticket_id(self) -> str:
        return self.ticket.ticket_id

    @property
    def conversation_id(self) -> str:
        return self.ticket.conversation_id

    @property
    def status(self) -> str:
        return self.ticket.status

    @property
    def routing(self) -> Routing:
        if self.ticket.routing is None:
            raise RecordFormatError(f"ticket {self.ticket_id} is stored without routing")
        return self.ticket.routing

    @property
    def team(self) -> str:
        return self.routing.team

    @property
    def priority(self) -> Priority:
        return cast(Priority, self.routing.priority)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TICKET_STATUSES

    @property
    def customer_id(self) -> str | None:
        """The verified customer id (the erasure index); None for anonymous customers."""
        customer = self.ticket.customer
        return customer.id if customer.verified else None

    @property
    def customer_key(self) -> str:
        """Who the customer is when counting customers (incidents): the verified id, else the
        conversation."""
        return self.customer_id or f"conversation:{self.conversation_id}"

    @property
    def assigned_at(self) -> datetime | None:
        """When the current owner got the ticket (the latest assignment in the history)."""
        for change in reversed(self.ticket.status_history):
            if change.status == "assigned" and change.note and change.note.startswith("assigned"):
                return parse_time(change.at)
        return None

    @property
    def awaits_agent_reply(self) -> bool:
        """The customer waits for the agent's reply: their message is the latest in the
        transcript (the assistant's words do not count), so a chat no agent has answered yet
        waits too; after an agent's reply it waits only once the customer writes again."""
        for turn in reversed(self.ticket.transcript):
            if isinstance(turn, CustomerTurn):
                return True
            if isinstance(turn, AgentTurn):
                return False
        return False

    @property
    def conversation_state(self) -> ConversationState:
        return STATE_OF_STATUS[self.status]

    def sla_timers(self) -> dict[str, datetime]:
        """The SLA timers this record needs now: breach key -> due time. An open ticket keeps
        its resolution timer and, until an agent replied, its first-response timer; a breach
        already fired for the same due time is not set again."""
        if not self.is_open:
            return {}
        timers = {}
        for kind in SLA_KINDS:
            due_text = getattr(self.routing, f"{kind}_due")
            if due_text is None or (kind == "first_response" and self.first_response_at):
                continue
            due = parse_time(due_text)
            key = breach_key(self.ticket_id, kind, due)
            if key not in self.fired_breaches:
                timers[key] = due
        return timers

    def to_fields(self) -> dict[str, str]:
        """The flat string form kept in one Redis hash."""
        return {
            "ticket": json.dumps(self.ticket.to_dict(), ensure_ascii=False),
            "idempotency_key": self.idempotency_key,
            "agent_id": self.agent_id or "",
            "first_response_at": self.first_response_at or "",
            "closed_at": self.closed_at or "",
            "offline": "1" if self.offline else "0",
            "follow_up_by": self.follow_up_by or "",
            "fired_breaches": json.dumps(list(self.fired_breaches)),
            "notes": json.dumps([asdict(note) for note in self.notes], ensure_ascii=False),
            "csat": _json_or_empty(self.csat),
            "escalation_needed": "1" if self.escalation_needed else "0",
            "follow_up_email": _json_or_empty(self.follow_up_email),
            "email_offered": "1" if self.email_offered else "0",
            "follow_up_declined": "1" if self.follow_up_declined else "0",
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> TicketRecord:
        try:
            return cls(
                ticket=Ticket.from_dict(json.loads(fields["ticket"])),
                idempotency_key=fields["idempotency_key"],
                agent_id=fields.get("agent_id") or None,
                first_response_at=fields.get("first_response_at") or None,
                closed_at=fields.get("closed_at") or None,
                offline=fields.get("offline") == "1",
                follow_up_by=fields.get("follow_up_by") or None,
                fired_breaches=tuple(json.loads(fields.get("fired_breaches") or "[]")),
                notes=tuple(Note(**note) for note in json.loads(fields.get("notes") or "[]")),
                csat=Csat(**json.loads(fields["csat"])) if fields.get("csat") else None,
                escalation_needed=fields.get("escalation_needed") != "0",
                follow_up_email=(
                    FollowUpEmail(**json.loads(fields["follow_up_email"]))
                    if fields.get("follow_up_email")
                    else None
                ),
                email_offered=fields.get("email_offered") == "1",
                follow_up_declined=fields.get("follow_up_declined") == "1",
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RecordFormatError(f"unreadable ticket record: {error}") from error

    def to_json(self) -> dict[str, Any]:
        """What an agent reads: the ticket and the service's view of it."""
        return {
            "ticket": self.ticket.to_dict(),
            "agent_id": self.agent_id,
            "first_response_at": self.first_response_at,
            "closed_at": self.closed_at,
            "offline": self.offline,
            "follow_up_by": self.follow_up_by,
            "notes": [asdict(note) for note in self.notes],
            "csat": asdict(self.csat) if self.csat else None,
            "escalation_needed": self.escalation_needed,
            "conversation_state": self.conversation_state,
            "follow_up_email": asdict(self.follow_up_email) if self.follow_up_email else None,
        }


def _json_or_empty(value: Any) -> str:
    return json.dumps(asdict(value), ensure_ascii=False) if value is not None else ""
