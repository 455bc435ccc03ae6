"""The handoff ticket: typed, versioned, immutable dataclasses with a JSON form.

`Ticket.to_dict()` gives plain JSON-ready data; `Ticket.from_dict()` validates such data against
the published JSON Schema (handoff/ticket/schema/ticket.v1.schema.json) and raises
`TicketFormatError` listing every problem. No clock, no I/O except reading the schema file once, on
first use.

Turn numbers are 1-based customer-turn numbers everywhere (transcript, articles shown,
extracted context), the same numbering as the escalation decision record.
A ticket starts unrouted (`routing` is None, status "new"); the routing module adds `Routing`
with `with_routing`, and every later change goes through `with_status`, which appends to the
status history.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from handoff.vocabulary import TICKET_STATUSES
from infra.clock import iso_utc

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schema") / "ticket.v1.schema.json"
ESCALATION_TYPES = ("functional", "hierarchical", "priority", "automated")
PRIORITIES = ("urgent", "high", "normal", "low")
FEEDBACK_VALUES = ("helpful", "not_helpful", "none")


class TicketFormatError(ValueError):
    """Data that is not a valid ticket; the message lists every problem with its path."""


def iso_from_timestamp(seconds: float) -> str:
    """A Rasa event timestamp (Unix seconds) as ISO 8601 UTC."""
    return iso_utc(datetime.fromtimestamp(seconds, tz=timezone.utc))


@dataclass(frozen=True)
class Customer:
    """Who the customer is. id and tier come only from a verified source (the gateway);
    email and phone are what the customer gave in the conversation."""

    id: str | None = None
    tier: str | None = None
    verified: bool = False
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Entity:
    """An entity Rasa's NLU found in a customer turn (value as text)."""

    entity: str
    value: str


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class CustomerTurn:
    """What the customer said. `button` is the title of the button they pressed, if any; `via`
    is how it reached the team: `chat`, or `email` (a reply to a follow-up mail)."""

    turn: int
    text: str
    at: str | None
    intent: str | None = None
    confidence: float | None = None
    entities: tuple[Entity, ...] = ()
    button: str | None = None
    speaker: str = "customer"
    via: str = "chat"


@dataclass(frozen=True)
class BotTurn:
    """What the bot said; `turn` is the customer turn it answers (0: before they spoke)."""

    turn: int
    text: str
    at: str | None
    buttons: tuple[Button, ...] = ()
    speaker: str = "bot"


@dataclass(frozen=True)
class AgentTurn:
    """What a person on the team sent the customer after the handoff; `turn` is the number of
    customer turns before it."""

    turn: int
    text: str
    at: str | None
    agent_id: str
    speaker: str = "agent"


TranscriptTurn = CustomerTurn | BotTurn | AgentTurn


@dataclass(frozen=True)
class ArticleShown:
    """One knowledge-base lookup (a kb_history entry). article_id is None when nothing came
    close enough to show; answered is False when only the closest titles were offered.
    article_version (the content hash of the article's text as served) and article_updated
    (its front matter's `updated`, YYYY-MM-DD) say which text the customer read; None in
    tickets and conversations from before they were recorded. section is the heading of the
    section that answered ("" for the introduction); None when only titles were offered or
    from before it was recorded."""

    article_id: str | None
    title: str | None
    score: float | None
    answered: bool
    feedback: str = "none"
    turn: int | None = None
    article_version: str | None = None
    article_updated: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class ContextItem:
    """Something the customer mentioned: kind (order_number, amount, date, email, ...),
    normalised value, the words it came from, its turn, and how it was found."""

    kind: str
    value: str
    text: str
    turn: int
    source: str
    currency: str | None = None


@dataclass(frozen=True)
class Routing:
    """Set by the routing module: how the ticket escalates, to whom, and by when.
    skill_team is the team with the skill when a supervisor team owns the ticket."""

    escalation_type: str
    priority: str
    team: str
    first_response_due: str | None
    resolution_due: str | None
    reasons: tuple[str, ...] = ()
    incident_id: str | None = None
    skill_team: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> Routing:
        """From the routing module's JSON (RoutingDecision.to_dict()), validated."""
        _validate(data, "routing", "invalid routing")
        assert isinstance(data, Mapping)
        return _routing({"skill_team": None, **data})


