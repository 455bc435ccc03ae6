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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metrics.contacts import Contacts, has_topic
from metrics.record_facts import Facts
from metrics.verdicts import VERDICTS, Verdict

if TYPE_CHECKING:
    from metrics.sessions import Session

RATES: dict[str, str] = {
    "containment": "sessions answered without a person / sessions",
    "action_containment": "contained sessions in which the assistant completed an action on an "
    "order (a cancellation or return done, a refund issued) / sessions",
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
    "actions_by_result": "sessions with an action on an order of that kind and result "
    "(refund_issued, cancel_done, refund_needs_approval...) / sessions in which the assistant "
    "acted on an order",
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


@dataclass(frozen=True)
class Context:
    """What a session's facts need beyond the session: who came back, the QA verdicts."""

    contacts: Contacts
    verdicts: Mapping[str, Verdict]
    """By session key; only verdicts on sessions that exist."""
    unknown_verdicts: int = 0
    """Verdicts on no known session: left out, counted."""


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


REPEAT_CONTACT = {hit: ("repeat_contact", hit) for hit in (False, True)}
FIRST_CONTACT_RESOLVED = {hit: ("fcr", hit) for hit in (False, True)}
VERDICT_RATES = {
    given: tuple((f"{kind}_escalation", given == kind) for kind in VERDICTS) for given in VERDICTS
}
