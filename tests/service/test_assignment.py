"""Assignment that follows the agents, on the real service and Redis with a movable clock: an agent
who comes online or frees a slot takes the next waiting ticket; an absent agent's unanswered
chats go back to the queue after the grace period, with the customer told."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis.asyncio as redis

from handoff.store.conversations import append_customer_message
from handoff.ticket_record import TicketRecord
from service.keys import HANDOFF
from tests.support.handoff import (
    HUB,
    PAYMENT,
    agent_headers,
    go_online,
    handoff_settings,
    record,
    start_app,
)

QUIET = {"SLA_WATCHDOG_INTERVAL": "300"}
"""The watchdogs tick once at start-up only: every assignment below comes from the agent's own
request, so the status history's reason is known."""
GRACE = 120  # HANDOFF_REQUEUE_AFTER_SECONDS' default


async def service(aiohttp_client, redis_url, articles_dir, embedder, clock, **env: str) -> Any:  # type: ignore[no-untyped-def]
    settings = handoff_settings(redis_url, articles_dir, **env)
    return await start_app(aiohttp_client, settings, embedder, clock)


async def seed(
    client: Any, conversation_id: str, minutes_ago: float, priority: str = "normal", topic=HUB
) -> TicketRecord:
    """A waiting ticket (technical for HUB, general for PAYMENT) created `minutes_ago` by the
    app's clock (its first response is due 30 minutes later: no SLA breach in these tests)."""
    created = client.server.app[HANDOFF].now() - timedelta(minutes=minutes_ago)
    made = record(topic, conversation_id, created)
    routing = replace(made.routing, priority=priority)
    made = replace(made, ticket=replace(made.ticket, routing=routing))
    await client.server.app[HANDOFF].store.tickets.add(made)
    return made


async def stored(client: Any, ticket_id: str) -> TicketRecord:
    found = await client.server.app[HANDOFF].store.tickets.get(ticket_id)
    assert found is not None
    return found


async def outbox(redis_client: redis.Redis, conversation_id: str) -> list[dict[str, str]]:
    return [fields for _, fields in await redis_client.xrange(f"handoff:outbox:{conversation_id}")]


