"""The outcome watchdog on a real Redis: idle sessions get their record once, sessions a person
still owes an answer wait, nothing is recorded for an empty one, and the running app starts
it."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis.asyncio as redis

from handoff import lifecycle
from handoff.store.conversations import append_customer_message
from handoff.store.tickets import RedisTicketStore
from outcomes import keys
from outcomes.record import OutcomeRecord, Survey
from outcomes.store import OutcomeStore
from service.outcome_watchdog import OutcomeWatchdog
from tests.outcomes.conversations import (
    QUESTION,
    SECRET,
    agent_resolves,
    asks_for_a_person,
    at,
    greeted,
    handed_off,
    stored_form,
)
from tests.support.handoff import handoff_settings, start_app
from tests.support.rasa_tracker import TrackerBuilder

INACTIVITY = timedelta(minutes=30)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def outcomes(redis_client: redis.Redis) -> OutcomeStore:
    return OutcomeStore(redis_client, retention=timedelta(days=30))


@pytest.fixture
def tickets(redis_client: redis.Redis) -> RedisTicketStore:
    return RedisTicketStore(redis_client)


def watchdog(outcomes: OutcomeStore, tickets: RedisTicketStore, now: datetime) -> OutcomeWatchdog:
    return OutcomeWatchdog(outcomes, tickets, Clock(now), INACTIVITY, SECRET)


async def saved(client: redis.Redis, builder: TrackerBuilder) -> datetime:
    """What Rasa's tracker store does on a save: the tracker, and the conversation active."""
    await client.set(keys.tracker(builder.sender_id), json.dumps(stored_form(builder)))
    await client.zadd(keys.ACTIVE, {builder.sender_id: builder.clock})
    return at(builder)


async def records(outcomes: OutcomeStore) -> list[Any]:
    return (await outcomes.read())[0]


