"""Hand-made outcome records for the metrics tests: times are minutes after T0 (a Tuesday
morning, 2026-03-10 09:00 UTC), everything else is said where it matters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from infra.clock import iso_utc
from metrics.compute import Metrics, build_context, compute
from metrics.sessions import Session, sessions_of
from metrics.verdicts import Verdict
from metrics.windows import Filters, Window, parse_window
from outcomes.record import Escalation, OutcomeRecord, Survey, TicketTimes

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)
MARCH = {"window": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def at(minutes: float) -> str:
    return iso_utc(T0 + timedelta(minutes=minutes))


def record(
    conversation_id: str = "c1", start: float = 0, length: float = 10, **fields: Any
) -> OutcomeRecord:
    """A contained session of `length` minutes starting `start` minutes after T0."""
    values: dict[str, Any] = {
        "session": at(start),
        "started_at": at(start),
        "ended_at": at(start + length),
        "outcome": "contained",
        "first_intent": "order_status",
        **fields,
    }
    return OutcomeRecord(conversation_id=conversation_id, **values)


def escalation(team: str = "billing", reason: str = "frustration", **fields: Any) -> Escalation:
    values: dict[str, Any] = {
        "escalation_type": "functional",
        "priority": "normal",
        "turn": 2,
        "explicit": reason == "explicit_request",
        **fields,
    }
    return Escalation(reason=reason, team=team, **values)


def ticket(
    created: float = 1,
    first: float | None = None,
    closed: float | None = None,
    **fields: Any,
) -> TicketTimes:
    """Times in minutes after T0."""
    return TicketTimes(
        ticket_id=fields.pop("ticket_id", "tk-1"),
        created_at=at(created),
        first_agent_message_at=None if first is None else at(first),
        closed_at=None if closed is None else at(closed),
        **fields,
    )


def escalated(conversation_id: str = "c1", start: float = 0, **fields: Any) -> OutcomeRecord:
    """A session handed to billing at minute start+1, answered after 3 minutes (2 of them in the
    queue), resolved after 20 by maya, both SLAs met."""
    values: dict[str, Any] = {
        "outcome": "escalated",
        "escalation": escalation(),
        "ticket": ticket(
            start + 1,
            start + 4,
            start + 21,
            closed_as="resolved",
            agent_id="maya",
            first_response_sla_met=True,
            resolution_sla_met=True,
            queue_wait_seconds=120.0,
            ticket_id=f"tk-{conversation_id}-{start:g}",
        ),
        "length": 40,
        **fields,
    }
    return record(conversation_id, start, **values)


def survey(
    audience: str = "bot", csat: int | None = 5, ces: int | None = 6, **fields: Any
) -> Survey:
    return Survey(audience=audience, csat=csat, ces=ces, **fields)  # type: ignore[arg-type]


def window(query: dict[str, str] | None = None) -> Window:
    return parse_window(query or MARCH, T0)


def metrics_of(
    records: list[OutcomeRecord],
    verdicts: tuple[Verdict, ...] = (),
    filters: Filters | None = None,
    query: dict[str, str] | None = None,
) -> Metrics:
    sessions = sessions_of(records)
    return compute(sessions, window(query), filters or Filters(), build_context(sessions, verdicts))


def sessions(records: list[OutcomeRecord]) -> list[Session]:
    return sessions_of(records)


def rate(metrics: Metrics, name: str) -> tuple[int, int, float | None]:
    figure = metrics.rates[name]
    return figure.numerator, figure.denominator, figure.value
