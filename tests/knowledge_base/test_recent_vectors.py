"""A message's vector is computed once per turn: the NLU's embedding serves the KB search."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from knowledge_base.recent_vectors import RecentVectors


class CountingEmbedder:
    name = "counting"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return np.array([[float(len(text)), 1.0] for text in texts], dtype=np.float32)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_same_text_in_one_turn_is_embedded_once_with_the_same_vector() -> None:
    model = CountingEmbedder()
    recent = RecentVectors(model)

    from_nlu = recent.embed(["where is my order"])
    from_kb_search = recent.embed(["where is my order"])

    assert model.texts == ["where is my order"]
    assert np.array_equal(from_nlu, from_kb_search)
    assert (recent.hits, recent.misses) == (1, 1)


def test_each_text_of_a_batch_is_looked_up_on_its_own() -> None:
    model = CountingEmbedder()
    recent = RecentVectors(model)
    recent.embed(["a"])

    vectors = recent.embed(["a", "bb", "a"])

    assert model.texts == ["a", "bb"]
    assert vectors.shape == (3, 2)
    assert vectors[:, 0].tolist() == [1.0, 2.0, 1.0]


def test_a_vector_expires_after_its_ttl() -> None:
    model, clock = CountingEmbedder(), Clock()
    recent = RecentVectors(model, ttl=60, clock=clock)
    recent.embed(["hello"])

    clock.now = 61
    recent.embed(["hello"])

    assert model.texts == ["hello", "hello"]


def test_the_least_recently_used_text_goes_first_when_full() -> None:
    model = CountingEmbedder()
    recent = RecentVectors(model, size=2)
    recent.embed(["one"])
    recent.embed(["two"])
    recent.embed(["one"])  # used again: "two" is now the oldest

    recent.embed(["three"])
    recent.embed(["one"])
    recent.embed(["two"])

    assert model.texts == ["one", "two", "three", "two"]
    assert len(recent) == 2


def test_the_text_itself_is_not_kept() -> None:
    recent = RecentVectors(CountingEmbedder())
    recent.embed(["my card number is 4111 1111 1111 1111"])

    assert all(isinstance(key, bytes) and len(key) == 32 for key in recent._entries)


def test_an_empty_size_or_ttl_is_refused() -> None:
    with pytest.raises(ValueError):
        RecentVectors(CountingEmbedder(), size=0)
    with pytest.raises(ValueError):
        RecentVectors(CountingEmbedder(), ttl=0)
