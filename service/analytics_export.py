"""The analytics as CSV (`GET /agent/analytics/export.csv?view=metrics|conversations|agents`):
one header row, then one row per figure, conversation or agent; quoted by Python's csv module
(a comma, quote or line break in a value is quoted, quotes doubled). A text cell that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a
leading apostrophe, so an exported file is safe to open.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from metrics.compute import Metrics
from metrics.rates import Distribution, Rate
from metrics.sessions import Session
from service.desk.analytics import AgentRow

Cell = str | int | float | bool | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
METRICS_HEADER = (
    "metric", "group", "kind", "value", "numerator", "denominator", "count", "mean", "p50", "p90",
)  # fmt: skip
CONVERSATIONS_HEADER = (
    "conversation_id", "session", "started_at", "ended_at", "outcome", "channel", "first_intent",
    "last_article", "reason", "escalation_type", "team", "priority", "explicit", "ticket_id",
    "agent_id", "closed_as", "abandoned_at", "csat", "ces", "customer_key", "value",
)  # fmt: skip
AGENTS_HEADER = (
    "agent_id", "name", "tickets", "first_response_p50_seconds", "handling_p50_seconds",
    "csat_mean", "csat_count", "reask_rate", "reask_numerator", "reask_denominator", "qa_score",
)  # fmt: skip


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return out.getvalue()


def metrics_rows(metrics: Metrics) -> list[list[Cell]]:
    rows = [_rate_row(name, None, rate) for name, rate in metrics.rates.items()]
    for name, groups in metrics.breakdowns.items():
        rows += [_rate_row(name, group, rate) for group, rate in groups.items()]
    for name, figure in (*metrics.times.items(), *metrics.scores.items()):
        rows.append(_distribution_row(name, figure))
    return rows


def conversation_rows(rows: Iterable[tuple[Session, float | None]]) -> list[list[Cell]]:
    found = []
    for session, value in rows:
        record = session.record
        escalation, ticket, survey = record.escalation, record.ticket, record.survey
        found.append(
            [
                record.conversation_id,
                record.session,
                record.started_at,
                record.ended_at,
                record.outcome,
                record.channel,
                record.first_intent,
                record.articles[-1] if record.articles else None,
                escalation.reason if escalation else None,
                escalation.escalation_type if escalation else None,
                escalation.team if escalation else None,
                escalation.priority if escalation else None,
                escalation.explicit if escalation else None,
                ticket.ticket_id if ticket else None,
                ticket.agent_id if ticket else None,
                ticket.closed_as if ticket else None,
                record.abandoned_at,
                survey.csat if survey else None,
                survey.ces if survey else None,
                record.customer_key,
                value,
            ]
        )
    return found


def agent_rows(rows: Iterable[AgentRow]) -> list[list[Cell]]:
    found: list[list[Cell]] = []
    for row in rows:
        figures = row.figures
        found.append(
            [
                figures.agent_id,
                row.profile.name if row.profile else None,
                figures.tickets,
                figures.first_response.p50,
                figures.handling.p50,
                _round(figures.csat.mean),
                figures.csat.count,
                _round(figures.reask.value),
                figures.reask.numerator,
                figures.reask.denominator,
                _round(figures.qa_score),
            ]
        )
    return found


def _rate_row(name: str, group: str | None, rate: Rate) -> list[Cell]:
    counts: list[Cell] = [_round(rate.value), rate.numerator, rate.denominator]
    return [name, group, "rate", *counts, None, None, None, None]


def _distribution_row(name: str, figure: Distribution) -> list[Cell]:
    spread: list[Cell] = [figure.count, _round(figure.mean), figure.p50, figure.p90]
    return [name, None, "distribution", None, None, None, *spread]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _safe(cell: Cell) -> Cell:
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return "" if cell is None else cell
