"""What incident detection remembers in Redis: recent escalations and open incidents.

handoff/routing/incidents.py decides (pure); this store keeps its inputs. Recent escalations live in
a sorted set by time, each with a small record (the customer's problem: description words, topic,
products, failing article - never the wording of their request) that expires after twice the
window; open incidents in a sorted set by their latest escalation, each record kept as long as
tickets are (the retention period). Keys: handoff:escalations, handoff:escalation:{ticket_id},
handoff:incidents:open, handoff:incident:{incident_id}. Detection reads them and writes back:
`in_turn()` (the lock handoff:lock:incidents) makes those steps one at a time across every
service replica.
"""

from __future__ import annotations

import abc
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as redis

from handoff.routing.incidents import Escalation, Incident, Problem
from handoff.store import keys as keys
from infra.redis_client import await_reply, guard, held

LOCK_SECONDS = 10.0
"""How long the incidents lock lasts if its holder dies, and how long another waits for it."""


class IncidentStore(abc.ABC):
    @abc.abstractmethod
    async def recent(self, now: datetime, window: timedelta) -> list[Escalation]: ...

    @abc.abstractmethod
    async def open_incidents(self, now: datetime, window: timedelta) -> list[Incident]: ...

    @abc.abstractmethod
    async def remember(self, escalation: Escalation, window: timedelta) -> None: ...

    @abc.abstractmethod
    async def save(self, incident: Incident, keep_for: timedelta) -> None: ...

    @abc.abstractmethod
    def in_turn(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Detection's read and write, one process at a time."""


class RedisIncidentStore(IncidentStore):
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @contextlib.asynccontextmanager
    async def in_turn(self) -> AsyncIterator[None]:
        lock = keys.PREFIX + "lock:incidents"
        async with held(self._redis, lock, hold_seconds=LOCK_SECONDS, wait_seconds=LOCK_SECONDS):
            yield

    async def recent(self, now: datetime, window: timedelta) -> list[Escalation]:
        since = (now - window).timestamp()
        async with guard():
            await self._redis.zremrangebyscore(keys.ESCALATIONS, "-inf", f"({since}")
            ticket_ids = await await_reply(
                self._redis.zrangebyscore(keys.ESCALATIONS, since, "+inf")
            )
            rows = (
                await self._redis.mget([keys.escalation(t) for t in ticket_ids])
                if ticket_ids
                else []
            )
        return [escalation_from_json(json.loads(row)) for row in rows if row]

    async def open_incidents(self, now: datetime, window: timedelta) -> list[Incident]:
        since = (now - window).timestamp()
        async with guard():
            await self._redis.zremrangebyscore(keys.OPEN_INCIDENTS, "-inf", f"({since}")
            incident_ids = await await_reply(
                self._redis.zrangebyscore(keys.OPEN_INCIDENTS, since, "+inf")
            )
            names = [keys.incident(i) for i in incident_ids]
            rows = await self._redis.mget(names) if names else []
        return [incident_from_json(json.loads(row)) for row in rows if row]

    async def remember(self, escalation: Escalation, window: timedelta) -> None:
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(
                keys.escalation(escalation.ticket_id),
                json.dumps(escalation_to_json(escalation), ensure_ascii=False),
                ex=int(window.total_seconds() * 2) + 60,
            )
            pipe.zadd(keys.ESCALATIONS, {escalation.ticket_id: escalation.at.timestamp()})
            await pipe.execute()

    async def save(self, incident: Incident, keep_for: timedelta) -> None:
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(
                keys.incident(incident.incident_id),
                json.dumps(incident_to_json(incident), ensure_ascii=False),
                ex=int(keep_for.total_seconds()),
            )
            pipe.zadd(
                keys.OPEN_INCIDENTS, {incident.incident_id: incident.last_seen_at.timestamp()}
            )
            await pipe.execute()


def without_ticket(incident: Incident, ticket_id: str, customer_key: str) -> Incident:
    """The incident with one ticket (and its customer's problem) taken out."""
    kept = [
        (tid, problem)
        for tid, problem in zip(incident.ticket_ids, incident.problems, strict=True)
        if tid != ticket_id
    ]
    return replace(
        incident,
        ticket_ids=tuple(tid for tid, _ in kept),
        problems=tuple(problem for _, problem in kept),
        customer_ids=incident.customer_ids - {customer_key},
    )


def escalation_to_json(escalation: Escalation) -> dict[str, Any]:
    """What detection reads; the wording of the customer's request is not kept."""
    return {
        "ticket_id": escalation.ticket_id,
        "customer_id": escalation.customer_id,
        "at": escalation.at.isoformat(),
        **problem_to_json(escalation.problem),
    }


def escalation_from_json(data: dict[str, Any]) -> Escalation:
    """Records written before problems were kept (a "first_request") carry no problem."""
    problem = problem_from_json(data)
    return Escalation(
        ticket_id=data["ticket_id"],
        customer_id=data["customer_id"],
        at=datetime.fromisoformat(data["at"]),
        failing_article_id=problem.failing_article_id,
        description=problem.description,
        topic=problem.topic,
        products=problem.products,
    )


def problem_to_json(problem: Problem) -> dict[str, Any]:
    return {
        "description": problem.description,
        "topic": problem.topic,
        "products": sorted(problem.products),
        "failing_article_id": problem.failing_article_id,
    }


def problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(
        description=data.get("description") or "",
        topic=data.get("topic"),
        products=frozenset(data.get("products") or ()),
        failing_article_id=data.get("failing_article_id"),
    )


def incident_to_json(incident: Incident) -> dict[str, Any]:
    return {
        "incident_id": incident.incident_id,
        "ticket_ids": list(incident.ticket_ids),
        "customer_ids": sorted(incident.customer_ids),
        "failing_article_id": incident.failing_article_id,
        "problems": [problem_to_json(problem) for problem in incident.problems],
        "opened_at": incident.opened_at.isoformat(),
        "last_seen_at": incident.last_seen_at.isoformat(),
    }


def incident_from_json(data: dict[str, Any]) -> Incident:
    """Incidents written before problems were kept (with "first_requests") get empty problems:
    only their failing article can still link a new escalation to them."""
    ticket_ids = tuple(data["ticket_ids"])
    problems = tuple(problem_from_json(item) for item in data.get("problems", ()))
    return Incident(
        incident_id=data["incident_id"],
        ticket_ids=ticket_ids,
        customer_ids=frozenset(data["customer_ids"]),
        failing_article_id=data["failing_article_id"],
        problems=problems if len(problems) == len(ticket_ids) else (Problem(),) * len(ticket_ids),
        opened_at=datetime.fromisoformat(data["opened_at"]),
        last_seen_at=datetime.fromisoformat(data["last_seen_at"]),
    )
