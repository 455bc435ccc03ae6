"""The review's Redis store on a real Redis: nothing stored twice, sampled cases kept for good,
unsampled ones expiring, verdicts taking sessions off the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest

from infra.redis_client import RedisUnavailable
from outcomes.record import OutcomeRecord
from review import store as review_store
from review.case import ReviewCase
from review.queue import QueueEntry
from review.scorecards import parse_scorecard
from review.verdicts import Verdict
from tests.review.support import case, miss

GOOD = {"resolved_need": 5, "accurate": 4, "no_reask": 5, "empathy": 4, "followed_policy": 5}


@pytest.fixture
async def store(redis_url: str, redis_client) -> AsyncIterator[review_store.RedisReviewStore]:  # type: ignore[no-untyped-def]
    opened = await review_store.create(redis_url)
    yield opened
    await opened.close()


def record_of(kept: ReviewCase) -> OutcomeRecord:
    return OutcomeRecord(
        kept.conversation_id, kept.session, kept.session, kept.session, "contained"
    )


def entry(key: str, at: str = "2026-03-14T10:00:00.000Z") -> QueueEntry:
    conversation_id, _, session = key.partition(":")
    return QueueEntry(key, conversation_id, session, ("escalated",), at, "escalated", at)


async def test_a_case_is_kept_once_and_a_sample_queued_once(store, redis_client) -> None:  # type: ignore[no-untyped-def]
    sampled = case(miss(1, "garden furniture?"))
    assert await store.save_case(
        sampled, record_of(sampled), entry(sampled.key), timedelta(days=30)
    )
    assert not await store.save_case(
        sampled,
        record_of(sampled),
        entry(sampled.key, "2026-03-15T10:00:00.000Z"),
        timedelta(days=30),
    )

    assert await store.case(sampled.key) == sampled
    assert await redis_client.ttl(review_store.case_key(sampled.key)) == -1  # kept for good
    waiting, queue = await store.queue(10)
    assert (waiting, [e.key for e in queue]) == (1, [sampled.key])
    assert queue[0].sampled_at == "2026-03-14T10:00:00.000Z"  # the first sample stays
    assert await store.sample(sampled.key) == queue[0]
    assert await store.record(sampled.key) == record_of(sampled)
    assert sorted(await redis_client.keys("*")) == sorted(
        [
            review_store.case_key(sampled.key),
            review_store.record_key(sampled.key),
            review_store.sample_key(sampled.key),
            "review:queue",
        ]
    )


async def test_an_unsampled_case_expires_unless_a_verdict_keeps_it(store, redis_client) -> None:  # type: ignore[no-untyped-def]
    unsampled = case(miss(1, "patio chairs?"))
    await store.save_case(unsampled, record_of(unsampled), None, timedelta(days=30))
    assert 0 < await redis_client.ttl(review_store.case_key(unsampled.key)) <= 30 * 86400
    assert (await store.queue(10))[0] == 0

    assert 0 < await redis_client.ttl(review_store.record_key(unsampled.key)) <= 30 * 86400

    verdict = Verdict(unsampled.key, "over", None, None, "", "dana", "2026-03-14T11:00:00.000Z")
    assert await store.save_verdict(verdict)
    assert await redis_client.ttl(review_store.case_key(unsampled.key)) == -1
    assert await redis_client.ttl(review_store.record_key(unsampled.key)) == -1
    assert await store.verdict(unsampled.key) == verdict


async def test_a_late_sample_is_queued_once_and_only_with_a_case(store, redis_client) -> None:  # type: ignore[no-untyped-def]
    kept = case(miss(1, "patio chairs?"))
    await store.save_case(kept, record_of(kept), None, timedelta(days=30))

    assert await store.queue_sample(entry(kept.key))
    assert not await store.queue_sample(entry(kept.key, "2026-03-15T10:00:00.000Z"))
    assert not await store.queue_sample(entry("conv-none:2026-03-14T09:20:02.500Z"))

    assert [e.key for e in (await store.queue(10))[1]] == [kept.key]
    assert await redis_client.ttl(review_store.case_key(kept.key)) == -1
    assert (
        await redis_client.exists(review_store.sample_key("conv-none:2026-03-14T09:20:02.500Z"))
        == 0
    )


async def test_a_second_verdict_changes_nothing_and_the_first_leaves_the_queue(store) -> None:  # type: ignore[no-untyped-def]
    sampled = case(miss(1, "garden furniture?"))
    await store.save_case(sampled, record_of(sampled), entry(sampled.key), timedelta(days=30))
    first = Verdict(sampled.key, "right", 1, None, "", "dana", "2026-03-14T11:00:00.000Z")
    second = Verdict(sampled.key, "over", None, None, "", "dana", "2026-03-14T12:00:00.000Z")

    assert await store.save_verdict(first)
    assert not await store.save_verdict(second)

    assert await store.verdict(sampled.key) == first
    assert await store.verdicts() == [first]
    assert (await store.queue(10))[0] == 0


async def test_scorecards_once_per_ticket_listed_by_agent_and_window(store) -> None:  # type: ignore[no-untyped-def]
    march = [
        parse_scorecard(GOOD, f"tk-{n}", agent, "dana", f"2026-03-1{n}T10:00:00.000Z")
        for n, agent in ((1, "priya"), (2, "sam"), (3, "priya"))
    ]
    for card in march:
        assert await store.save_scorecard(card)
    assert not await store.save_scorecard(
        parse_scorecard(GOOD, "tk-1", "sam", "dana", "2026-03-19T10:00:00.000Z")
    )

    assert [c.ticket_id for c in await store.scorecards("priya")] == ["tk-3", "tk-1"]
    assert [c.ticket_id for c in await store.scorecards(None)] == ["tk-3", "tk-2", "tk-1"]
    between = await store.scorecards_between(
        datetime(2026, 3, 12, tzinfo=timezone.utc), datetime(2026, 3, 13, 10, tzinfo=timezone.utc)
    )
    assert [c.ticket_id for c in between] == ["tk-2"]  # the end is not included
    assert await store.scorecards("nobody") == []


async def test_an_unreachable_redis_is_reported_as_unavailable() -> None:
    with pytest.raises(RedisUnavailable):
        await review_store.create("redis://127.0.0.1:9/0")
