"""Unanswered questions are kept for the retention only, and a customer's can be exported and
erased by conversation (knowledge_base/insights.py on a real Redis)."""

from __future__ import annotations

import time
from datetime import timedelta

import redis.asyncio as redis

from knowledge_base.insights import (
    UNANSWERED_COUNTS,
    UNANSWERED_LAST,
    UNANSWERED_LOG,
    Miss,
    RedisInsightStore,
)

DAY = 86_400.0


def miss(question: str, conversation: str, at: float) -> Miss:
    return Miss(question, conversation, None, None, at)


async def test_questions_nobody_asked_within_the_retention_are_dropped(
    redis_client: redis.Redis,
) -> None:
    store = RedisInsightStore(redis_client, retention=timedelta(days=90))
    now = time.time()
    await store.record_miss(miss("do you sell boats", "c-old", now - 100 * DAY))
    await store.record_miss(miss("do you ship to mars", "c-new", now))

    assert [row.question for row in await store.top_unanswered(10)] == ["do you ship to mars"]
    assert await redis_client.zrange(UNANSWERED_LAST, 0, -1) == ["do you ship to mars"]


async def test_a_customers_misses_are_exported_then_erased_and_uncounted(
    redis_client: redis.Redis,
) -> None:
    store = RedisInsightStore(redis_client)
    now = time.time()
    await store.record_miss(miss("do you sell boats?", "c-mine", now))
    await store.record_miss(miss("do you sell boats", "c-other", now))
    await store.record_miss(miss("my email is ann@example.com, any news?", "c-mine", now))

    exported = await store.misses_of({"c-mine"})
    assert [m.question for m in exported] == [
        "do you sell boats?",
        "my email is ann@example.com, any news?",
    ]

    assert await store.forget_conversations({"c-mine"}) == 2
    assert await store.forget_conversations({"c-mine"}) == 0  # idempotent
    assert await store.misses_of({"c-mine"}) == []
    assert [(row.question, row.times_asked) for row in await store.top_unanswered(10)] == [
        ("do you sell boats", 1)
    ]
    stored = str(await redis_client.xrange(UNANSWERED_LOG)) + str(
        await redis_client.zrange(UNANSWERED_COUNTS, 0, -1)
    )
    assert "ann@example.com" not in stored and "ann example com" not in stored