async def act(
    client: Any, headers: dict[str, str], ticket_id: str, action: str, **body: Any
) -> Any:
    response = await client.post(f"/agent/tickets/{ticket_id}/{action}", json=body, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def load(client: Any, headers: dict[str, str]) -> int:
    return int((await (await client.get("/agent/me", headers=headers)).json())["load"])


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_an_agent_coming_online_takes_the_most_urgent_then_oldest_tickets_up_to_capacity(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, clock, redis_client
) -> None:
    client = await service(aiohttp_client, redis_url, articles_dir, embedder, clock, **QUIET)
    await seed(client, "normal-old", 20)
    await seed(client, "high", 15, "high")
    await seed(client, "urgent-new", 5, "urgent")
    await seed(client, "urgent-old", 10, "urgent")
    await seed(client, "general-urgent", 25, "urgent", PAYMENT)  # not priya's team
    priya = await agent_headers(redis_url, "priya")  # technical, 3 chats

    await go_online(client, priya)

    feed = [fields for _, fields in await redis_client.xrange("handoff:feed")]
    taken = [entry["ticket_id"] for entry in feed if entry["agent_id"] == "priya"]
    assert taken == ["tk-urgent-old", "tk-urgent-new", "tk-high"]
    assert await load(client, priya) == 3  # capacity: the fourth waits
    assert await redis_client.zrange("handoff:queue:technical", 0, -1) == ["tk-normal-old"]
    assert await redis_client.zrange("handoff:queue:general", 0, -1) == ["tk-general-urgent"]
    first = await stored(client, "tk-urgent-old")
    change = first.ticket.status_history[-1]
    assert (change.status, change.by, change.note) == (
        "assigned",
        "assistant",
        "assigned to priya (priya came online)",
    )
    told = await outbox(redis_client, "urgent-old")
    assert [(e["type"], e["agent_name"]) for e in told] == [("agent_joined", "Priya Natarajan")]
    state = await (await client.get("/handoff/conversations/urgent-old")).json()
    assert (state["conversation_state"], state["agent"]["name"]) == ("agent", "Priya Natarajan")


@pytest.mark.parametrize(
    ("action", "body", "verb"),
    [
        ("resolve", {"resolution_code": "answered"}, "resolved"),
        ("hand_back", {}, "handed back"),
        ("transfer", {"team": "billing"}, "transferred"),
        ("escalate", {"reason": "wants a manager"}, "escalated"),
    ],
)
async def test_freeing_a_slot_takes_the_next_waiting_ticket(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, clock, redis_client, action, body, verb
) -> None:
    client = await service(aiohttp_client, redis_url, articles_dir, embedder, clock, **QUIET)
    for number in range(3):
        await seed(client, f"busy-{number}", 20 - number)
    priya = await agent_headers(redis_url, "priya")
    await go_online(client, priya)
    await seed(client, "after", 5)
    await seed(client, "next", 10)  # older: taken first
    assert await load(client, priya) == 3

    await act(client, priya, "tk-busy-0", action, **body)

    taken = await stored(client, "tk-next")
    assert (taken.status, taken.agent_id) == ("assigned", "priya")
    note = taken.ticket.status_history[-1].note
    assert note == f"assigned to priya (priya {verb} tk-busy-0)"
    assert [e["type"] for e in await outbox(redis_client, "next")] == ["agent_joined"]
    assert (await stored(client, "tk-after")).status == "waiting"
    assert await load(client, priya) == 3


async def test_two_agents_freeing_slots_at_once_never_share_a_ticket(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, clock, redis_client
) -> None:
    replicas = [
        await service(aiohttp_client, redis_url, articles_dir, embedder, clock, **QUIET)
        for _ in range(2)
    ]
    headers = {name: await agent_headers(redis_url, name) for name in ("priya", "sam")}
    for number in range(6):  # both in technical, 3 chats each
        await seed(replicas[0], f"busy-{number}", 25 - number)
    await go_online(replicas[0], headers["priya"])
    await go_online(replicas[1], headers["sam"])
    owned = {name: sorted(await owned_by(redis_client, name)) for name in headers}
    assert [len(tickets) for tickets in owned.values()] == [3, 3]
    waiting = [(await seed(replicas[0], f"wait-{n}", 15 - n)).ticket_id for n in range(3)]

    # each agent resolves two chats at once, on different replicas: four slots free together
    await asyncio.gather(
        *(
            act(replicas[index], headers[name], ticket_id, "resolve", resolution_code="answered")
            for index, name in enumerate(headers)
            for ticket_id in owned[name][:2]
        )
    )

    now_owned = {name: await owned_by(redis_client, name) for name in headers}
    assert not now_owned["priya"] & now_owned["sam"]
    assert set(waiting) <= now_owned["priya"] | now_owned["sam"]
    assert all(len(tickets) <= 3 for tickets in now_owned.values())
    assert len(now_owned["priya"]) + len(now_owned["sam"]) == 6 - 4 + 3
    for ticket_id in waiting:
        ticket = await stored(replicas[0], ticket_id)
        assignments = [c for c in ticket.ticket.status_history if c.status == "assigned"]
        assert len(assignments) == 1
        conversation_id = ticket.conversation_id
        assert [e["type"] for e in await outbox(redis_client, conversation_id)] == ["agent_joined"]
    assert await redis_client.zcard("handoff:queue:technical") == 0


async def owned_by(redis_client: redis.Redis, agent_id: str) -> set[str]:
    return set(await redis_client.smembers(f"handoff:agent:{agent_id}:tickets"))


@pytest.mark.parametrize("presence", ["away", "offline"])
async def test_an_absent_agents_unanswered_chats_go_back_to_the_queue_after_the_grace_period(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, clock, redis_client, presence
) -> None:
    client = await service(aiohttp_client, redis_url, articles_dir, embedder, clock)
    for name, minutes_ago in (("unanswered", 20), ("answered", 19), ("wrote-again", 18)):
        await seed(client, name, minutes_ago)
    priya = await agent_headers(redis_url, "priya")
    await go_online(client, priya)
    await seed(client, "newer", 5)  # priya is full: it waits
    await act(client, priya, "tk-answered", "reply", text="Let's reset the hub.")
    await act(client, priya, "tk-wrote-again", "reply", text="Try unplugging it.")
    clock.advance(seconds=30)
    tickets = client.server.app[HANDOFF].store.tickets
    await append_customer_message(tickets, "wrote-again", "it is still blinking", now=clock())

    await go_online(client, priya, presence)
    clock.advance(seconds=GRACE)  # exactly the grace period: not longer
    await asyncio.sleep(0.4)  # eight ticks of the watchdog
    assert await owned_by(redis_client, "priya") == {
        "tk-unanswered",
        "tk-answered",
        "tk-wrote-again",
    }

    clock.advance(seconds=1)

    async def requeued() -> bool:
        return await owned_by(redis_client, "priya") == {"tk-answered"}

    await until(requeued)
    order = await redis_client.zrange("handoff:queue:technical", 0, -1)
    assert order == ["tk-unanswered", "tk-wrote-again", "tk-newer"]  # at their own places
    unanswered = await stored(client, "tk-unanswered")
    moves = [(c.status, c.by, c.note) for c in unanswered.ticket.status_history]
    why = (
        f"requeued: priya has been {presence} for longer than {GRACE} s and the customer is "
        "waiting for a reply"
    )
    assert ("waiting", "assignment-watchdog", why) in moves
    told = await outbox(redis_client, "unanswered")
    assert [e["type"] for e in told] == ["agent_joined", "requeued"]
    assert told[-1]["agent_name"] == "Priya Natarajan"
    assert [e["type"] for e in await outbox(redis_client, "answered")] == [
        "agent_joined",
        "message",
    ]
    state = await (await client.get("/handoff/conversations/unanswered")).json()
    assert state["conversation_state"] == "waiting"
    await asyncio.sleep(0.3)  # more ticks: told once
    assert [e["type"] for e in await outbox(redis_client, "unanswered")].count("requeued") == 1

    sam = await agent_headers(redis_url, "sam")  # technical too, 3 chats
    await go_online(client, sam)
    assert await owned_by(redis_client, "sam") == {"tk-unanswered", "tk-wrote-again", "tk-newer"}


async def test_a_grace_period_of_zero_never_requeues(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, clock, redis_client
) -> None:
    client = await service(
        aiohttp_client,
        redis_url,
        articles_dir,
        embedder,
        clock,
        HANDOFF_REQUEUE_AFTER_SECONDS="0",
    )
    await seed(client, "unanswered", 5)
    priya = await agent_headers(redis_url, "priya")
    await go_online(client, priya)
    await go_online(client, priya, "offline")

    clock.advance(minutes=20)  # ten grace periods of the default
    await asyncio.sleep(0.4)

    assert await owned_by(redis_client, "priya") == {"tk-unanswered"}
    assert [e["type"] for e in await outbox(redis_client, "unanswered")] == ["agent_joined"]


async def test_agents_online_before_their_team_opens_get_the_nights_tickets_at_opening(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, clock
) -> None:
    clock.now = datetime(2026, 3, 11, 11, 0, tzinfo=timezone.utc)  # Wednesday 07:00 ET: closed
    client = await service(aiohttp_client, redis_url, articles_dir, embedder, clock)
    await go_online(client, await agent_headers(redis_url, "priya"))
    await seed(client, "overnight", 60 * 5)  # 02:00 ET
    await asyncio.sleep(0.3)
    assert (await stored(client, "tk-overnight")).status == "waiting"  # the team is closed

    clock.advance(hours=1, minutes=1)  # 08:01 ET: open

    async def taken() -> bool:
        return (await stored(client, "tk-overnight")).agent_id == "priya"

    await until(taken)
    note = (await stored(client, "tk-overnight")).ticket.status_history[-1].note
    assert note == "assigned to priya (a free slot found by the assignment watchdog)"
