"""What can happen to a stored ticket, as pure transitions: TicketRecord in, TicketRecord out.

Every transition records itself in the ticket's status history (who, when, what), even when the
status stays the same (a reply, a note, a transfer, an SLA breach). Text an agent types is
masked like the customer's (handoff.privacy.redact) before it is kept. A transition that does not
fit the ticket's state raises `Conflict`; one the agent may not do raises `NotAllowed`. The store
runs each transition inside a Redis transaction, so two agents never both win.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from handoff.privacy.redact import redact_text
from handoff.routing.config import PRIORITIES, Priority, RoutingConfig
from handoff.routing.sla import ReEscalation, deadline
from handoff.ticket.model import AgentTurn, iso_utc
from handoff.ticket_record import Csat, Note, TicketRecord, parse_time
from handoff.vocabulary import CSAT_RATINGS, MAX_CSAT_COMMENT_CHARS

CUSTOMER = "customer"
WATCHDOG = "sla-watchdog"
ASSIGNMENT_WATCHDOG = "assignment-watchdog"
ASSISTANT = "assistant"


class TransitionError(ValueError):
    """The change does not fit the ticket."""


class Conflict(TransitionError):
    """The ticket's state does not allow the change (already claimed, closed, ...)."""


class NotAllowed(TransitionError):
    """The agent may not make this change (someone else owns the ticket)."""


def assign(
    record: TicketRecord, agent_id: str, *, now: datetime, by: str, why: str = ""
) -> TicketRecord:
    """A waiting ticket goes to `agent_id` (claimed by them, or chosen by the assistant;
    `why`: what made the assistant offer it now, e.g. "maya came online")."""
    if record.status != "waiting":
        owner = f" by {record.agent_id}" if record.agent_id else ""
        raise Conflict(f"ticket {record.ticket_id} is already {record.status}{owner}")
    note = f"assigned to {agent_id}" + (f" ({why})" if why else "")
    ticket = record.ticket.with_status("assigned", at=now, by=by, note=note)
    return replace(record, ticket=ticket, agent_id=agent_id)


def requeue(record: TicketRecord, agent_id: str, why: str, *, now: datetime) -> TicketRecord:
    """Assignment follows the agents: the chat of an agent who stayed away goes back to its
    team's queue (at its place: priority, then age), while the customer still waits for a
    reply. Checked again inside the store's transaction, so a reply that lands first wins."""
    if record.status != "assigned" or record.agent_id != agent_id:
        raise Conflict(f"ticket {record.ticket_id} is no longer {agent_id}'s")
    if not record.awaits_agent_reply:
        raise Conflict(f"ticket {record.ticket_id} does not wait for {agent_id}'s reply")
    ticket = record.ticket.with_status("waiting", at=now, by=ASSIGNMENT_WATCHDOG, note=why)
    return replace(record, ticket=ticket, agent_id=None)


def go_offline(
    record: TicketRecord,
    follow_up_by: datetime,
    why: str,
    *,
    now: datetime,
    offer_email: bool = False,
) -> TicketRecord:
    """Nobody with the skill can take the chat now: the ticket waits for the team's next
    shift with a follow-up promise (it stays in the team queue); `offer_email`: the customer
    is offered the reply by email too (mail is set up)."""
    if record.status != "waiting":
        raise Conflict(f"ticket {record.ticket_id} is {record.status}")
    note = f"offline: {why}; follow-up promised by {iso_utc(follow_up_by)}"
    ticket = record.ticket.with_status("waiting", at=now, by="assistant", note=note)
    return replace(
        record,
        ticket=ticket,
        offline=True,
        follow_up_by=iso_utc(follow_up_by),
        email_offered=offer_email,
    )


def reply(record: TicketRecord, agent_id: str, text: str, *, now: datetime) -> TicketRecord:
    """The owner's message to the customer, appended to the transcript."""
    _require_owner(record, agent_id, "reply")
    turn = AgentTurn(
        turn=len(record.ticket.customer_turns),
        text=redact_text(text),
        at=iso_utc(now),
        agent_id=agent_id,
    )
    ticket = replace(record.ticket, transcript=(*record.ticket.transcript, turn))
    first = record.first_response_at is None
    note = "first reply to the customer" if first else "reply to the customer"
    ticket = ticket.with_status(record.status, at=now, by=agent_id, note=note)
    return replace(record, ticket=ticket, first_response_at=record.first_response_at or turn.at)


