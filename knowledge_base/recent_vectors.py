"""One embedding per customer message: the vectors of the last few texts, kept in memory.

In one turn the same message is embedded twice: Rasa's NLU asks the service for its vector
(POST /nlu/embed), then the knowledge-base action searches with the same text. `RecentVectors`
wraps the model and answers the second call from memory. Both calls embed one text at a time,
so the vector is the very same array either way.

Customer text never reaches the disk and is not kept as text: entries are keyed by a SHA-256
digest, hold only the vector, expire after `ttl` seconds and are bounded in number (the oldest
goes first). Thread-safe: the service embeds in executor threads.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from knowledge_base.embeddings import Embedder

DEFAULT_SIZE = 512
DEFAULT_TTL_SECONDS = 120.0


class RecentVectors:
    """An Embedder that remembers the vectors it computes (the NLU's calls), and a second face,
    `reusing()`, that answers from them (the KB search of the same turn).

    The NLU's own calls always compute: a text that many customers send ("thanks") costs each
    of their turns one embedding, as it did before, so the saving is exactly one embedding per
    knowledge-base turn, however repetitive the traffic."""

    def __init__(
        self,
        embedder: Embedder,
        size: int = DEFAULT_SIZE,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if size < 1 or ttl <= 0:
            raise ValueError("RecentVectors needs a size >= 1 and a ttl > 0")
        self.name = embedder.name
        self._embedder = embedder
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[float, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()
        self.reused = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Compute each text's vector (one at a time) and remember it."""
        if not texts:
            return self._embedder.embed(texts)
        return np.vstack([self._computed(text) for text in texts]).astype(np.float32)

    def reusing(self) -> Embedder:
        """An Embedder that takes a remembered vector when there is one, else computes."""
        return _Reusing(self)

    def recalled(self, text: str) -> np.ndarray | None:
        key, now = _key(text), self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or now - entry[0] > self._ttl:
                return None
            self.reused += 1
            return entry[1]

    def _computed(self, text: str) -> np.ndarray:
        vector = self._embedder.embed([text])[0]
        with self._lock:
            key = _key(text)
            self._entries[key] = (self._clock(), vector)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return vector

    @property
    def remembered(self) -> int:
        """How many vectors are kept now. (Not `__len__`: an empty one must not be falsy, or
        `query_embedder or embedder` would quietly search with the disk-caching embedder.)"""
        return len(self._entries)


class _Reusing:
    def __init__(self, recent: RecentVectors) -> None:
        self.name = recent.name
        self._recent = recent

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self._recent.embed(texts)
        rows = []
        for text in texts:
            vector = self._recent.recalled(text)
            rows.append(vector if vector is not None else self._recent.embed([text])[0])
        return np.vstack(rows).astype(np.float32)


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()
