"""A first-come, first-served limit on the messages one Rasa worker handles at once.

Rasa handles every message it is sent at once, interleaved on one event loop. Most of a turn
is synchronous (NLU, policies, the tracker store), so under load a message that has to wait for
something - the action server answering a knowledge-base question - rejoins the back of a
queue of every other message in progress, once for each wait. Knowledge-base turns then take
two or three times as long as the rule replies beside them, and the slowest 5 % of turns take
three times the median (`make bench-vs-rasa`, 50 conversations at once).

`AdmissionGate` lets `limit` messages in at a time and the rest wait their turn in arrival
order: a message, once in, finishes quickly, and the wait is shared equally by every message
instead of falling on the ones that needed the action server. Two at a time lets one message
compute while another waits for the action server (rasa_extensions/admitted_rest.py).

asyncio.Semaphore is not used: in Python 3.10 a newcomer can take a released place before
the message that was waiting for it, which is the unfairness this gate exists to remove.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class AdmissionGate:
    """At most `limit` holders at a time; the others enter in the order they arrived."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"an admission limit must be at least 1, not {limit}")
        self.limit = limit
        self.inside = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        await self._enter()
        try:
            yield
        finally:
            self._leave()

    async def _enter(self) -> None:
        if self.inside < self.limit and not self._waiting:
            self.inside += 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn  # _leave() hands its place over: `inside` already counts this one
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._leave()  # given a place, then cancelled before using it: pass it on
            else:
                self._waiting.remove(turn)
            raise

    def _leave(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the place passes straight to the longest waiting
                return
        self.inside -= 1
