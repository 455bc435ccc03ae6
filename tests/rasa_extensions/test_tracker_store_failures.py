"""A tracker store that fails fails the turn: Rasa's in-memory fallback would answer the
customer while their message never reaches Redis."""

from __future__ import annotations

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import rasa_extensions  # noqa: F401  (installs the check)
from rasa_extensions.tracker_store_failures import TrackerStoreUnavailable


class RedisDown(InMemoryTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        raise ConnectionError("Redis is restarting")

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        raise ConnectionError("Redis is restarting")


async def test_a_failed_save_raises_and_keeps_nothing_in_memory() -> None:
    store = FailSafeTrackerStore(RedisDown(Domain.empty()))
    tracker = DialogueStateTracker.from_events("c1", [UserUttered("hello")])
    with pytest.raises(TrackerStoreUnavailable):
        await store.save(tracker)
    assert await store.fallback_tracker_store.retrieve("c1") is None


async def test_a_failed_read_raises_rather_than_start_the_conversation_afresh() -> None:
    store = FailSafeTrackerStore(RedisDown(Domain.empty()))
    with pytest.raises(TrackerStoreUnavailable):
        await store.retrieve("c1")
