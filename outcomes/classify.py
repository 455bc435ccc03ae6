"""How a conversation session ended: its outcome record, decided from the masked Rasa tracker
and the session's tickets. Pure: the clock, the tickets and the survey are passed in.

Sessions are read by outcomes/session.py (`classify` takes the latest, `classify_session` any
one). A session's tickets are those it names (the `handoff_ticket_id` slot, the `takeover`
slot) or the caller adds (the conversation's current ticket), created while it lasted; the
latest one is the session's escalation, so a conversation handed back and escalated again
gives one record, with the second escalation.

    latest ticket cancelled by the customer                 -> withdrawn
    offline (the team was closed) and no agent ever joined  -> after_hours
    still waiting in a queue                                -> abandoned, while_waiting
    an agent had it (assigned, resolved, handed back)       -> escalated
    no ticket, the last customer turn was a miss (or "not helpful", or the handoff failed)
                                                            -> abandoned, after_miss
    no ticket, the bot had asked something (a form, "talk to a person?", the order number)
                                                            -> abandoned, mid_flow
    no ticket otherwise                                     -> contained

Every session with a ticket carries the escalation (reason, type, team, priority, turn,
signals) and the ticket's times, whatever its outcome; every session, the assistant's actions
on orders by action and result (outcomes/order_actions.py): a contained session with a
cancellation or return done or a refund issued was resolved by the assistant acting.
`must_wait` says when deciding is too early: an agent still has the chat, or the customer still
waits in open hours.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from handoff.ticket.model import AgentTurn, CustomerTurn
from handoff.ticket.summary import SOCIAL_INTENTS
from handoff.ticket_record import TicketRecord
from infra.clock import iso_utc, parse_time
from outcomes.record import (
    AbandonedAt,
    Escalation,
    Outcome,
    OutcomeRecord,
    ShownArticle,
    Signal,
    Survey,
)
from outcomes.session import ASKING_ACTIONS, Session, read_session
from outcomes.ticket_times import ticket_times

NOT_HELPFUL_INTENT = "feedback_not_helpful"
WIDGET_CHANNELS = frozenset({"rest", "socketio"})
"""Rasa's names for the channels the public gateway (the web widget) uses."""
WAITING_STATUSES = frozenset({"new", "waiting"})
FRUSTRATION = "frustration"
CUSTOMER_KEY_HEX = 32


def must_wait(tickets: Sequence[TicketRecord], now: datetime, inactivity: timedelta) -> bool:
    """A person still owes the customer an answer: an agent has the chat, or the customer
    waits in a queue in open hours and wrote to it within `inactivity` (their messages then
    go to the ticket, not to Rasa)."""
    for record in tickets:
        if record.status == "assigned":
            return True
        waiting = record.status in WAITING_STATUSES and not record.offline
        if waiting and now - latest_customer_activity(record) < inactivity:
            return True
    return False


def latest_customer_activity(record: TicketRecord) -> datetime:
    """When the customer last wrote on the ticket (its creation if they did not)."""
    times = [
        turn.at
        for turn in record.ticket.transcript
        if isinstance(turn, CustomerTurn) and turn.at is not None
    ]
    return max(parse_time(at) for at in [record.ticket.created_at, *times])


def classify(
    tracker: Mapping[str, Any],
    tickets: Sequence[TicketRecord],
    *,
    conversation_id: str,
    now: datetime,
    customer_key_secret: bytes,
    survey: Survey | None = None,
) -> OutcomeRecord | None:
    """The latest session's outcome record; None when there is nothing to record (no customer
    turn and no ticket: e.g. a widget opened and closed)."""
    session = read_session(tracker)
    if session is None:
        return None
    return classify_session(
        session,
        tickets,
        conversation_id=conversation_id,
        now=now,
        customer_key_secret=customer_key_secret,
        survey=survey,
    )


def classify_session(
    session: Session,
    tickets: Sequence[TicketRecord],
    *,
    conversation_id: str,
    now: datetime,
    customer_key_secret: bytes,
    survey: Survey | None = None,
) -> OutcomeRecord | None:
    """One session's outcome record (outcomes/session.py reads the sessions); None when there
    is nothing to record."""
    own = session_tickets(session, tickets)
    if not session.spoken_turns and not own:
        return None
    latest = own[-1] if own else None
    outcome, abandoned_at = decide_outcome(session, latest)
    return OutcomeRecord(
        conversation_id=conversation_id,
        session=session.key,
        started_at=session.started_at,
        ended_at=_ended_at(session, latest),
        outcome=outcome,
        channel=_channel(session.input_channel),
        turns=len(session.spoken_turns),
        first_intent=first_intent(session),
        articles=tuple(a.article_id for a in session.articles if a.answered and a.article_id),
        misses=len(session.missed_turns),
        last_answer_helpful=last_answer_helpful(session),
        abandoned_at=abandoned_at,
        escalation=escalation_of(latest) if latest else None,
        ticket=ticket_times(latest, now) if latest else None,
        survey=survey or _ticket_csat(latest),
        customer_key=customer_key(_customer_id(session, latest), customer_key_secret),
        frustrated_without_offer=frustrated_without_offer(session, bool(own)),
        actions=session.actions,
        articles_shown=articles_shown(session),
    )


