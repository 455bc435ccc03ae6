"""One embedding per customer message: the vectors of the last few texts, kept in memory.

In one turn the same message is embedded twice: Rasa's NLU asks the service for its vector
(POST /nlu/embed), then the knowledge-base action searches with the same text. `RecentVectors`
wraps the model and answers the second call from memory. Both calls embed one text at a time,
so the vector is the very same array either way.

Customer text never reaches the disk and is not kept as text: entries are keyed by a SHA-256
digest, hold only the vector, expire after `ttl` seconds and are bounded in number (least
recently used goes first). Thread-safe: the service embeds in executor threads.
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
    """An Embedder that remembers the vectors of recently embedded texts."""

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
        self.hits = 0
        self.misses = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self._embedder.embed(texts)
        rows = [self._one(text) for text in texts]
        return np.vstack(rows).astype(np.float32)

    def _one(self, text: str) -> np.ndarray:
        key = hashlib.sha256(text.encode()).digest()
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] <= self._ttl:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
        vector = self._embedder.embed([text])[0]
        vector.setflags(write=False)  # shared between callers: nobody may change it
        with self._lock:
            self.misses += 1
            self._entries[key] = (now, vector)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return vector

    def __len__(self) -> int:
        return len(self._entries)
