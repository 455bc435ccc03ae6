"""Realistic generated outcome records for benchmarks and load tests (the metrics' speed, the
dashboard's first paint): every outcome kind, teams, intents, articles, tickets with agents,
SLA verdicts and re-asks, surveys (some skipped), verified and anonymous customers coming back,
conversations handed back and escalated again, the assistant's actions on orders (refunds
issued, cancellations and returns done, refused, over the limit, the shop down). Seeded: the same
arguments give the same records.

    records = generate_records(100_000, seed=13)       # the last 30 days, ordered by end
    await write_records(redis_client, records)          # into outcomes:stream, as the watchdog
    records = await fill_redis(redis_url, 100_000)      # both, on a Redis given by its URL

The mix (roughly): 55 % contained, 25 % escalated, 10 % abandoned, 4 % withdrawn, 6 % after
hours; 65 % of sessions by verified customers (a pool a quarter the size of the records, so
customers return), 5 % a second session of the same conversation; about half the contained
order and refund sessions with an action on an order (drawn from a generator of their own, so the
other fields are what they were before actions were counted).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from infra.clock import iso_utc, utc_now
from outcomes.record import (
    AbandonedAt,
    ActionCount,
    Audience,
    Escalation,
    Outcome,
    OutcomeRecord,
    Signal,
    Survey,
    TicketTimes,
)

INTENTS = {
    "order_status": ("orders", 24),
    "refund_request": ("billing", 16),
    "report_problem": ("technical", 18),
    "ask_question": ("general", 30),
    "request_human": ("general", 6),
    "express_frustration": ("account", 3),
}
"""first intent -> (the team it is routed to, weight)."""
ARTICLES = (
    "late-or-missing-package", "refund-timeline", "hub-offline", "camera-offline",
    "change-or-cancel-an-order", "payment-declined", "locked-account", "plus-billing",
    "damaged-or-wrong-item", "firmware-updates", "invoices-and-receipts", "exchanges",
    "glow-bulbs-not-pairing", "promo-codes-and-gift-cards", "contact-a-person",
)  # fmt: skip
AGENTS = {
    "general": ("maya", "luis", "sam"),
    "billing": ("maya", "theo", "dana"),
    "orders": ("theo", "luis"),
    "technical": ("priya", "sam"),
    "account": ("sam",),
    "supervisors": ("dana",),
}
OUTCOME_WEIGHTS: dict[Outcome, int] = {
    "contained": 55,
    "escalated": 25,
    "abandoned": 10,
    "withdrawn": 4,
    "after_hours": 6,
}
REASONS = {"explicit_request": 35, "frustration": 25, "unresolved": 30, "policy": 10}
TYPES = {"functional": 60, "hierarchical": 15, "priority": 10, "automated": 15}
SIGNALS = ("explicit_request", "frustration_phrase", "unresolved_streak", "negative_sentiment")
REASKS = ("order_number", "email", "amount", "what_was_tried")
CHANNELS = {"widget": 85, "api": 15}


def generate_records(
    count: int, *, seed: int = 13, end: datetime | None = None, days: int = 30
) -> list[OutcomeRecord]:
    """`count` sessions started over the `days` before `end` (default: now), ordered by their
    end as the stream holds them."""
    draw = random.Random(seed)
    acting = random.Random(f"actions-{seed}")
    until = end or utc_now()
    customers = max(1, count // 4)
    records: list[OutcomeRecord] = []
    latest = iso_utc(until)
    while len(records) < count:
        started = until - timedelta(seconds=draw.uniform(60, days * 86400))
        record = _session(draw, acting, len(records), started, customers)
        if record.ended_at > latest:  # still going (or waiting for tomorrow's team): no record
            continue
        records.append(record)
        if len(records) < count and record.escalated and draw.random() < 0.2:
            second = _second_session(draw, record)  # handed back, asked again
            if second.ended_at <= latest:
                records.append(second)
    records.sort(key=lambda record: (record.ended_at, record.key))
    return records


async def write_records(client: Any, records: list[OutcomeRecord], batch: int = 1000) -> None:
    """Append the records to `outcomes:stream` through the outcome store, in pipelines of
    `batch` (client: a redis.asyncio.Redis)."""
    from outcomes import store  # the service env's Redis edge, imported only when writing

    for first in range(0, len(records), batch):
        await store.append_many(client, records[first : first + batch])


async def fill_redis(
    redis_url: str, count: int = 100_000, *, seed: int = 13, end: datetime | None = None
) -> list[OutcomeRecord]:
    """Generate `count` records and append them to the stream of the Redis at `redis_url`."""
    import redis.asyncio as redis  # the service env's client, imported only when writing

    records = generate_records(count, seed=seed, end=end)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        await write_records(client, records)
    finally:
        await client.aclose()
    return records


def _session(
    draw: random.Random, acting: random.Random, index: int, started: datetime, customers: int
) -> OutcomeRecord:
    outcome = _weighted(draw, OUTCOME_WEIGHTS)
    intent = (
        None if draw.random() < 0.08 else _weighted(draw, {k: w for k, (_, w) in INTENTS.items()})
    )
    turns = draw.randint(1, 12)
    articles = tuple(draw.sample(ARTICLES, draw.randint(0, 3)))
    escalation = None
    if outcome in ("escalated", "after_hours", "withdrawn") or (
        outcome == "abandoned" and draw.random() < 0.4
    ):
        escalation = _escalation(draw, intent, turns)
    abandoned_at: AbandonedAt | None = None
    if outcome == "abandoned":
        abandoned_at = "while_waiting" if escalation else draw.choice(("after_miss", "mid_flow"))
    ticket = _ticket(draw, outcome, started, escalation) if escalation else None
    ended = _end(draw, started, turns, ticket)
    verified = draw.random() < 0.65
    return OutcomeRecord(
        conversation_id=f"conv-{index:07d}",
        session=iso_utc(started),
        started_at=iso_utc(started),
        ended_at=iso_utc(ended),
        outcome=outcome,
        channel=_weighted(draw, CHANNELS),
        turns=turns,
        first_intent=intent,
        articles=articles,
        misses=draw.choice((0, 0, 0, 1, 1, 2, 3)),
        last_answer_helpful=_helpful(draw, outcome),
        abandoned_at=abandoned_at,
        escalation=escalation,
        ticket=ticket,
        survey=_survey(draw, outcome, ticket),
        customer_key=f"ck-{draw.randrange(customers):06d}" if verified else None,
        frustrated_without_offer=escalation is None and draw.random() < 0.03,
        actions=_actions(acting, outcome, intent, escalation),
    )


def _escalation(draw: random.Random, intent: str | None, turns: int) -> Escalation:
    reason = _weighted(draw, REASONS)
    team = INTENTS[intent][0] if intent else "general"
    kind = _weighted(draw, TYPES)
    if kind == "hierarchical":
        team = "supervisors"
    signals = tuple(
        Signal(name, round(draw.uniform(0.1, 1.0), 2))
        for name in draw.sample(SIGNALS, draw.randint(1, 3))
    )
    return Escalation(
        reason=reason,
        escalation_type=kind,
        team=team,
        priority=draw.choice(("low", "normal", "normal", "normal", "high", "urgent")),
        turn=draw.randint(1, turns),
        explicit=reason == "explicit_request",
        signals=signals,
    )


def _ticket(
    draw: random.Random, outcome: str, started: datetime, escalation: Escalation
) -> TicketTimes:
    created = started + timedelta(seconds=30 * escalation.turn + draw.uniform(5, 60))
    ticket_id = f"tk-{draw.getrandbits(48):012x}"
    if outcome in ("withdrawn", "abandoned"):  # left the queue before anyone joined
        waited = draw.expovariate(1 / 90)
        return TicketTimes(
            ticket_id,
            iso_utc(created),
            closed_at=iso_utc(created + timedelta(seconds=waited)),
            closed_as="cancelled" if outcome == "withdrawn" else "closed",
            queue_wait_seconds=round(waited, 1),
        )
    wait = draw.uniform(8, 16) * 3600 if outcome == "after_hours" else draw.expovariate(1 / 120)
    first = created + timedelta(seconds=wait + draw.uniform(10, 180))
    closed = first + timedelta(seconds=draw.uniform(120, 2400))
    reasks = tuple(draw.sample(REASKS, draw.randint(1, 2))) if draw.random() < 0.12 else ()
    return TicketTimes(
        ticket_id=ticket_id,
        created_at=iso_utc(created),
        first_agent_message_at=iso_utc(first),
        closed_at=iso_utc(closed),
        closed_as="resolved" if draw.random() < 0.8 else "handed_back",
        resolution_code="answered",
        agent_id=draw.choice(AGENTS[escalation.team]),
        first_response_sla_met=(first - created).total_seconds() <= 300,
        resolution_sla_met=(closed - created).total_seconds() <= 3600,
        queue_wait_seconds=round(wait, 1),
        agent_reasks=reasks,
        escalation_not_needed=draw.random() < 0.08,
    )


def _end(
    draw: random.Random, started: datetime, turns: int, ticket: TicketTimes | None
) -> datetime:
    ended = started + timedelta(seconds=turns * draw.uniform(15, 60))
    if ticket is not None and ticket.closed_at is not None:
        ended = max(ended, datetime.fromisoformat(ticket.closed_at.replace("Z", "+00:00")))
    return ended + timedelta(seconds=1800)  # the inactivity timeout that ends a session


def _helpful(draw: random.Random, outcome: str) -> bool | None:
    if outcome != "contained":
        return None
    return draw.choices((True, False, None), (60, 10, 30))[0]


def _survey(draw: random.Random, outcome: str, ticket: TicketTimes | None) -> Survey | None:
    audience: Audience
    if outcome == "contained" and draw.random() < 0.35:
        audience = "bot"
    elif ticket is not None and ticket.closed_as == "resolved" and draw.random() < 0.45:
        audience = "agent"
    else:
        return None
    if draw.random() < 0.12:
        return Survey(audience, skipped=True)
    csat = draw.choices((1, 2, 3, 4, 5), (5, 7, 13, 30, 45))[0]
    ces = draw.choices(range(1, 8), (3, 4, 8, 12, 20, 28, 25))[0] if draw.random() < 0.8 else None
    return Survey(audience, csat=csat, ces=ces)


def _second_session(draw: random.Random, first: OutcomeRecord) -> OutcomeRecord:
    """The same conversation after the hand-back: asked again, escalated again or answered."""
    started = datetime.fromisoformat(first.ended_at.replace("Z", "+00:00")) + timedelta(
        minutes=draw.uniform(1, 600)
    )
    again = draw.random() < 0.5
    escalation = first.escalation if again else None
    ticket = _ticket(draw, "escalated", started, escalation) if escalation else None
    ended = _end(draw, started, 3, ticket)
    return replace(
        first,
        session=iso_utc(started),
        started_at=iso_utc(started),
        ended_at=iso_utc(ended),
        outcome="escalated" if again else "contained",
        escalation=escalation,
        ticket=ticket,
        survey=_survey(draw, "escalated" if again else "contained", ticket),
        last_answer_helpful=None if again else True,
        abandoned_at=None,
        actions=(),
    )


def _actions(
    draw: random.Random, outcome: str, intent: str | None, escalation: Escalation | None
) -> tuple[ActionCount, ...]:
    """What the assistant did to orders in an order or refund session: a refund over the limit
    in each hierarchical escalation, the shop down now and then before the customer left, and
    in half the contained ones a refund issued or a cancellation or return done (some refused
    by the policy)."""
    if intent not in ("order_status", "refund_request"):
        return ()
    kind = "refund" if intent == "refund_request" else draw.choice(("cancel", "return"))
    if escalation is not None:
        hierarchical = escalation.escalation_type == "hierarchical"
        return (ActionCount("refund", "needs_approval", 1),) if hierarchical else ()
    if outcome == "abandoned":
        return (ActionCount(kind, "unavailable", 1),) if draw.random() < 0.1 else ()
    if outcome != "contained" or draw.random() < 0.5:
        return ()
    completed = "issued" if kind == "refund" else "done"
    result = draw.choices((completed, "refused"), (85, 15))[0]
    return (ActionCount(kind, result, 1),)


def _weighted(draw: random.Random, weights: dict[Any, int]) -> Any:
    return draw.choices(list(weights), list(weights.values()))[0]
