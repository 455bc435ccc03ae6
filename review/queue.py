"""An entry of the QA review queue: which session, why it was sampled, and what its outcome
record says about it (ids, labels and counts only: no customer text). Pure."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from outcomes.record import OutcomeRecord


@dataclass(frozen=True)
class QueueEntry:
    key: str
    conversation_id: str
    session: str
    sampled_by: tuple[str, ...]
    sampled_at: str
    outcome: str
    ended_at: str
    turns: int = 0
    first_intent: str | None = None
    escalation_reason: str | None = None
    escalation_turn: int | None = None
    ticket_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> QueueEntry:
        data = json.loads(text)
        return cls(**{**data, "sampled_by": tuple(data.get("sampled_by", ()))})


def queue_entry(record: OutcomeRecord, sampled_by: tuple[str, ...], sampled_at: str) -> QueueEntry:
    escalation = record.escalation
    return QueueEntry(
        key=record.key,
        conversation_id=record.conversation_id,
        session=record.session,
        sampled_by=sampled_by,
        sampled_at=sampled_at,
        outcome=record.outcome,
        ended_at=record.ended_at,
        turns=record.turns,
        first_intent=record.first_intent,
        escalation_reason=escalation.reason if escalation else None,
        escalation_turn=escalation.turn if escalation else None,
        ticket_id=record.ticket.ticket_id if record.ticket else None,
    )