@dataclass(frozen=True)
class StatusChange:
    at: str
    status: str
    by: str
    note: str | None = None


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    conversation_id: str
    created_at: str
    updated_at: str
    channel: str
    customer: Customer
    transcript: tuple[TranscriptTurn, ...]
    articles_shown: tuple[ArticleShown, ...]
    context: tuple[ContextItem, ...]
    slots: dict[str, Any]
    escalation_decision: dict[str, Any] | None
    summary: str
    routing: Routing | None
    status: str
    status_history: tuple[StatusChange, ...]
    schema_version: int = SCHEMA_VERSION

    @property
    def customer_turns(self) -> tuple[CustomerTurn, ...]:
        return tuple(turn for turn in self.transcript if isinstance(turn, CustomerTurn))

    def with_status(self, status: str, *, at: datetime, by: str, note: str | None = None) -> Ticket:
        """A copy with the new status, recorded in the status history."""
        if status not in TICKET_STATUSES:
            raise ValueError(f"unknown ticket status {status!r} (known: {TICKET_STATUSES})")
        change = StatusChange(at=iso_utc(at), status=status, by=by, note=note)
        return replace(
            self,
            status=status,
            updated_at=change.at,
            status_history=(*self.status_history, change),
        )

    def with_routing(
        self,
        routing: Routing,
        *,
        at: datetime,
        by: str,
        status: str = "waiting",
        note: str | None = None,
    ) -> Ticket:
        """A copy routed (or re-routed) as `routing` says, with the status change recorded."""
        for value, known in (
            (routing.escalation_type, ESCALATION_TYPES),
            (routing.priority, PRIORITIES),
        ):
            if value not in known:
                raise ValueError(f"{value!r} is not one of {known}")
        return replace(self, routing=routing).with_status(status, at=at, by=by, note=note)

    def to_dict(self) -> dict[str, Any]:
        plain = _plain(self)
        assert isinstance(plain, dict)
        return plain

    @classmethod
    def from_dict(cls, data: object) -> Ticket:
        """Validate against the JSON Schema, then build; TicketFormatError lists problems."""
        validate_ticket_dict(data)
        assert isinstance(data, Mapping)
        return _ticket(data)


def validate_ticket_dict(data: object) -> None:
    """Raise TicketFormatError unless `data` is a valid version-1 ticket."""
    if isinstance(data, Mapping) and data.get("schema_version") not in (None, SCHEMA_VERSION):
        raise TicketFormatError(
            f"unsupported ticket schema_version {data.get('schema_version')!r} "
            f"(this code reads version {SCHEMA_VERSION})"
        )
    _validate(data, None, "invalid ticket")


def _validate(data: object, definition: str | None, heading: str) -> None:
    """Check data against the schema, or one of its $defs; list every problem."""
    import jsonschema  # not needed until data is read back

    schema = ticket_schema()
    if definition is not None:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(data)
    )
    if problems:
        raise TicketFormatError(f"{heading}:\n  - " + "\n  - ".join(problems))


@functools.cache
def ticket_schema() -> dict[str, Any]:
    """The published JSON Schema, read once."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _ticket(data: Mapping[str, Any]) -> Ticket:
    routing = data["routing"]
    return Ticket(
        ticket_id=data["ticket_id"],
        conversation_id=data["conversation_id"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        channel=data["channel"],
        customer=Customer(**data["customer"]),
        transcript=tuple(_turn(turn) for turn in data["transcript"]),
        articles_shown=tuple(ArticleShown(**item) for item in data["articles_shown"]),
        context=tuple(ContextItem(**item) for item in data["context"]),
        slots=dict(data["slots"]),
        escalation_decision=data["escalation_decision"],
        summary=data["summary"],
        routing=None if routing is None else _routing(routing),
        status=data["status"],
        status_history=tuple(StatusChange(**change) for change in data["status_history"]),
        schema_version=data["schema_version"],
    )


def _turn(data: Mapping[str, Any]) -> TranscriptTurn:
    if data["speaker"] == "customer":
        entities = tuple(Entity(**entity) for entity in data["entities"])
        return CustomerTurn(**{**data, "entities": entities})
    if data["speaker"] == "agent":
        return AgentTurn(**data)
    return BotTurn(**{**data, "buttons": tuple(Button(**button) for button in data["buttons"])})


def _routing(data: Mapping[str, Any]) -> Routing:
    return Routing(**{**data, "reasons": tuple(data["reasons"])})
