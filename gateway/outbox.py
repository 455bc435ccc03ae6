"""What the team sends reaches the customers on this gateway: one reader for all conversations.

The team's messages (an agent's reply, "X joined the chat", a hand-back's notice...) are in each
conversation's outbox stream in Redis. A gateway reads the outboxes of every conversation with
a socket on it in one blocking read, on one connection, however many conversations it holds,
and hands each conversation's new entries to `deliver` in order. Each conversation's cursor is
kept in Redis as entries are delivered (gateway/sessions.py), so a widget that reconnects - to
this gateway or another - gets what it missed and nothing twice.

A conversation whose sockets all left keeps its entries for their return: its new entries are
not delivered nor its cursor moved. One joining is part of the next read, within
`OUTBOX_BLOCK_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from handoff.store.conversations import ConversationPort, Entry
from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
"""The pause after Redis failed a read, before the next."""

Deliver = Callable[[str, list[Entry]], Awaitable[None]]
"""Deliver a conversation's new entries (oldest first) and keep its cursor in Redis."""
CursorOf = Callable[[str], Awaitable[str]]
"""The conversation's last delivered entry, from Redis ("0-0": none yet)."""


class OutboxReader:
    def __init__(self, conversations: ConversationPort, cursor_of: CursorOf, deliver: Deliver):
        self._conversations = conversations
        self._cursor_of = cursor_of
        self._deliver = deliver
        self._cursors: dict[str, str | None] = {}  # None: to be read from Redis first
        self._someone = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def watch(self, conversation_id: str) -> None:
        """A socket of the conversation is here: read its outbox (from its kept cursor)."""
        if conversation_id not in self._cursors:
            self._cursors[conversation_id] = None
            self._someone.set()

    def forget(self, conversation_id: str) -> None:
        """No socket of the conversation is here any more."""
        self._cursors.pop(conversation_id, None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _read(self) -> None:
        while True:
            if not self._cursors:
                self._someone.clear()
                await self._someone.wait()
                continue
            try:
                await self._read_once()
            except RedisUnavailable as error:
                log.warning("outbox delivery paused: %s", error)
                await asyncio.sleep(RETRY_SECONDS)
            except Exception:  # a defect of ours: logged, and the other conversations go on
                log.exception("outbox delivery failed; retrying")
                await asyncio.sleep(RETRY_SECONDS)

    async def _read_once(self) -> None:
        for conversation_id in [c for c, cursor in self._cursors.items() if cursor is None]:
            cursor = await self._cursor_of(conversation_id)
            if conversation_id in self._cursors:  # still here after the await
                self._cursors[conversation_id] = cursor
        cursors = {c: cursor for c, cursor in self._cursors.items() if cursor is not None}
        new = await self._conversations.read_outboxes(cursors)
        here = {c: entries for c, entries in new.items() if c in self._cursors}
        for conversation_id, entries in here.items():
            self._cursors[conversation_id] = entries[-1][0]
        results = await asyncio.gather(
            *(self._deliver(c, entries) for c, entries in here.items()), return_exceptions=True
        )
        for conversation_id, result in zip(here, results, strict=True):
            if isinstance(result, Exception):  # from its kept cursor again: nothing is skipped
                log.warning("outbox delivery paused for a conversation: %r", result)
                if conversation_id in self._cursors:
                    self._cursors[conversation_id] = None
