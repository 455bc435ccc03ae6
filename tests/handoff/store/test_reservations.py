"""A ticket reserved but never stored (the service or Redis failed between the two steps, and
the clean-up failed too) must not leave the conversation "waiting" forever, and a message for
a ticket that does not exist is an error the caller hears about, never a silent drop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from handoff import lifecycle
from handoff.store.conversations import MessageNotDelivered, append_customer_message
from handoff.store.tickets import RedisTicketStore
from tests.support.handoff import HUB, OPEN_HOURS, record


@pytest.fixture
async def tickets(redis_client: redis.Redis) -> AsyncIterator[RedisTicketStore]:
    yield RedisTicketStore(redis_client, reservation_seconds=1)


async def test_a_reservation_never_stored_gives_the_conversation_back_to_the_assistant(
    tickets: RedisTicketStore,
) -> None:
    reserved = await tickets.reserve("conv-crash", "turn-4", "tk-never", OPEN_HOURS)
    assert reserved.created
    assert (await tickets.conversation("conv-crash"))["state"] == "waiting"
    # ... and the process dies here: no ticket, no release.
    await asyncio.sleep(1.2)
    assert await tickets.conversation("conv-crash") == {}
    again = await tickets.reserve("conv-crash", "turn-4", "tk-retry", OPEN_HOURS)
    assert (again.created, again.ticket_id) == (True, "tk-retry")


async def test_a_stored_ticket_keeps_its_conversation_past_the_reservation_time(
    tickets: RedisTicketStore,
) -> None:
    stored = record(HUB, "conv-ok")
    await tickets.reserve("conv-ok", stored.idempotency_key, stored.ticket_id, OPEN_HOURS)
    await tickets.add(stored)
    await asyncio.sleep(1.2)
    state = await tickets.conversation("conv-ok")
    assert (state["state"], state["ticket_id"]) == ("waiting", stored.ticket_id)
    retried = await tickets.reserve("conv-ok", stored.idempotency_key, "tk-other", OPEN_HOURS)
    assert (retried.created, retried.ticket_id) == (False, stored.ticket_id)


async def test_an_open_state_whose_ticket_is_gone_is_reconciled_on_read(
    tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    # what a reservation left before reservations expired: no TTL, no ticket
    await redis_client.hset(
        "handoff:conversation:conv-old", mapping={"state": "waiting", "ticket_id": "tk-lost"}
    )
    assert await tickets.conversation("conv-old") == {}
    assert not await redis_client.exists("handoff:conversation:conv-old")


async def test_a_message_for_a_ticket_that_never_appears_is_an_error(
    tickets: RedisTicketStore,
) -> None:
    await tickets.reserve("conv-pending", "turn-4", "tk-pending", OPEN_HOURS)
    with pytest.raises(MessageNotDelivered):
        await append_customer_message(tickets, "conv-pending", "hello?", now=OPEN_HOURS)


async def test_a_message_waits_for_a_ticket_still_being_created(
    tickets: RedisTicketStore,
) -> None:
    stored = record(HUB, "conv-slow")
    await tickets.reserve("conv-slow", stored.idempotency_key, stored.ticket_id, OPEN_HOURS)

    async def store_late() -> None:
        await asyncio.sleep(0.3)
        await tickets.add(stored)

    writer = asyncio.create_task(store_late())
    appended = await append_customer_message(tickets, "conv-slow", "any news?", now=OPEN_HOURS)
    await writer
    assert appended is not None
    assert appended.record.ticket.transcript[-1].text == "any news?"


async def test_a_message_after_the_ticket_closed_goes_back_to_the_assistant(
    tickets: RedisTicketStore,
) -> None:
    stored = record(HUB, "conv-done")
    await tickets.reserve("conv-done", stored.idempotency_key, stored.ticket_id, OPEN_HOURS)
    await tickets.add(stored)
    await tickets.update(
        stored.ticket_id,
        lambda r: lifecycle.cancel(r, now=OPEN_HOURS),
    )
    assert await append_customer_message(tickets, "conv-done", "thanks", now=OPEN_HOURS) is None
