"""What each metric counts, decided per session: the one definition that the figures
(compute.py) and the drill-down to the sessions behind a figure share, so the two never drift.

A session's `Facts` list:
- `rates`: (rate, hit): the session is in the rate's denominator; in its numerator when hit;
- `groups`: (breakdown, group, hit): in the denominator of that group's rate only (escalation
  by intent: sessions of that intent);
- `shares`: breakdowns whose every group's rate has the session in its denominator (escalation
  by reason: over all sessions), and `share_hits`: (breakdown, group): the numerators it is in;
- `values`: (distribution, value): a time in seconds or a rating.

RATES, GROUPED, SHARES and DISTRIBUTIONS name every metric with its definition in one line
(README.md, "For support leads: what each metric means", says the same in words).
Pure and standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from metrics.contacts import Contacts, has_topic
from metrics.verdicts import VERDICTS, Verdict
from outcomes.record import OUTCOMES, OutcomeRecord, TicketTimes

if TYPE_CHECKING:
    from metrics.sessions import Session

RATES: dict[str, str] = {
    "containment": "sessions answered without a person / sessions",
    "escalation": "sessions handed to people / sessions",
    "explicit_request": "escalations the customer asked for in words / escalations",
    "after_hours": "sessions handed off while the team was closed / sessions",
    "abandonment": "sessions the customer left (after a miss, mid-flow, waiting) / sessions",
    "withdrawal": "sessions whose request for a person was cancelled / sessions",
    "sla_first_response": "tickets whose first agent reply met the SLA / tickets with a verdict",
    "sla_resolution": "tickets resolved within the SLA / tickets with a verdict",
    "fcr": "sessions with no new contact on the same topic within 7 days / sessions with a topic",
    "repeat_contact": "sessions within 7 days after the same customer's previous one / sessions",
    "agent_reask": "agent-handled tickets where the agent asked again for a known fact / tickets",
    "csat_bot_satisfied": "assistant-only surveys with CSAT 4 or 5 / those with a CSAT",
    "csat_agent_satisfied": "agent-chat surveys with CSAT 4 or 5 / those with a CSAT",
    "survey_answered": "surveys answered (CSAT or CES) / surveys answered or skipped",
    **{
        f"{kind}_escalation": f"reviewed sessions judged {kind} / reviewed sessions"
        for kind in VERDICTS
    },
}
GROUPED: dict[str, str] = {
    "escalation_by_intent": "escalated sessions of the intent / sessions of the intent",
    "escalation_by_article": "escalated sessions whose last article shown was it / sessions "
    "whose last article shown was it",
}
SHARES: dict[str, str] = {
    "outcomes": "sessions that ended so / sessions",
    "escalation_by_reason": "escalations for the reason / sessions",
    "escalation_by_type": "escalations of the type / sessions",
    "escalation_by_team": "escalations to the team / sessions",
    "abandonment_by_where": "sessions abandoned there / sessions",
    "agent_reask_by_kind": "agent-handled tickets where the agent asked again for it / tickets",
}
DISTRIBUTIONS: dict[str, str] = {
    "first_response_seconds": "ticket created -> first agent message",
    "agent_first_response_seconds": "ticket reached an agent (after the queue) -> their first "
    "message",
    "resolution_seconds": "ticket created -> resolved or handed back",
    "queue_wait_seconds": "time the ticket waited for an agent",
    "handling_seconds": "time with an agent: resolution time minus the queue wait",
    "csat_bot": "CSAT 1-5 after assistant-only sessions",
    "csat_agent": "CSAT 1-5 after agent chats",
    "ces_bot": "customer effort 1-7 after assistant-only sessions",
    "ces_agent": "customer effort 1-7 after agent chats",
}
TIMES = (
    "first_response_seconds",
    "agent_first_response_seconds",
    "resolution_seconds",
    "queue_wait_seconds",
    "handling_seconds",
)
CLOSED_BY_PEOPLE = ("resolved", "handed_back")
SESSION_SHARES = (
    "outcomes",
    "abandonment_by_where",
    "escalation_by_reason",
    "escalation_by_type",
    "escalation_by_team",
)
"""The breakdowns over all sessions."""
AUDIENCES = ("bot", "agent")
T = TypeVar("T")
_SHARED: dict[Any, Any] = {}
MAX_SHARED = 100_000
NO_VALUE = "none"
"""The group of a session without one (abandoned with no place recorded)."""


@dataclass(frozen=True)
class Context:
    """What a session's facts need beyond the session: who came back, the QA verdicts."""

    contacts: Contacts
    verdicts: Mapping[str, Verdict]
    """By session key; only verdicts on sessions that exist."""
    unknown_verdicts: int = 0
    """Verdicts on no known session: left out, counted."""


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


def facts(session: Session, context: Context, into: Facts | None = None) -> Facts:
    """What the session counts toward, added to `into` (a tally collecting many sessions' facts
    saves making lists per session) or to new Facts: the record's own facts, then who came
    back and the QA verdict."""
    found = Facts() if into is None else into
    own = session.facts
    found.rates += own.rates
    found.groups += own.groups
    found.shares += own.shares
    found.share_hits += own.share_hits
    found.values += own.values
    key, contacts = session.key, context.contacts
    found.rates.append(REPEAT_CONTACT[key in contacts.repeats])
    if has_topic(session.record):
        found.rates.append(FIRST_CONTACT_RESOLVED[key not in contacts.followed_up])
    verdict = context.verdicts.get(key)
    if verdict is not None:
        found.rates += VERDICT_RATES[verdict.verdict]
    return found


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


def _outcome_rates(outcome: str, escalated: bool) -> tuple[tuple[str, bool], ...]:
    return (
        ("containment", outcome == "contained"),
        ("escalation", escalated),
        ("after_hours", outcome == "after_hours"),
        ("abandonment", outcome == "abandoned"),
        ("withdrawal", outcome == "withdrawn"),
    )


OUTCOME_RATES = {
    (outcome, escalated): _outcome_rates(outcome, escalated)
    for outcome in OUTCOMES
    for escalated in (False, True)
}
"""The outcome rates' facts, made once (a few hundred thousand tuples less per 100,000)."""
REPEAT_CONTACT = {hit: ("repeat_contact", hit) for hit in (False, True)}
FIRST_CONTACT_RESOLVED = {hit: ("fcr", hit) for hit in (False, True)}
VERDICT_RATES = {
    given: tuple((f"{kind}_escalation", given == kind) for kind in VERDICTS) for given in VERDICTS
}


def _outcome_facts(record: OutcomeRecord, found: Facts) -> None:
    escalation, outcome = record.escalation, record.outcome
    found.rates += OUTCOME_RATES[(outcome, escalation is not None)]
    found.shares += SESSION_SHARES
    found.share_hits.append(("outcomes", outcome))
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