def add_note(record: TicketRecord, agent_id: str, text: str, *, now: datetime) -> TicketRecord:
    """A private note for colleagues; the customer never sees it."""
    note = Note(at=iso_utc(now), by=agent_id, text=redact_text(text))
    ticket = record.ticket.with_status(record.status, at=now, by=agent_id, note="private note")
    return replace(record, ticket=ticket, notes=(*record.notes, note))


def transfer(
    record: TicketRecord, agent_id: str, to_team: str, *, now: datetime, config: RoutingConfig
) -> TicketRecord:
    """Functional escalation: to the team with the skill, back in that team's queue."""
    if to_team not in config.teams:
        raise TransitionError(f"no team {to_team!r} (teams: {', '.join(sorted(config.teams))})")
    if to_team == record.team:
        raise Conflict(f"ticket {record.ticket_id} is already with team {to_team}")
    why = f"transferred by {agent_id} from team {record.team} to {to_team}"
    return _requeue(record, agent_id, to_team, to_team, "functional", why, now)


def escalate(
    record: TicketRecord, agent_id: str, *, now: datetime, config: RoutingConfig, reason: str = ""
) -> TicketRecord:
    """Hierarchical escalation: to the supervisor team; the skill team stays on the ticket."""
    to_team = config.supervisor_team
    if record.team == to_team:
        raise Conflict(f"ticket {record.ticket_id} is already with the supervisors")
    why = f"escalated by {agent_id} from team {record.team} to {to_team}"
    why += f": {reason}" if reason else ""
    skill_team = record.routing.skill_team or record.team
    return _requeue(record, agent_id, to_team, skill_team, "hierarchical", why, now)


def resolve(
    record: TicketRecord,
    agent_id: str,
    code: str,
    *,
    now: datetime,
    escalation_needed: bool = True,
) -> TicketRecord:
    """The owner closes the chat with a resolution code; `escalation_needed=False`: they say
    a person was not needed for it."""
    _require_owner(record, agent_id, "resolve")
    closed = _close(record, "resolved", agent_id, f"resolved: {code}", now)
    return replace(closed, escalation_needed=escalation_needed)


def hand_back(record: TicketRecord, agent_id: str, *, now: datetime) -> TicketRecord:
    """The conversation goes back to the assistant."""
    _require_owner(record, agent_id, "hand back")
    return _close(record, "handed_back", agent_id, "handed back to the assistant", now)


def record_csat(
    record: TicketRecord, rating: int, comment: str | None, *, now: datetime
) -> TicketRecord:
    """The customer's satisfaction rating (1-5, optional comment, masked) of a resolved chat,
    once."""
    if rating not in CSAT_RATINGS or isinstance(rating, bool):
        raise TransitionError(f"rating must be a whole number from 1 to 5, got {rating!r}")
    if comment is not None and len(comment) > MAX_CSAT_COMMENT_CHARS:
        raise TransitionError(f"comment must be at most {MAX_CSAT_COMMENT_CHARS} characters")
    if record.status != "resolved":
        raise Conflict(
            f"ticket {record.ticket_id} is {record.status}: only a resolved chat is rated"
        )
    if record.csat is not None:
        raise Conflict(f"ticket {record.ticket_id} is already rated")
    masked = redact_text(comment.strip()) if comment and comment.strip() else None
    csat = Csat(rating=rating, comment=masked, at=iso_utc(now))
    note = f"the customer rated the chat {rating}/5" + (" with a comment" if masked else "")
    ticket = record.ticket.with_status(record.status, at=now, by=CUSTOMER, note=note)
    return replace(record, ticket=ticket, csat=csat)


def assistant_note(record: TicketRecord, note: str, *, now: datetime) -> TicketRecord:
    """What the assistant did about a closed ticket (took the chat back, or could not be
    told), in the status history; the status stays."""
    ticket = record.ticket.with_status(record.status, at=now, by=ASSISTANT, note=note)
    return replace(record, ticket=ticket)


