"""The outcome records in the service's memory, following the Redis stream: what the analytics
API computes from, so a request over 100,000 records reads only what is new since the last one.

`refresh` reads the stream after the last entry id it saw (`OutcomeStore.read`: XRANGE from
that id, a page at a time) and folds the entries in: a record by its key, a late survey into
its record (`outcomes.store.fold`). Each record is kept as a `metrics.sessions.Session`, its
times parsed once. A background task (`follow`) refreshes every few seconds so the first
request after a quiet spell finds the cache warm; every request refreshes too, under the same
lock, so what it computes includes every record written before it.

The cache holds at most `max_records` (the stream's own cap); the oldest go first. Who came
back within 7 days (`metrics.contacts`) is computed once per change of the records, in a worker
thread, and shared by the requests until the next change.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from infra.redis_client import RedisUnavailable
from metrics.contacts import Contacts, find_contacts
from metrics.sessions import Session, sessions_of
from outcomes.record import OutcomeRecord
from outcomes.store import MAX_RECORDS, StreamItem, fold

log = logging.getLogger(__name__)
PAGE = 2000
"""Entries per XRANGE: parsing a page keeps the event loop busy for tens of milliseconds."""
START = "0-0"
FOLLOW_SECONDS = 5.0
"""How often the background task reads what is new."""


class OutcomeReader(Protocol):
    """The part of `outcomes.store.OutcomeStore` the cache needs."""

    async def read(self, after_id: str = START, count: int = PAGE) -> tuple[list[StreamItem], str]:
        """Stream entries after `after_id`, oldest first, and the id to read after next."""
        ...


@dataclass(frozen=True)
class Snapshot:
    """The records as one request sees them: sessions in stream order, and who came back."""

    sessions: list[Session]
    contacts: Contacts


class OutcomeCache:
    def __init__(
        self, reader: OutcomeReader, *, page: int = PAGE, max_records: int = MAX_RECORDS
    ) -> None:
        self._reader = reader
        self._page = page
        self._max_records = max_records
        self._sessions: dict[str, Session] = {}
        self._cursor = START
        self._lock = asyncio.Lock()
        self._version = 0
        self._snapshot: tuple[int, Snapshot] | None = None

    @property
    def size(self) -> int:
        return len(self._sessions)

    async def refresh(self) -> int:
        """Read what the stream has after the last entry seen; returns how many entries."""
        async with self._lock:
            return await self._read_new()

    async def snapshot(self) -> Snapshot:
        """The records after a refresh, with their contacts (computed once per change)."""
        async with self._lock:
            await self._read_new()
            if self._snapshot is not None and self._snapshot[0] == self._version:
                return self._snapshot[1]
            sessions = list(self._sessions.values())
            contacts = await asyncio.to_thread(find_contacts, sessions)
            self._snapshot = (self._version, Snapshot(sessions, contacts))
            return self._snapshot[1]

    async def follow(self, interval: float) -> None:
        """Until cancelled: refresh every `interval` seconds (Redis down: try again later)."""
        task = asyncio.current_task()
        while True:
            try:
                await self.refresh()
            except RedisUnavailable as error:
                log.warning("outcome cache: %s; trying again in %.1f s", error, interval)
            except Exception:  # a bug must not stop the cache for good: log it, keep following
                log.exception("outcome cache: unexpected error; trying again in %.1f s", interval)
            if task is not None and task.cancelling():
                # redis-py can turn a cancellation into a timeout error (see sla_watchdog.py)
                raise asyncio.CancelledError
            await asyncio.sleep(interval)

    async def _read_new(self) -> int:
        total = 0
        while True:
            items, cursor = await self._reader.read(self._cursor, self._page)
            self._take(items)
            total += len(items)
            moved, self._cursor = cursor != self._cursor, cursor
            if not moved:  # nothing after the cursor (a page of unreadable entries moves it)
                return total

    def _take(self, items: list[StreamItem]) -> None:
        if not items:
            return
        changed: dict[str, OutcomeRecord] = {}
        for item in items:
            if not isinstance(item, OutcomeRecord) and item.key in self._sessions:
                changed.setdefault(item.key, self._sessions[item.key].record)
        fold(changed, items)
        for key, session in zip(changed, sessions_of(changed.values()), strict=True):
            self._sessions.pop(key, None)  # a record read again moves to the end
            self._sessions[key] = session
        while len(self._sessions) > self._max_records:
            del self._sessions[next(iter(self._sessions))]
        self._version += 1
