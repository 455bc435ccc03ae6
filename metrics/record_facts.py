"""What one outcome record counts toward on its own (its outcome, the assistant's actions on
orders, escalation, ticket times and survey), made once per record when it becomes a session
(metrics/sessions.py) and shared by every computation; what depends on other sessions (who came
back, the QA verdict) is added by metrics/definitions.py's `facts`. `Facts` is the list shape
both fill (definitions.py's docstring says what each list means).

Pure and standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from outcomes.record import OUTCOMES, ActionCount, OutcomeRecord, TicketTimes

CLOSED_BY_PEOPLE = ("resolved", "handed_back")
SESSION_SHARES = (
    "outcomes",
    "abandonment_by_where",
    "escalation_by_reason",
    "escalation_by_type",
    "escalation_by_team",
)
"""The breakdowns over all sessions."""
ACTIONS_BY_RESULT = "actions_by_result"
"""The breakdown over the sessions in which the assistant acted on an order."""
AUDIENCES = ("bot", "agent")
T = TypeVar("T")
_SHARED: dict[Any, Any] = {}
MAX_SHARED = 100_000
NO_VALUE = "none"
"""The group of a session without one (abandoned with no place recorded)."""


@dataclass
class Facts:
    rates: list[tuple[str, bool]] = field(default_factory=list)
    groups: list[tuple[str, str, bool]] = field(default_factory=list)
    shares: list[str] = field(default_factory=list)
    share_hits: list[tuple[str, str]] = field(default_factory=list)
    values: list[tuple[str, float]] = field(default_factory=list)


class RecordFacts(NamedTuple):
    """The facts that follow from the record alone, made once per record (metrics/sessions.py)
    of shared tuples: a computation over 100,000 sessions then mostly copies references."""

    rates: tuple[tuple[str, bool], ...]
    groups: tuple[tuple[str, str, bool], ...]
    shares: tuple[str, ...]
    share_hits: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, float], ...]


def record_facts(
    record: OutcomeRecord,
    ticket_created: float | None,
    first_agent_message: float | None,
    ticket_closed: float | None,
) -> RecordFacts:
    """The facts of one record; the ticket's times as POSIX seconds."""
    found = Facts()
    _outcome_facts(record, found)
    if record.ticket is not None:
        times = (ticket_created, first_agent_message, ticket_closed)
        _ticket_facts(record.ticket, times, found)
    if record.survey is not None:
        _survey_facts(record, found)
    return RecordFacts(
        _shared(found.rates),
        _shared(found.groups),
        tuple(found.shares),  # names: the same strings already
        _shared(found.share_hits),
        tuple(found.values),
    )


def _shared(items: list[T]) -> tuple[T, ...]:
    """The items as the one copy of each kept in _SHARED (labels are few; while the table is
    under its bound)."""
    if len(_SHARED) >= MAX_SHARED:
        return tuple(items)
    return tuple(map(_SHARED.setdefault, items, items))


def _outcome_rates(
    outcome: str, escalated: bool, resolved_with_action: bool
) -> tuple[tuple[str, bool], ...]:
    return (
        ("containment", outcome == "contained"),
        ("action_containment", resolved_with_action),
        ("escalation", escalated),
        ("after_hours", outcome == "after_hours"),
        ("abandonment", outcome == "abandoned"),
        ("withdrawal", outcome == "withdrawn"),
    )


OUTCOME_RATES = {
    (outcome, escalated, resolved): _outcome_rates(outcome, escalated, resolved)
    for outcome in OUTCOMES
    for escalated in (False, True)
    for resolved in (False, True)
}
"""The outcome rates' facts, made once (a few hundred thousand tuples less per 100,000)."""


def _outcome_facts(record: OutcomeRecord, found: Facts) -> None:
    escalation, outcome = record.escalation, record.outcome
    resolved = bool(record.actions) and record.resolved_with_action  # most records have none
    found.rates += OUTCOME_RATES[(outcome, escalation is not None, resolved)]
    found.shares += SESSION_SHARES
    found.share_hits.append(("outcomes", outcome))
    if record.actions:
        found.shares.append(ACTIONS_BY_RESULT)
        found.share_hits += [(ACTIONS_BY_RESULT, _action_group(item)) for item in record.actions]
    if outcome == "abandoned":
        found.share_hits.append(("abandonment_by_where", record.abandoned_at or NO_VALUE))
    if escalation is not None:
        found.rates.append(("explicit_request", escalation.explicit))
        found.share_hits += [
            ("escalation_by_reason", escalation.reason),
            ("escalation_by_type", escalation.escalation_type),
            ("escalation_by_team", escalation.team),
        ]
    escalated = escalation is not None
    if record.first_intent:
        found.groups.append(("escalation_by_intent", record.first_intent, escalated))
    if record.articles:
        found.groups.append(("escalation_by_article", record.articles[-1], escalated))


def _action_group(item: ActionCount) -> str:
    """`refund_issued`, `cancel_done`, `refund_needs_approval`: the action, then its result."""
    return f"{item.action}_{item.result}"


def _ticket_facts(
    ticket: TicketTimes, times: tuple[float | None, float | None, float | None], found: Facts
) -> None:
    if ticket.first_response_sla_met is not None:
        found.rates.append(("sla_first_response", ticket.first_response_sla_met))
    if ticket.resolution_sla_met is not None:
        found.rates.append(("sla_resolution", ticket.resolution_sla_met))
    if ticket.agent_id is not None:
        kinds = tuple(sorted(set(ticket.agent_reasks)))
        found.rates.append(("agent_reask", bool(kinds)))
        found.shares.append("agent_reask_by_kind")
        found.share_hits += [("agent_reask_by_kind", kind) for kind in kinds]
    created, first_message, closed = times
    wait = max(ticket.queue_wait_seconds or 0.0, 0.0)
    if ticket.queue_wait_seconds is not None:
        found.values.append(("queue_wait_seconds", wait))
    if created is None:
        return
    if first_message is not None:
        first = max(first_message - created, 0.0)
        found.values.append(("first_response_seconds", first))
        if ticket.agent_id is not None:
            found.values.append(("agent_first_response_seconds", max(first - wait, 0.0)))
    if closed is not None and ticket.closed_as in CLOSED_BY_PEOPLE:
        resolution = max(closed - created, 0.0)
        found.values.append(("resolution_seconds", resolution))
        if ticket.agent_id is not None:
            found.values.append(("handling_seconds", max(resolution - wait, 0.0)))


def _survey_facts(record: OutcomeRecord, found: Facts) -> None:
    survey = record.survey
    assert survey is not None
    audience = survey.audience
    if audience not in AUDIENCES:
        return
    csat = survey.csat if survey.csat in range(1, 6) else None
    ces = survey.ces if survey.ces in range(1, 8) else None
    answered = not survey.skipped and (csat is not None or ces is not None)
    found.rates.append(("survey_answered", answered))
    if not answered:
        return
    if csat is not None:
        found.rates.append((f"csat_{audience}_satisfied", csat >= 4))
        found.values.append((f"csat_{audience}", float(csat)))
    if ces is not None:
        found.values.append((f"ces_{audience}", float(ces)))
