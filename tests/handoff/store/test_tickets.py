"""The handoff store on a real Redis: idempotency, queues, atomic claims, timers, privacy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio as redis

from handoff import lifecycle
from handoff import store as handoff_store
from handoff.store import AtCapacity, HandoffStore
from handoff.ticket_record import TicketRecord
from infra.redis_client import RedisUnavailable
from stack.supervisor import free_port
from tests.support.handoff import HUB, OPEN_HOURS, PAYMENT, record


@pytest.fixture
async def store(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[HandoffStore]:
    opened = await handoff_store.create(redis_url)
    yield opened
    await opened.close()


async def test_concurrent_reservations_of_one_escalation_agree_on_one_ticket(store) -> None:  # type: ignore[no-untyped-def]
    results = await asyncio.gather(
        *(store.tickets.reserve("conv-1", "turn-4", f"tk-{n}", OPEN_HOURS) for n in range(8))
    )
    assert sum(result.created for result in results) == 1
    assert len({result.ticket_id for result in results}) == 1


async def test_a_conversation_has_one_open_ticket_whatever_the_escalation(store) -> None:  # type: ignore[no-untyped-def]
    first = await store.tickets.reserve("conv-1", "turn-4", "tk-a", OPEN_HOURS)
    later = await store.tickets.reserve("conv-1", "turn-6", "tk-b", OPEN_HOURS)
    assert (first.created, later.created, later.ticket_id) == (True, False, "tk-a")
    await store.tickets.release("conv-1", "turn-4", "tk-a")  # creation failed: forget it
    retried = await store.tickets.reserve("conv-1", "turn-6", "tk-c", OPEN_HOURS)
    assert (retried.created, retried.ticket_id) == (True, "tk-c")


async def test_queues_are_ordered_by_priority_then_age(store) -> None:  # type: ignore[no-untyped-def]
    old = record(HUB, "old", OPEN_HOURS)
    vip = record(HUB, "vip", OPEN_HOURS + timedelta(minutes=5), "c-vip", "vip")
    new = record(HUB, "new", OPEN_HOURS + timedelta(minutes=2))
    for each in (old, vip, new):
        await store.tickets.add(each)

    size, order = await store.tickets.queue("technical", 10)

    assert (size, order) == (3, ["tk-vip", "tk-old", "tk-new"])
    assert await store.tickets.queue_position(new) == 3


async def test_the_heads_of_several_queues_come_in_the_order_they_are_taken(store) -> None:  # type: ignore[no-untyped-def]
    old = record(HUB, "old", OPEN_HOURS)  # technical
    vip = record(PAYMENT, "vip", OPEN_HOURS + timedelta(minutes=5), "c-vip", "vip")  # general
    new = record(PAYMENT, "new", OPEN_HOURS + timedelta(minutes=2))
    for each in (old, vip, new):
        await store.tickets.add(each)

    both = await store.tickets.queue_heads(["technical", "general"], 10)

    assert both == ["tk-vip", "tk-old", "tk-new"]  # priority, then age, across the teams
    assert await store.tickets.queue_heads(["technical", "general"], 1) == ["tk-vip"]
    assert await store.tickets.queue_heads(["billing"], 10) == []


async def test_an_absence_runs_from_leaving_online_and_ends_on_coming_back(store) -> None:  # type: ignore[no-untyped-def]
    agents = store.agents
    await agents.set_presence("priya", "away", OPEN_HOURS)
    await agents.set_presence("priya", "offline", OPEN_HOURS + timedelta(minutes=5))
    state = (await agents.states(["priya"]))["priya"]
    assert (state.presence, state.absent_since) == ("offline", OPEN_HOURS)  # away -> offline
    await agents.set_presence("priya", "online", OPEN_HOURS + timedelta(minutes=6))
    assert (await agents.states(["priya"]))["priya"].absent_since is None
    await agents.set_presence("priya", "away", OPEN_HOURS + timedelta(minutes=9))
    back = (await agents.states(["priya"]))["priya"]
    assert back.absent_since == OPEN_HOURS + timedelta(minutes=9)


async def test_exactly_one_of_two_agents_claiming_at_once_gets_the_ticket(store) -> None:  # type: ignore[no-untyped-def]
    await store.tickets.add(record(HUB, "conv-1"))

    def claim(agent_id: str) -> Callable[[TicketRecord], TicketRecord]:
        return lambda r: lifecycle.assign(r, agent_id, now=OPEN_HOURS, by=agent_id)

    results = await asyncio.gather(
        store.tickets.update("tk-conv-1", claim("priya"), capacity=("priya", 3)),
        store.tickets.update("tk-conv-1", claim("sam"), capacity=("sam", 3)),
        return_exceptions=True,
    )

    winners = [result for result in results if isinstance(result, TicketRecord)]
    losers = [result for result in results if isinstance(result, lifecycle.Conflict)]
    assert (len(winners), len(losers)) == (1, 1)
    states = await store.agents.states(["priya", "sam"])
    assert sorted(state.load for state in states.values()) == [0, 1]
    assert (await store.tickets.queue("technical", 10))[0] == 0


async def test_an_agent_at_capacity_cannot_take_another_chat(store) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b"):
        await store.tickets.add(record(HUB, name))
    take = lambda r: lifecycle.assign(r, "priya", now=OPEN_HOURS, by="priya")  # noqa: E731
    await store.tickets.update("tk-a", take, capacity=("priya", 1))
    with pytest.raises(AtCapacity):
        await store.tickets.update("tk-b", take, capacity=("priya", 1))


async def test_timers_follow_the_ticket_and_closing_lands_in_the_retention_index(  # type: ignore[no-untyped-def]
    store, redis_client
) -> None:
    stored = record(HUB, "conv-1")
    await store.tickets.add(stored)
    assert await redis_client.zcard("handoff:sla:timers") == 2
    take = lambda r: lifecycle.assign(r, "priya", now=OPEN_HOURS, by="priya")  # noqa: E731
    await store.tickets.update("tk-conv-1", take)
    answer = lambda r: lifecycle.reply(r, "priya", "On it", now=OPEN_HOURS)  # noqa: E731
    answered = await store.tickets.update("tk-conv-1", answer)
    assert list(await redis_client.zrange("handoff:sla:timers", 0, -1)) == list(
        answered.sla_timers()
    )
    assert "|resolution|" in next(iter(answered.sla_timers()))
    done = lambda r: lifecycle.resolve(r, "priya", "answered", now=OPEN_HOURS)  # noqa: E731
    await store.tickets.update("tk-conv-1", done)
    assert await redis_client.zcard("handoff:sla:timers") == 0
    assert await redis_client.zscore("handoff:closed", "tk-conv-1") == OPEN_HOURS.timestamp()
    assert await store.tickets.conversation("conv-1") == {
        "state": "closed",
        "ticket_id": "tk-conv-1",
        "agent_id": "priya",
        "updated_at": "2026-03-10T14:00:00.000Z",
    }


async def test_retention_purges_only_tickets_closed_long_enough_ago(store, redis_client) -> None:  # type: ignore[no-untyped-def]
    for name in ("old", "recent", "open"):
        await store.tickets.add(record(PAYMENT, name))
    for name, closed_at in (("old", OPEN_HOURS - timedelta(days=100)), ("recent", OPEN_HOURS)):
        await store.tickets.update(
            f"tk-{name}", lambda r, at=closed_at: lifecycle.cancel(r, now=at)
        )

    purged = await store.purge_closed(OPEN_HOURS - timedelta(days=90))

    assert purged == 1
    assert await store.tickets.get("tk-old") is None
    assert await store.tickets.get("tk-recent") is not None
    assert await store.tickets.get("tk-open") is not None
    left = [key async for key in redis_client.scan_iter()]
    assert not [key for key in left if key.endswith(":old") or "tk-old" in key]
    assert not await redis_client.exists("handoff:idempotency:old:turn-4")
    assert await redis_client.zrange("handoff:closed", 0, -1) == ["tk-recent"]


async def test_issued_tokens_are_kept_only_as_hashes_and_a_new_one_revokes_the_old(  # type: ignore[no-untyped-def]
    store, redis_client
) -> None:
    first = await store.agents.issue_token("maya")
    second = await store.agents.issue_token("maya")

    assert await store.agents.agent_for_token(first) is None
    assert await store.agents.agent_for_token(second) == "maya"
    dump = str(await redis_client.hgetall("handoff:agent_tokens"))
    dump += str(await redis_client.hgetall("handoff:agent:maya"))
    assert first not in dump and second not in dump


async def test_every_key_is_under_the_handoff_prefix(store, redis_client) -> None:  # type: ignore[no-untyped-def]
    stored = replace(record(HUB, "conv-1", customer_id="c-9"), agent_id=None)
    await store.tickets.add(stored)
    await store.agents.set_presence("priya", "online", OPEN_HOURS)
    await store.agents.issue_token("priya")
    keys = [key async for key in redis_client.scan_iter()]
    assert keys and all(key.startswith("handoff:") for key in keys)


async def test_each_write_queues_the_events_the_store_was_given_in_its_transaction(  # type: ignore[no-untyped-def]
    redis_url, redis_client
) -> None:
    def queue_events(pipe: Any, old: TicketRecord | None, new: TicketRecord) -> None:
        # buffered in the write's MULTI/EXEC (not run at once): stored with it or not at all
        assert pipe.transaction and (pipe.explicit_transaction or not pipe.watching)
        pipe.rpush("test:events", f"{old.status if old else None} -> {new.status}")

    given = await handoff_store.create(redis_url, queue_events=queue_events)
    plain = await handoff_store.create(redis_url)  # the default queues none
    try:
        await given.tickets.add(record(HUB, "conv-1"))
        await given.tickets.update(
            "tk-conv-1", lambda r: lifecycle.assign(r, "priya", now=OPEN_HOURS, by="priya")
        )
        with pytest.raises(lifecycle.Conflict):  # a refused change writes nothing, queues nothing
            await given.tickets.update("tk-conv-1", lambda r: lifecycle.cancel(r, now=OPEN_HOURS))
        await plain.tickets.add(record(HUB, "conv-2"))
    finally:
        await given.close()
        await plain.close()

    assert await redis_client.lrange("test:events", 0, -1) == [
        "None -> waiting",
        "waiting -> assigned",
    ]


async def test_an_unreachable_redis_is_redis_unavailable() -> None:
    with pytest.raises(RedisUnavailable, match="Redis is unavailable"):
        await handoff_store.create(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.5)
