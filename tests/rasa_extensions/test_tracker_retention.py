"""Trackers expire after the configured retention, and a verified customer's conversations are
indexed for erasure and export (rasa_extensions/redacting_tracker_store.py, real Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from handoff.privacy.customer_index import INDEX_RETENTION_DAYS, customer_conversations
from rasa_extensions.redacting_tracker_store import RedactingRedisTrackerStore, record_expiry
from tests.support.redis_server import redis_server

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield int(url.rsplit(":", 1)[1].split("/")[0])


@pytest.fixture
def raw_redis(redis_port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(port=redis_port, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def store_for(domain: Domain, port: int, days: object) -> RedactingRedisTrackerStore:
    return RedactingRedisTrackerStore(
        domain, host="127.0.0.1", port=port, db=0, retention_days=days
    )


def conversation(domain: Domain, sender: str, metadata: dict | None) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    intent = {"name": "greet", "confidence": 0.9}
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hello", intent, [], {"text": "hello", "intent": intent}, metadata=metadata),
    ):
        tracker.update(event)
    return tracker


async def test_a_saved_tracker_and_its_marker_expire_after_the_retention(
    domain: Domain, redis_port: int, raw_redis: redis.Redis
) -> None:
    store = store_for(domain, redis_port, "30")
    await store.save(conversation(domain, "conv-a", None))
    for key in ("tracker:conv-a", "masked_tracker:conv-a"):
        assert 29 * DAY < raw_redis.ttl(key) <= 30 * DAY, key


async def test_zero_days_keeps_trackers_for_good(
    domain: Domain, redis_port: int, raw_redis: redis.Redis
) -> None:
    await store_for(domain, redis_port, "0").save(conversation(domain, "conv-b", None))
    assert raw_redis.ttl("tracker:conv-b") == -1


@pytest.mark.parametrize("days", ["-1", "ninety", "3651", "1.5"])
def test_a_retention_that_is_not_a_number_of_days_stops_rasa_with_the_reason(days: str) -> None:
    with pytest.raises(ValueError, match="TRACKER_RETENTION_DAYS"):
        record_expiry(days)


async def test_a_verified_customers_conversation_is_indexed_under_a_digest_of_the_id(
    domain: Domain, redis_port: int, raw_redis: redis.Redis
) -> None:
    store = store_for(domain, redis_port, "30")
    claims = {"customer": {"id": "cust-42", "tier": "vip", "signature": "ab" * 32}}
    await store.save(conversation(domain, "conv-c", claims))
    await store.save(conversation(domain, "conv-d", None))  # anonymous: not indexed

    key = customer_conversations("cust-42")
    assert "cust-42" not in key
    assert raw_redis.smembers(key) == {"conv-c"}
    assert raw_redis.ttl(key) > (INDEX_RETENTION_DAYS - 1) * DAY
    assert [k for k in raw_redis.keys("privacy:*")] == [key]
