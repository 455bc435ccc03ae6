"""The live feed (`handoff:feed`) on a real Redis: one entry per ticket write with what the
console needs and no customer text; retention and erasure take a ticket's entries with it; who
hears of which change; the gateway's port reads the feed and the outbox after a cursor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import redis.asyncio as redis

from gateway.feed import Viewer, concerns, ticket_event
from handoff import lifecycle
from handoff.customer_messages import add_customer_message
from handoff.routing.config import load_routing_config
from handoff.store.conversations import RedisConversations
from tests.support.handoff import HUB, OPEN_HOURS, PAYMENT, record

ROUTING = load_routing_config()


async def feed(redis_client: redis.Redis) -> list[dict[str, Any]]:
    return [fields for _, fields in await redis_client.xrange("handoff:feed")]


async def test_every_write_adds_one_entry_with_ids_team_status_and_owner(  # type: ignore[no-untyped-def]
    store, redis_client
) -> None:
    created = record(HUB, "conv-1")
    await store.tickets.add(created)
    await store.tickets.update(
        created.ticket_id, lambda r: lifecycle.assign(r, "priya", now=OPEN_HOURS, by="priya")
    )
    await store.tickets.update(
        created.ticket_id,
        lambda r: add_customer_message(r, "my code is 4417", now=OPEN_HOURS),
    )
    await store.tickets.update(
        created.ticket_id,
        lambda r: lifecycle.transfer(r, "priya", "billing", now=OPEN_HOURS, config=ROUTING),
    )

    added, assigned, message, transferred = await feed(redis_client)
    length = len(created.ticket.transcript)
    assert added == {
        "kind": "created",
        "ticket_id": created.ticket_id,
        "conversation_id": "conv-1",
        "team": "technical",
        "status": "waiting",
        "agent_id": "",
        "priority": created.priority,
        "transcript_length": str(length),
    }
    assert (assigned["kind"], assigned["status"], assigned["agent_id"]) == (
        "updated",
        "assigned",
        "priya",
    )
    assert message["transcript_length"] == str(length + 1)
    assert (transferred["team"], transferred["previous_team"]) == ("billing", "technical")
    assert (transferred["agent_id"], transferred["previous_agent_id"]) == ("", "priya")
    assert "4417" not in str(await redis_client.xrange("handoff:feed"))


async def test_retention_and_erasure_take_the_tickets_feed_entries_with_them(  # type: ignore[no-untyped-def]
    store, redis_client
) -> None:
    old = record(PAYMENT, "conv-old")
    kept = record(PAYMENT, "conv-kept")
    erased = record(HUB, "conv-erased", customer_id="c-erase")
    for each in (old, kept, erased):
        await store.tickets.add(each)
    closed_long_ago = OPEN_HOURS - timedelta(days=100)
    await store.tickets.update(old.ticket_id, lambda r: lifecycle.cancel(r, now=closed_long_ago))

    assert await store.purge_closed(OPEN_HOURS - timedelta(days=90)) == 1
    assert await store.erase_customer("c-erase") == 1

    left = await feed(redis_client)
    assert {entry["ticket_id"] for entry in left} == {kept.ticket_id}
    assert "conv-old" not in str(left) and "conv-erased" not in str(left)


def test_an_agent_hears_of_their_teams_tickets_and_the_ones_they_own_or_lost() -> None:
    priya = Viewer(agent_id="priya", teams=frozenset({"technical"}))
    entry = {"ticket_id": "tk-1", "team": "billing", "agent_id": "", "status": "waiting"}

    assert not concerns(priya, entry)
    assert concerns(priya, {**entry, "team": "technical"})
    assert concerns(priya, {**entry, "previous_team": "technical"})  # it just left her team
    assert concerns(priya, {**entry, "agent_id": "priya"})  # hers, whatever the team
    assert concerns(priya, {**entry, "previous_agent_id": "priya"})  # no longer hers


def test_a_ticket_event_is_one_server_sent_event_with_a_numeric_length() -> None:
    fields = {"kind": "updated", "ticket_id": "tk-1", "team": "billing", "transcript_length": "7"}

    event = ticket_event("1700000000000-0", fields).decode()

    assert event == (
        "id: 1700000000000-0\nevent: ticket\n"
        'data: {"kind": "updated", "ticket_id": "tk-1", "team": "billing", '
        '"transcript_length": 7}\n\n'
    )


async def test_the_gateways_port_reads_the_feed_and_the_outbox_after_a_cursor(  # type: ignore[no-untyped-def]
    redis_url, store
) -> None:
    port = RedisConversations(redis_url)
    reader = port.open_feed(block_seconds=0.05)
    try:
        start = await reader.newest()
        created = record(HUB, "conv-port")
        await store.tickets.add(created)

        assert (await port.state("conv-port"))["state"] == "waiting"
        assert await port.append_customer_message("conv-port", "still there?", now=OPEN_HOURS)
        assert not await port.append_customer_message("conv-nobody", "hi", now=OPEN_HOURS)
        entries = await reader.read(after=start)
        assert [(fields["kind"], fields["ticket_id"]) for _, fields in entries] == [
            ("created", created.ticket_id),
            ("updated", created.ticket_id),
        ]
        assert await reader.read(after=entries[-1][0]) == []  # nothing new within the block

        await store.tickets.add_to_outbox("conv-port", [{"type": "message", "text": "Hello"}])
        await store.tickets.add_to_outbox("conv-other", [{"type": "message", "text": "Hi"}])
        cursors = {"conv-port": "0-0", "conv-other": "0-0", "conv-quiet": "0-0"}
        outboxes = await port.read_outboxes(cursors)  # one read for all three
        assert {c: [fields for _, fields in entries] for c, entries in outboxes.items()} == {
            "conv-port": [{"type": "message", "text": "Hello"}],
            "conv-other": [{"type": "message", "text": "Hi"}],
        }
        after = {c: entries[-1][0] for c, entries in outboxes.items()} | {"conv-quiet": "0-0"}
        assert await port.read_outboxes(after) == {}  # nothing new within the block
    finally:
        await reader.close()
        await port.close()
