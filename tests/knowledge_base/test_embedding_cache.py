from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge_base.embeddings import CachedEmbedder


class CountingEmbedder:
    """Deterministic stand-in for the model: this test is about the cache, not the vectors."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.calls.extend(texts)
        vectors = np.array([[len(text), text.count("e"), 1.0] for text in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_restart_does_not_re_embed_unchanged_text(tmp_path: Path) -> None:
    first = CountingEmbedder()
    before = CachedEmbedder(first, tmp_path).embed(["return window", "refund timeline"])
    second = CountingEmbedder()
    after = CachedEmbedder(second, tmp_path).embed(["return window", "refund timeline", "new text"])
    assert first.calls == ["return window", "refund timeline"]
    assert second.calls == ["new text"]
    np.testing.assert_array_equal(before, after[:2])


def test_a_damaged_cache_file_is_embedded_again(tmp_path: Path) -> None:
    model = CountingEmbedder()
    cache = CachedEmbedder(model, tmp_path)
    cache.embed(["hub offline"])
    for path in tmp_path.rglob("*.npy"):
        path.write_bytes(b"garbage")
    cache.embed(["hub offline"])
    assert model.calls == ["hub offline", "hub offline"]
