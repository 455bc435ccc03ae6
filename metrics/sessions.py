"""An outcome record with its times as numbers and its own facts (what it counts toward,
metrics/record_facts.py): what every computation of metrics/ iterates over. Parsing 100,000
records' times and deciding their facts takes most of a second, so callers that keep records
(the service's cache) keep them as `Session`s and do it once per record.

Pure and standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from infra.clock import parse_time
from metrics.bulk import collector_paused
from metrics.record_facts import RecordFacts, record_facts
from outcomes.record import OutcomeRecord


class Session(NamedTuple):
    """(A named tuple: made 100,000 times per load, faster than a frozen dataclass.)"""

    record: OutcomeRecord
    key: str
    """The record's key: "{conversation_id}:{session}"."""
    start: float
    """started_at as POSIX seconds: the session belongs to the window this falls in."""
    end: float
    facts: RecordFacts
    """What the record counts toward on its own (metrics/definitions.py)."""

    @classmethod
    def of(cls, record: OutcomeRecord) -> Session:
        ticket = record.ticket
        times = (
            _seconds(ticket.created_at) if ticket else None,
            _seconds(ticket.first_agent_message_at) if ticket else None,
            _seconds(ticket.closed_at) if ticket else None,
        )
        return cls(
            record,
            record.key,
            parse_time(record.started_at).timestamp(),
            parse_time(record.ended_at).timestamp(),
            record_facts(record, *times),
        )


def sessions_of(records: Iterable[OutcomeRecord]) -> list[Session]:
    with collector_paused():  # a million small objects, no cycles (metrics/bulk.py)
        return [Session.of(record) for record in records]


def _seconds(text: str | None) -> float | None:
    return None if text is None else parse_time(text).timestamp()