async def test_an_idle_contained_session_gets_its_record_once(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    last = await saved(redis_client, builder)

    assert await watchdog(outcomes, tickets, last + timedelta(minutes=10)).tick() == 0
    assert await watchdog(outcomes, tickets, last + timedelta(minutes=31)).tick() == 1
    assert await watchdog(outcomes, tickets, last + timedelta(minutes=40)).tick() == 0

    (record,) = await records(outcomes)
    assert isinstance(record, OutcomeRecord)
    assert (record.conversation_id, record.outcome, record.articles) == (
        "conv-1",
        "contained",
        ("hub-offline",),
    )
    assert await redis_client.zcard(keys.ACTIVE) == 0


async def test_a_chat_with_an_agent_waits_until_it_is_handed_back(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    claimed = lifecycle.assign(ticket, "maya", now=at(builder), by="maya")
    await tickets.add(claimed)
    last = await saved(redis_client, builder)
    later = last + timedelta(hours=2)

    assert await watchdog(outcomes, tickets, later).tick() == 0
    assert await redis_client.zscore(keys.ACTIVE, "conv-1") == later.timestamp()  # again later

    resolved = agent_resolves(builder, ticket)
    await tickets.update("tk-1", lambda _: resolved)
    await saved(redis_client, builder)  # Rasa was told: the conversation spoke again
    assert await watchdog(outcomes, tickets, at(builder) + timedelta(hours=1)).tick() == 1

    (record,) = await records(outcomes)
    assert record.outcome == "escalated"
    assert record.ticket.closed_as == "resolved" and record.ticket.agent_id == "maya"


async def test_a_customer_waiting_in_the_queue_is_given_time_then_abandoned(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=4)
    await tickets.add(ticket)
    last = await saved(redis_client, builder)
    # the customer writes to the queue (the gateway puts it on the ticket, not in Rasa)
    wrote = last + timedelta(minutes=25)
    assert await append_customer_message(tickets, "conv-1", "hello?", now=wrote)

    assert await watchdog(outcomes, tickets, last + timedelta(minutes=35)).tick() == 0
    assert await watchdog(outcomes, tickets, wrote + timedelta(minutes=70)).tick() == 1

    (record,) = await records(outcomes)
    assert (record.outcome, record.abandoned_at) == ("abandoned", "while_waiting")


async def test_the_saved_survey_travels_in_the_record(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    builder.feedback(helpful=True)
    last = await saved(redis_client, builder)
    session = await outcomes.latest_session("conv-1")
    assert session is not None
    await outcomes.save_survey("conv-1", session, Survey(audience="bot", csat=5, ces=7), now=last)

    await watchdog(outcomes, tickets, last + timedelta(hours=1)).tick()

    items = await records(outcomes)
    assert [item.survey for item in items] == [Survey(audience="bot", csat=5, ces=7)]


async def test_nothing_is_recorded_for_an_empty_or_unknown_conversation(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    last = await saved(redis_client, greeted("opened-and-closed"))
    await redis_client.zadd(keys.ACTIVE, {"no-tracker": last.timestamp()})
    await redis_client.set(keys.tracker("broken"), json.dumps({"events": "not a list"}))
    await redis_client.zadd(keys.ACTIVE, {"broken": last.timestamp()})

    assert await watchdog(outcomes, tickets, last + timedelta(hours=1)).tick() == 0

    assert await records(outcomes) == []
    assert await redis_client.zcard(keys.ACTIVE) == 0


async def test_two_watchdogs_write_one_record(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_miss([("hub-offline", "Hub offline", 0.3)])
    last = await saved(redis_client, builder)
    later = last + timedelta(hours=1)

    written = await asyncio.gather(*(watchdog(outcomes, tickets, later).tick() for _ in range(4)))

    assert sum(written) == 1
    assert [item.outcome for item in await records(outcomes)] == ["abandoned"]


async def test_the_running_service_records_idle_sessions(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, redis_client
) -> None:
    settings = handoff_settings(
        redis_url,
        articles_dir,
        OUTCOME_INACTIVITY_SECONDS="0.5",
        OUTCOME_WATCHDOG_INTERVAL="0.05",
    )
    await start_app(aiohttp_client, settings, embedder, lambda: datetime.now(timezone.utc))
    builder = greeted("live-1")
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    await redis_client.set(keys.tracker("live-1"), json.dumps(stored_form(builder)))
    await redis_client.zadd(keys.ACTIVE, {"live-1": datetime.now(timezone.utc).timestamp()})

    deadline = asyncio.get_running_loop().time() + 10
    while not await redis_client.xlen(keys.STREAM):
        assert asyncio.get_running_loop().time() < deadline, "no record was written"
        await asyncio.sleep(0.05)

    (entry,) = await redis_client.xrange(keys.STREAM)
    assert OutcomeRecord.from_json(entry[1]["record"]).conversation_id == "live-1"


async def test_a_conversation_that_came_back_gets_a_record_per_session(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    builder.clock += 2 * 3600  # back after Rasa's session expiry, before the watchdog looked
    builder.session_start().user("how do I return a bulb", "ask_question")
    builder.kb_miss([("returns", "Returns", 0.3)])
    last = await saved(redis_client, builder)

    assert await watchdog(outcomes, tickets, last + timedelta(hours=1)).tick() == 2
    assert await watchdog(outcomes, tickets, last + timedelta(hours=2)).tick() == 0

    first, second = await records(outcomes)
    assert (first.outcome, first.articles) == ("contained", ("hub-offline",))
    assert (second.outcome, second.abandoned_at) == ("abandoned", "after_miss")
    assert first.session < second.session


async def test_an_earlier_session_is_recorded_while_the_latest_waits_for_its_agent(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    builder.clock += 2 * 3600
    builder.session_start()
    ticket = handed_off(asks_for_a_person(builder), "tk-1", turn=3)
    await tickets.add(lifecycle.assign(ticket, "maya", now=at(builder), by="maya"))
    last = await saved(redis_client, builder)

    assert await watchdog(outcomes, tickets, last + timedelta(hours=1)).tick() == 1

    (record,) = await records(outcomes)
    assert record.outcome == "contained"
    assert await redis_client.zscore(keys.ACTIVE, "conv-1") is not None  # still watched


class Review:
    """A stand-in for the QA review desk's capture hook."""

    def __init__(self, fails: bool = False) -> None:
        self.captured: list[tuple[str, str]] = []
        self.fails = fails

    async def capture(self, record: OutcomeRecord, tracker: Any) -> None:
        self.captured.append((record.key, tracker["name"]))
        if self.fails:
            raise RuntimeError("a bug in the review")


async def test_the_review_keeps_each_finished_session_once_before_its_record(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    last = await saved(redis_client, builder)
    review = Review()
    later = Clock(last + INACTIVITY * 2)
    dog = OutcomeWatchdog(outcomes, tickets, later, INACTIVITY, SECRET, review)

    assert await dog.tick() == 1
    await redis_client.zadd(keys.ACTIVE, {"conv-1": last.timestamp()})  # a retry, say
    assert await dog.tick() == 0

    (record,) = await records(outcomes)
    assert review.captured == [(record.key, "conv-1")]


async def test_a_bug_in_the_review_never_costs_the_record(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    last = await saved(redis_client, builder)
    review = Review(fails=True)
    later = Clock(last + INACTIVITY * 2)
    dog = OutcomeWatchdog(outcomes, tickets, later, INACTIVITY, SECRET, review)

    assert await dog.tick() == 1
    assert len(review.captured) == 1


async def test_each_written_record_is_counted_once(
    outcomes: OutcomeStore, tickets: RedisTicketStore, redis_client: redis.Redis
) -> None:
    builder = greeted()
    builder.user(QUESTION, "report_problem").kb_answer("hub-offline", "Hub offline", 0.8)
    last = await saved(redis_client, builder)
    counted: list[str] = []
    later = Clock(last + INACTIVITY * 2)
    dog = OutcomeWatchdog(outcomes, tickets, later, INACTIVITY, SECRET, on_recorded=counted.append)

    assert await dog.tick() == 1
    await redis_client.zadd(keys.ACTIVE, {"conv-1": last.timestamp()})
    assert await dog.tick() == 0

    (record,) = await records(outcomes)
    assert counted == [record.outcome]
