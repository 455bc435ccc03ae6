"""Card numbers and security codes typed into a question never reach the knowledge base's
Redis keys, its answers or the service's log."""

from __future__ import annotations

import json
import logging

import pytest
import redis.asyncio as redis

from knowledge_base.insights import Miss, RedisInsightStore
from tests.support.redis_contents import every_value_text

CARD_FORMS = ("4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111")
UNANSWERABLE = "can I pay a parking fine in Tokyo with my card 4111-1111-1111-1111, cvv 123?"


def assert_no_card(text: str) -> None:
    for form in CARD_FORMS:
        assert form not in text
    assert "cvv 123" not in text


async def test_an_unanswered_question_with_a_card_is_recorded_masked(
    client, redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        "/kb/search", json={"query": UNANSWERABLE, "conversation_id": "c-privacy"}
    )
    body = await response.json()
    assert body["answered"] is False and body["miss_recorded"] is True
    assert body["query"] == (
        "can I pay a parking fine in Tokyo with my card [card ending 1111], "
        "cvv [security code removed]?"
    )

    listing = await (await client.get("/kb/unanswered")).json()
    assert listing["questions"][0]["question"] == (
        "can i pay a parking fine in tokyo with my card card ending 1111 cvv security code removed"
    )
    stored = await every_value_text(redis_client)
    assert "kb:unanswered:log" in stored and "[card ending 1111]" in stored
    for text in (json.dumps(body), json.dumps(listing), stored, caplog.text):
        assert_no_card(text)


async def test_an_answered_question_echoes_only_the_masked_query(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/kb/search",
        json={"query": "when will my refund show up on card 4111 1111 1111 1111?"},
    )
    body = await response.json()
    assert body["answered"] is True
    assert body["answer"]["article_id"] == "refund-timeline"
    assert body["query"] == "when will my refund show up on card [card ending 1111]?"


async def test_the_store_masks_a_miss_whoever_records_it(redis_client: redis.Redis) -> None:
    store = RedisInsightStore(redis_client)
    await store.record_miss(Miss("pay with 4111-1111-1111-1111?", "c-store", None, None, 0.0))

    top = await store.top_unanswered(5)
    assert [row.question for row in top] == ["pay with card ending 1111"]
    stored = await every_value_text(redis_client)
    assert_no_card(stored)
    assert "pay with [card ending 1111]?" in stored
