"""Asking the service for a message's sentence vector as soon as Rasa lets the message in.

Rasa handles a message in order: it takes the conversation's lock (Redis), reads the tracker
(Redis), checks the session, then runs the NLU pipeline, where `ServiceSentenceFeaturizer`
waits, blocking Rasa's loop, for the service to embed the text. The REST channel
(`rasa_extensions/admitted_rest.py`) knows the text first: it starts the request here, in a
small thread pool, when the message is admitted, so the service embeds while Rasa takes the
lock and reads the tracker; the featurizer then takes the vector that is (nearly) ready.

Only a speed-up: when nothing was started for a text (a test's direct call, another channel),
the request failed or is not back in time, the featurizer asks the service itself as before.
Keyed by a digest of the text (no customer text is kept), bounded, each entry dropped after
`ttl` seconds; a text asked twice at once (two "thanks") shares one request - a text always
has the same vector. Commands (`/greet`) never reach the NLU and are not prefetched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np

from handoff.privacy.text_digest import text_digest

log = logging.getLogger(__name__)
Fetch = Callable[[str], np.ndarray]  # one text -> its vector (raises when it cannot)
MAX_CHARS = 1000  # the featurizer embeds at most this much of a message


def prefetch_key(text: str) -> str:
    """The text as the NLU pipeline will see it: Rasa strips the message, the featurizer
    embeds its first MAX_CHARS characters."""
    return text.strip()[:MAX_CHARS]


class VectorPrefetch:
    def __init__(
        self,
        size: int = 256,
        ttl_seconds: float = 30.0,
        threads: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._threads = threads
        self._fetch: Fetch | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._started: OrderedDict[bytes, tuple[float, Future[np.ndarray]]] = OrderedDict()
        self._lock = threading.Lock()

    def register(self, fetch: Fetch) -> None:
        """The featurizer's way to the service (the latest model's, after a reload)."""
        with self._lock:
            self._fetch = fetch
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="vector")

    def start(self, text: str) -> None:
        """Start embedding `text` unless it is a command, empty, already started, or no
        featurizer has registered yet."""
        key_text = prefetch_key(text)
        if not key_text or key_text.startswith("/"):
            return
        key = text_digest(key_text)
        now = self._clock()
        with self._lock:
            self._drop_expired(now)
            if self._fetch is None or self._pool is None or key in self._started:
                return
            future = self._pool.submit(self._fetch, key_text)
            self._started[key] = (now, future)
            while len(self._started) > self.size:
                self._started.popitem(last=False)

    def take(self, text: str, timeout_seconds: float) -> np.ndarray | None:
        """The vector started for `text` (as the NLU has it), waiting at most
        `timeout_seconds`; None when none was started or it failed (the caller asks the
        service itself)."""
        key = text_digest(text[:MAX_CHARS])  # the NLU's text: stripped already
        with self._lock:
            self._drop_expired(self._clock())
            started = self._started.get(key)
        if started is None:
            return None
        try:
            return started[1].result(timeout=timeout_seconds)
        except FutureTimeout:
            log.warning("the prefetched sentence vector was not back in %.1f s", timeout_seconds)
        except Exception as error:  # the featurizer asks again and reports what is wrong
            log.info("the prefetched sentence vector failed: %r", error)
        return None

    def _drop_expired(self, now: float) -> None:
        while self._started:
            started_at, _ = next(iter(self._started.values()))
            if now - started_at < self.ttl_seconds:
                return
            self._started.popitem(last=False)


PREFETCH = VectorPrefetch()
"""One per Rasa worker process: the REST channel starts requests, the featurizer takes them."""
