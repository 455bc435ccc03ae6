"""The SLA watchdog in the running app: breaches re-escalate once, across restarts and replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from handoff import store as handoff_store
from handoff.store import HandoffStore
from handoff.ticket_record import TicketRecord
from service.settings import Settings
from tests.support.handoff import (
    HUB,
    OPEN_HOURS,
    MovableClock,
    agent_headers,
    conversation,
    handoff_body,
    handoff_settings,
    start_app,
)

WATCHDOG = "sla-watchdog"


@pytest.fixture
def settings(redis_url, articles_dir) -> Settings:  # type: ignore[no-untyped-def]
    return handoff_settings(
        redis_url, articles_dir, HANDOFF_RETENTION_DAYS="1", HANDOFF_PURGE_INTERVAL="1"
    )


@pytest.fixture
async def store(redis_url, redis_client) -> AsyncIterator[HandoffStore]:  # type: ignore[no-untyped-def]
    opened = await handoff_store.create(redis_url)
    yield opened
    await opened.close()


def breaches(record: TicketRecord) -> list[str]:
    return [c.note or "" for c in record.ticket.status_history if c.by == WATCHDOG]


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def open_hub_ticket(client: Any) -> str:
    response = await client.post("/handoff/tickets", json=handoff_body(conversation(HUB)))
    assert response.status == 201, await response.text()
    return str((await response.json())["ticket_id"])


async def test_a_breach_re_escalates_exactly_once_across_restarts_and_replicas(  # type: ignore[no-untyped-def]
    aiohttp_client, settings, embedder, store
) -> None:
    clock = MovableClock(OPEN_HOURS)  # Tuesday 10:00 ET; normal: first response within 30 min
    first_app = await start_app(aiohttp_client, settings, embedder, clock)
    ticket_id = await open_hub_ticket(first_app)
    created = await store.tickets.get(ticket_id)
    assert created is not None
    assert created.routing.first_response_due == "2026-03-10T14:30:00.000Z"
    await first_app.close()  # the service stops before the SLA is due

    clock.advance(minutes=31)
    replicas = [await start_app(aiohttp_client, settings, embedder, clock) for _ in range(2)]

    async def breached() -> bool:
        record = await store.tickets.get(ticket_id)
        return record is not None and len(breaches(record)) == 1

    await until(breached)
    await asyncio.sleep(0.5)  # ten more ticks of each replica
    for replica in replicas:
        await replica.close()
    restarted = await start_app(aiohttp_client, settings, embedder, clock)
    await asyncio.sleep(0.5)

    record = await store.tickets.get(ticket_id)
    assert record is not None
    assert breaches(record) == [
        "SLA breach: first response was due 2026-03-10 14:30 UTC (1 min late); moved from team "
        "technical to supervisors; priority raised from normal to high; new first response due "
        "2026-03-10 14:46 UTC"
    ]
    routing = record.routing
    assert (routing.team, routing.priority, routing.escalation_type) == (
        "supervisors",
        "high",
        "automated",
    )
    assert routing.skill_team == "technical"
    assert (await store.tickets.queue("supervisors", 5))[1] == [ticket_id]
    assert (await store.tickets.queue("technical", 5))[0] == 0

    clock.advance(minutes=16)  # the restarted 15-minute first response is missed too

    async def breached_twice() -> bool:
        current = await store.tickets.get(ticket_id)
        return current is not None and len(breaches(current)) == 2

    await until(breached_twice)
    await asyncio.sleep(0.3)
    await restarted.close()
    final = await store.tickets.get(ticket_id)
    assert final is not None and len(breaches(final)) == 2
    assert final.priority == "urgent"
    assert len(set(final.fired_breaches)) == 2


async def test_a_ticket_answered_in_time_never_breaches_its_first_response(  # type: ignore[no-untyped-def]
    aiohttp_client, settings, embedder, store, redis_url
) -> None:
    clock = MovableClock(OPEN_HOURS)
    client = await start_app(aiohttp_client, settings, embedder, clock)
    ticket_id = await open_hub_ticket(client)
    priya = await agent_headers(redis_url, "priya")
    for action, body in (("claim", {}), ("reply", {"text": "I'm here."})):
        response = await client.post(
            f"/agent/tickets/{ticket_id}/{action}", json=body, headers=priya
        )
        assert response.status == 200

    clock.advance(hours=2)
    await asyncio.sleep(0.4)

    record = await store.tickets.get(ticket_id)
    assert record is not None and breaches(record) == []
    assert [member.split("|")[1] for member in record.sla_timers()] == ["resolution"]


async def test_the_watchdog_purges_tickets_closed_longer_ago_than_the_retention(  # type: ignore[no-untyped-def]
    aiohttp_client, settings, embedder, store
) -> None:
    clock = MovableClock(OPEN_HOURS)
    client = await start_app(aiohttp_client, settings, embedder, clock)
    ticket_id = await open_hub_ticket(client)
    assert (await client.post(f"/handoff/tickets/{ticket_id}/cancel")).status == 200
    await client.close()

    clock.advance(days=1, minutes=1)  # HANDOFF_RETENTION_DAYS=1
    await start_app(aiohttp_client, settings, embedder, clock)

    async def purged() -> bool:
        return await store.tickets.get(ticket_id) is None

    await until(purged)
    state = await store.tickets.conversation("conv-1")
    assert state == {}


async def test_an_unreadable_ticket_does_not_stop_the_other_breaches(  # type: ignore[no-untyped-def]
    aiohttp_client, settings, embedder, store, redis_client, caplog
) -> None:
    await redis_client.hset("handoff:ticket:tk-broken", mapping={"ticket": "{", "agent_id": ""})
    broken_timer = "tk-broken|first_response|2026-03-10T13:00:00Z"
    await redis_client.zadd("handoff:sla:timers", {broken_timer: OPEN_HOURS.timestamp() - 3600})
    clock = MovableClock(OPEN_HOURS)
    client = await start_app(aiohttp_client, settings, embedder, clock)
    ticket_id = await open_hub_ticket(client)

    clock.advance(minutes=31)

    async def breached() -> bool:
        record = await store.tickets.get(ticket_id)
        return record is not None and len(breaches(record)) == 1

    await until(breached)
    assert "cannot apply tk-broken|first_response" in caplog.text