def cancel(record: TicketRecord, *, now: datetime) -> TicketRecord:
    """The customer withdrew the request while waiting."""
    if record.status != "waiting":
        raise Conflict(f"ticket {record.ticket_id} is {record.status}: only a waiting one can")
    return _close(record, "cancelled", CUSTOMER, "the customer withdrew the request", now)


def apply_breach(record: TicketRecord, change: ReEscalation, *, now: datetime) -> TicketRecord:
    """An SLA breach re-escalates (next tier, higher priority) and says why, once."""
    if change.key in record.fired_breaches:
        raise Conflict(f"breach {change.key} already fired")
    routing = record.routing
    if change.new_due is not None and change.breach.kind == "first_response":
        routing = replace(routing, first_response_due=iso_utc(change.new_due))
    elif change.new_due is not None:
        routing = replace(routing, resolution_due=iso_utc(change.new_due))
    routing = replace(
        routing,
        team=change.to_team,
        priority=change.to_priority,
        escalation_type="automated" if change.changed else routing.escalation_type,
        reasons=(*routing.reasons, *(f"automated: {reason}" for reason in change.reasons)),
    )
    ticket = replace(record.ticket, routing=routing).with_status(
        record.status, at=now, by=WATCHDOG, note="; ".join(change.reasons)
    )
    return replace(record, ticket=ticket, fired_breaches=(*record.fired_breaches, change.key))


def join_incident(
    record: TicketRecord,
    incident_id: str,
    detail: str,
    *,
    now: datetime,
    config: RoutingConfig,
) -> TicketRecord:
    """A ticket linked to a new incident becomes urgent: its SLA due times are brought
    forward to what the incident priority allows from now (never pushed back)."""
    priority: Priority = config.priority.incident
    if PRIORITIES.index(record.priority) > PRIORITIES.index(priority):
        priority = record.priority
    policy = config.sla.policies[priority]
    schedule = config.teams[record.team].schedule
    routing = replace(
        record.routing,
        priority=priority,
        incident_id=incident_id,
        escalation_type="priority",
        reasons=(*record.routing.reasons, f"priority: incident {incident_id}: {detail}"),
        first_response_due=_earlier(
            record.routing.first_response_due,
            deadline(now, policy.first_response, config.sla, schedule),
        ),
        resolution_due=_earlier(
            record.routing.resolution_due, deadline(now, policy.resolution, config.sla, schedule)
        ),
    )
    note = f"part of incident {incident_id}: priority {priority}"
    ticket = replace(record.ticket, routing=routing).with_status(
        record.status, at=now, by="assistant", note=note
    )
    return replace(record, ticket=ticket)


def _requeue(
    record: TicketRecord,
    agent_id: str,
    to_team: str,
    skill_team: str,
    escalation_type: str,
    why: str,
    now: datetime,
) -> TicketRecord:
    if not record.is_open:
        raise Conflict(f"ticket {record.ticket_id} is {record.status}")
    if record.agent_id not in (None, agent_id):
        raise NotAllowed(f"ticket {record.ticket_id} is assigned to {record.agent_id}")
    routing = replace(
        record.routing,
        team=to_team,
        skill_team=skill_team,
        escalation_type=escalation_type,
        reasons=(*record.routing.reasons, f"{escalation_type}: {why}"),
    )
    ticket = replace(record.ticket, routing=routing).with_status(
        "waiting", at=now, by=agent_id, note=why
    )
    return replace(record, ticket=ticket, agent_id=None)


def _close(record: TicketRecord, status: str, by: str, note: str, now: datetime) -> TicketRecord:
    ticket = record.ticket.with_status(status, at=now, by=by, note=note)
    return replace(record, ticket=ticket, closed_at=iso_utc(now))


def _require_owner(record: TicketRecord, agent_id: str, what: str) -> None:
    if record.status != "assigned":
        raise Conflict(f"ticket {record.ticket_id} is {record.status}: claim it before you {what}")
    if record.agent_id != agent_id:
        raise NotAllowed(f"ticket {record.ticket_id} is assigned to {record.agent_id}")


def _earlier(current: str | None, candidate: datetime) -> str:
    if current is not None and parse_time(current) <= candidate:
        return current
    return iso_utc(candidate)
