"""Whether Rasa can answer now, so a customer hears at once when it cannot.

A restarted Rasa binds its port before its workers have loaded the model (about two minutes
here); requests meanwhile hang until the gateway's Rasa timeout (30 s), and a conversation's
next message waits behind that one: up to a minute with no word at all. So once a request to
Rasa fails to connect or times out, Rasa counts as down: each message first asks Rasa's root
route (`GET /`, answered only once a worker serves) with a short timeout, at most one such
probe at a time and its answer shared for `PROBE_EVERY_SECONDS`; while it fails, the customer
gets the trouble notice straight away instead of a request that would hang. The first probe
that succeeds, or any answered request, counts Rasa up again.

Behind HAProxy (`make run REPLICAS=2`) a probe goes to any healthy replica, so one replica
restarting does not turn the others away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import aiohttp

log = logging.getLogger(__name__)
PROBE_TIMEOUT_SECONDS = 2.0
PROBE_EVERY_SECONDS = 1.0

Probe = Callable[[], Awaitable[bool]]
CANNOT_REACH = (aiohttp.ClientConnectionError, ConnectionError, TimeoutError)
"""A request that failed so (refused, dropped, timed out) means Rasa is down; an HTTP error
(HAProxy's 503 included) came from something that answered."""


def rasa_probe(http: aiohttp.ClientSession, rasa_url: str) -> Probe:
    """`GET {rasa_url}/` with a short timeout: True when Rasa (a worker) answers 200."""

    async def probe() -> bool:
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_SECONDS)
        async with http.get(f"{rasa_url}/", timeout=timeout) as response:
            return response.status == 200

    return probe


class RasaAvailability:
    """Up until a request fails to connect or times out; then down until a probe answers."""

    def __init__(self, probe: Probe, clock: Callable[[], float] = time.monotonic) -> None:
        self._probe = probe
        self._clock = clock
        self._down_since: float | None = None
        self._probed_at = float("-inf")
        self._probing: asyncio.Future[bool] | None = None

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, error: BaseException) -> None:
        """A request to Rasa failed: Rasa counts as down when it could not connect, was
        dropped or timed out (CANNOT_REACH); an HTTP error came from something that answered."""
        if isinstance(error, CANNOT_REACH) and self._down_since is None:
            log.warning("Rasa is not answering (%s): new messages get the notice at once", error)
            self._down_since = self._clock()
            self._probed_at = self._clock()  # that request was the first probe

    def answered(self) -> None:
        """Rasa answered a request (whatever the answer)."""
        if self._down_since is not None:
            down_for = self._clock() - self._down_since
            log.warning("Rasa answers again after %.1f s", down_for)
        self._down_since = None

    async def ready(self) -> bool:
        """True when a message should go to Rasa: it is up, or a probe says it is back."""
        if self._down_since is None:
            return True
        if self._probing is not None:
            return await asyncio.shield(self._probing)
        if self._clock() - self._probed_at < PROBE_EVERY_SECONDS:
            return False
        self._probed_at = self._clock()
        probing: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._probing = probing
        up = False
        try:
            up = await self._safe_probe()
        finally:  # even when cancelled, the messages waiting on this probe get its answer
            self._probing = None
            probing.set_result(up)
        if up:
            self.answered()
        return up

    async def _safe_probe(self) -> bool:
        try:
            return await self._probe()
        except Exception:  # any failure of the probe means "not yet"
            log.debug("Rasa probe failed", exc_info=True)
            return False
