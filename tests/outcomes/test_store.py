"""The outcome store on a real Redis: once per session, the stream's bounds, what readers get,
surveys kept until the record and appended after it, and the watch list of active
conversations."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import redis.asyncio as redis

from outcomes import keys
from outcomes.record import OutcomeRecord, Survey
from outcomes.store import LateSurvey, OutcomeStore, append_many, fold
from outcomes.surveys import SecondSurvey
from tests.outcomes.conversations import greeted, stored_form

NOW = datetime(2026, 3, 14, 10, 0, tzinfo=timezone.utc)
SESSION = "2026-03-14T09:20:05.000Z"


def record(
    conversation_id: str = "conv-1", session: str = SESSION, **extra: object
) -> OutcomeRecord:
    return OutcomeRecord(
        conversation_id=conversation_id,
        session=session,
        started_at=session,
        ended_at="2026-03-14T09:31:00.000Z",
        outcome="contained",
        turns=3,
        first_intent="report_problem",
        articles=("hub-offline",),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(redis_client: redis.Redis) -> OutcomeStore:
    return OutcomeStore(redis_client, retention=timedelta(days=30), max_records=1000)


async def active(client: redis.Redis, **members: float) -> None:
    await client.zadd(keys.ACTIVE, members)


async def test_a_session_is_written_once(store: OutcomeStore, redis_client: redis.Redis) -> None:
    await active(redis_client, **{"conv-1": NOW.timestamp() - 3600})

    assert await store.write(record(), now=NOW, idle_before=NOW) is True
    again = replace(record(), turns=9)  # a retry that read more: still the same session
    assert await store.write(again, now=NOW, idle_before=NOW) is False

    items, _ = await store.read()
    assert items == [record()]
    assert await redis_client.zscore(keys.ACTIVE, "conv-1") is None
    ttl = await redis_client.ttl(keys.written("conv-1", SESSION))
    assert timedelta(days=29) < timedelta(seconds=ttl) <= timedelta(days=30)


async def test_a_conversation_active_again_meanwhile_stays_watched(
    store: OutcomeStore, redis_client: redis.Redis
) -> None:
    cutoff = NOW - timedelta(minutes=30)
    await active(redis_client, **{"conv-1": cutoff.timestamp() + 5})  # spoke after the cutoff

    assert await store.write(record(), now=NOW, idle_before=cutoff) is True
    assert await redis_client.zscore(keys.ACTIVE, "conv-1") is not None
    # next time it is idle, the written session is not written again and the watch ends
    assert await store.write(record(), now=NOW, idle_before=NOW) is False
    assert await redis_client.zscore(keys.ACTIVE, "conv-1") is None


async def test_idle_lists_the_longest_idle_first(
    store: OutcomeStore, redis_client: redis.Redis
) -> None:
    base = NOW.timestamp()
    await active(
        redis_client, recent=base - 10, old=base - 7200, older=base - 9000, mid=base - 3600
    )

    assert await store.idle(NOW - timedelta(minutes=30)) == ["older", "old", "mid"]
    assert await store.idle(NOW - timedelta(minutes=30), limit=2) == ["older", "old"]
    assert await store.idle(NOW - timedelta(days=1)) == []


async def test_readers_page_through_the_stream(store: OutcomeStore) -> None:
    written = [record(f"conv-{n}") for n in range(5)]
    for each in written:
        await store.write(each, now=NOW)

    first, cursor = await store.read(count=2)
    rest, end = await store.read(cursor, count=10)
    nothing, same = await store.read(end)

    assert first + rest == written
    assert (nothing, same) == ([], end)


async def test_unreadable_entries_are_skipped(
    store: OutcomeStore, redis_client: redis.Redis
) -> None:
    await redis_client.xadd(keys.STREAM, {"kind": "outcome", "key": "x", "record": "{not json"})
    await redis_client.xadd(keys.STREAM, {"kind": "something", "key": "x"})
    await store.write(record(), now=NOW)

    items, _ = await store.read()

    assert items == [record()]


async def test_the_stream_is_bounded_by_count(redis_client: redis.Redis) -> None:
    store = OutcomeStore(redis_client, retention=timedelta(days=30), max_records=50)
    for n in range(400):
        await store.write(record(f"conv-{n}"), now=NOW)

    length = await redis_client.xlen(keys.STREAM)
    assert 50 <= length <= 150  # MAXLEN ~: whole stream nodes (100 entries) go at a time


async def test_records_older_than_the_retention_leave_the_stream(
    store: OutcomeStore, redis_client: redis.Redis
) -> None:
    now = datetime.now(timezone.utc)
    old_ms = int((now - timedelta(days=40)).timestamp() * 1000)
    for n in range(250):  # written 40 days ago (stream ids are Redis's clock in ms)
        fields = {"kind": "outcome", "key": f"old-{n}", "record": record(f"old-{n}").to_json()}
        await redis_client.xadd(keys.STREAM, fields, id=f"{old_ms + n}-0")  # type: ignore[arg-type]

    await store.write(record("new"), now=now)

    assert await redis_client.xlen(keys.STREAM) <= 100  # MINID ~: whole nodes go at a time
    items, _ = await store.read(count=1000)
    assert items[-1] == record("new")
    assert all(item.conversation_id.startswith("old-") for item in items[:-1])


async def test_a_survey_is_kept_until_the_record_then_travels_in_it(
    store: OutcomeStore,
) -> None:
    survey = Survey(audience="bot", csat=5, ces=6)

    assert await store.save_survey("conv-1", SESSION, survey, now=NOW) is False
    assert await store.saved_survey("conv-1", SESSION) == survey
    with pytest.raises(SecondSurvey):
        await store.save_survey("conv-1", SESSION, Survey(audience="bot", skipped=True), now=NOW)
    await store.write(record(survey=survey), now=NOW, holds_saved_survey=True)

    items, _ = await store.read()
    assert items == [record(survey=survey)]


async def test_a_survey_after_the_record_is_appended_and_folded_in(store: OutcomeStore) -> None:
    await store.write(record(), now=NOW)
    survey = Survey(audience="agent", csat=2, ces=3)

    assert await store.save_survey("conv-1", SESSION, survey, now=NOW) is True
    with pytest.raises(SecondSurvey):
        await store.save_survey("conv-1", SESSION, survey, now=NOW)

    items, _ = await store.read()
    assert items == [record(), LateSurvey("conv-1", SESSION, survey, "2026-03-14T10:00:00.000Z")]
    records: dict[str, OutcomeRecord] = {}
    fold(records, items)
    assert records == {record().key: record(survey=survey)}


async def test_a_survey_saved_while_the_record_was_decided_is_not_lost(
    store: OutcomeStore,
) -> None:
    survey = Survey(audience="bot", skipped=True)
    await store.save_survey("conv-1", SESSION, survey, now=NOW)  # after the watchdog looked

    await store.write(record(), now=NOW, holds_saved_survey=False)

    records: dict[str, OutcomeRecord] = {}
    fold(records, (await store.read())[0])
    assert records[record().key].survey == survey


def test_fold_drops_a_late_survey_whose_record_is_gone() -> None:
    records: dict[str, OutcomeRecord] = {}
    fold(records, [LateSurvey("gone", SESSION, Survey(audience="bot", csat=1), "t")])
    assert records == {}


async def test_forget_and_snooze_respect_newer_activity(
    store: OutcomeStore, redis_client: redis.Redis
) -> None:
    base = NOW.timestamp()
    await active(redis_client, quiet=base - 3600, busy=base - 10)
    cutoff = NOW - timedelta(minutes=30)

    assert await store.forget("quiet", cutoff) is True
    assert await store.forget("busy", cutoff) is False
    await store.snooze("busy", NOW - timedelta(hours=1))  # never earlier than its activity
    assert await redis_client.zscore(keys.ACTIVE, "busy") == base - 10
    await store.snooze("busy", NOW)
    assert await redis_client.zscore(keys.ACTIVE, "busy") == base
    await store.snooze("quiet", NOW)  # no longer watched: stays so
    assert await redis_client.zscore(keys.ACTIVE, "quiet") is None


async def test_the_session_a_survey_belongs_to(
    store: OutcomeStore, redis_client: redis.Redis
) -> None:
    builder = greeted("conv-7")
    builder.user("where does the c-wire go", "ask_question")
    await redis_client.set(keys.tracker("conv-7"), json.dumps(stored_form(builder)))

    assert await store.latest_session("conv-7") == SESSION
    assert await store.latest_session("unknown") is None
    assert (await store.tracker("conv-7") or {})["name"] == "conv-7"


async def test_generated_records_are_appended_in_bulk(
    store: OutcomeStore, redis_client: redis.Redis
) -> None:
    generated = [replace(record(f"gen-{n}"), turns=n) for n in range(3)]

    await append_many(redis_client, generated)

    assert (await store.read())[0] == generated