def articles_shown(session: Session) -> tuple[ShownArticle, ...]:
    """The session's lookups that showed an article (answered, or offered as the closest title),
    without the titles and scores the ticket keeps."""
    return tuple(
        ShownArticle(
            article_id=article.article_id,
            answered=article.answered,
            feedback=article.feedback,
            turn=article.turn,
            section=article.section if article.answered else None,
            article_version=article.article_version,
            article_updated=article.article_updated,
        )
        for article in session.articles
        if article.article_id
    )


def session_tickets(session: Session, tickets: Sequence[TicketRecord]) -> list[TicketRecord]:
    """The session's tickets, oldest first: created after it started and before the next
    session did (a ticket of an earlier session carried over in the slots does not count)."""
    started = parse_time(session.started_at)
    ended = parse_time(session.next_started_at) if session.next_started_at else None
    unique = {record.ticket_id: record for record in tickets}
    own = [
        record
        for record in unique.values()
        if started <= parse_time(record.ticket.created_at)
        and (ended is None or parse_time(record.ticket.created_at) < ended)
    ]
    return sorted(own, key=lambda record: parse_time(record.ticket.created_at))


def decide_outcome(
    session: Session, latest: TicketRecord | None
) -> tuple[Outcome, AbandonedAt | None]:
    if latest is not None:
        agent_joined = latest.agent_id is not None or latest.first_response_at is not None
        if latest.status == "cancelled":
            return "withdrawn", None
        if latest.offline and not agent_joined:
            return "after_hours", None
        if latest.status in WAITING_STATUSES:
            return "abandoned", "while_waiting"
        return "escalated", None
    spoken = session.spoken_turns
    last = spoken[-1] if spoken else None
    if last is not None and (
        last.turn in session.missed_turns or last.intent == NOT_HELPFUL_INTENT
    ):
        return "abandoned", "after_miss"
    if session.handed_off:  # asked for a person, but the queue could not be reached
        return "abandoned", "after_miss"
    if session.flow_open or session.last_bot_action in ASKING_ACTIONS:
        return "abandoned", "mid_flow"
    return "contained", None


def escalation_of(record: TicketRecord) -> Escalation:
    """Why and where: the decision record the ticket carries, and its routing now."""
    decision = record.ticket.escalation_decision or {}
    reason = decision.get("reason") if isinstance(decision.get("reason"), str) else None
    turn = decision.get("turn")
    routing = record.ticket.routing
    return Escalation(
        reason=reason or "unknown",
        escalation_type=routing.escalation_type if routing else "unknown",
        team=routing.team if routing else "unknown",
        priority=routing.priority if routing else "unknown",
        turn=turn if isinstance(turn, int) else len(record.ticket.customer_turns),
        explicit=reason == "explicit_request",
        signals=tuple(_signals(decision.get("signals"))),
    )


def first_intent(session: Session) -> str | None:
    """The topic: the intent of the first customer turn that says what they came for."""
    for turn in session.spoken_turns:
        if turn.intent and turn.intent not in SOCIAL_INTENTS:
            return turn.intent
    return None


def last_answer_helpful(session: Session) -> bool | None:
    answers = [article for article in session.articles if article.answered]
    if not answers:
        return None
    return {"helpful": True, "not_helpful": False}.get(answers[-1].feedback)


def frustrated_without_offer(session: Session, has_ticket: bool) -> bool:
    """Frustration signals fired in a turn's decision, yet nobody offered a person."""
    if session.offered_person or session.handed_off or has_ticket:
        return False
    return any(
        isinstance(signal, Mapping)
        and signal.get("category") == FRUSTRATION
        and _contribution(signal) > 0
        for decision in session.decisions
        for signal in decision.get("signals") or ()
    )


def customer_key(customer_id: str | None, secret: bytes) -> str | None:
    """A keyed hash of the verified customer's id: the same customer gives the same key (repeat
    contacts, first-contact resolution), and the id cannot be read back without the secret."""
    if not customer_id:
        return None
    digest = hmac.new(secret, customer_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:CUSTOMER_KEY_HEX]


def _signals(raw: object) -> list[Signal]:
    if not isinstance(raw, list):
        return []
    return [
        Signal(name=str(item["name"]), contribution=round(_contribution(item), 4))
        for item in raw
        if isinstance(item, Mapping) and isinstance(item.get("name"), str)
    ]


def _contribution(signal: Mapping[str, Any]) -> float:
    value = signal.get("contribution")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    weight, strength = signal.get("weight"), signal.get("strength")
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in (weight, strength)):
        return float(weight) * float(strength)  # type: ignore[arg-type]
    return 0.0


def _ended_at(session: Session, latest: TicketRecord | None) -> str:
    times = [parse_time(session.last_activity_at)]
    if latest is not None:
        times.append(parse_time(latest.closed_at or latest.ticket.created_at))
        times += [
            parse_time(turn.at)
            for turn in latest.ticket.transcript
            if isinstance(turn, CustomerTurn | AgentTurn) and turn.at is not None
        ]
    return iso_utc(max(times))


def _channel(input_channel: str | None) -> str:
    if input_channel is None or input_channel in WIDGET_CHANNELS:
        return "widget"
    return input_channel


def _ticket_csat(record: TicketRecord | None) -> Survey | None:
    """The CSAT the customer gave the resolved chat on the ticket (the widget's question)."""
    if record is None or record.csat is None:
        return None
    return Survey(audience="agent", csat=record.csat.rating)


def _customer_id(session: Session, latest: TicketRecord | None) -> str | None:
    slot = session.slots.get("customer_id")
    if isinstance(slot, str) and slot:
        return slot
    return latest.customer_id if latest is not None else None
