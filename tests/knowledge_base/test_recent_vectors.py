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


def test_the_kb_search_reuses_the_vector_the_nlu_just_fetched() -> None:
    model = CountingEmbedder()
    recent = RecentVectors(model)

    from_nlu = recent.embed(["where is my order"])
    from_kb_search = recent.reusing().embed(["where is my order"])

    assert model.texts == ["where is my order"]
    assert np.array_equal(from_nlu, from_kb_search)
    assert recent.reused == 1


def test_the_nlu_always_computes_so_repeated_texts_save_nothing_more() -> None:
    model = CountingEmbedder()
    recent = RecentVectors(model)

    recent.embed(["thanks"])
    recent.embed(["thanks"])  # another customer's turn

    assert model.texts == ["thanks", "thanks"]


def test_a_search_for_a_text_the_nlu_never_saw_computes_it() -> None:
    model = CountingEmbedder()
    recent = RecentVectors(model)
    recent.embed(["a"])

    vectors = recent.reusing().embed(["a", "bb"])

    assert model.texts == ["a", "bb"]
    assert vectors[:, 0].tolist() == [1.0, 2.0]


def test_a_vector_expires_after_its_ttl() -> None:
    model, clock = CountingEmbedder(), Clock()
    recent = RecentVectors(model, ttl=60, clock=clock)
    recent.embed(["hello"])

    clock.now = 61
    recent.reusing().embed(["hello"])

    assert model.texts == ["hello", "hello"]


def test_the_oldest_vector_goes_first_when_full() -> None:
    model = CountingEmbedder()
    recent = RecentVectors(model, size=2)
    for text in ("one", "two", "three"):
        recent.embed([text])

    recent.reusing().embed(["one", "three"])

    assert model.texts == ["one", "two", "three", "one"]
    assert recent.remembered == 2


def test_the_text_itself_is_not_kept() -> None:
    recent = RecentVectors(CountingEmbedder())
    recent.embed(["my card number is 4111 1111 1111 1111"])

    assert all(isinstance(key, bytes) and len(key) == 32 for key in recent._entries)


def test_an_empty_size_or_ttl_is_refused() -> None:
    with pytest.raises(ValueError):
        RecentVectors(CountingEmbedder(), size=0)
    with pytest.raises(ValueError):
        RecentVectors(CountingEmbedder(), ttl=0)
