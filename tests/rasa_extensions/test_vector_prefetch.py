"""The early sentence-vector request: what is started, shared, kept and dropped."""

from __future__ import annotations

import threading

import numpy as np

from rasa_extensions.vector_prefetch import MAX_CHARS, VectorPrefetch


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counting_fetch(asked: list[str], release: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def fetch(text: str) -> np.ndarray:
        asked.append(text)
        if release is not None:
            release.wait(5)
        return np.full(3, float(len(text)), dtype=np.float32)

    return fetch


def test_nothing_is_started_before_a_featurizer_registers() -> None:
    prefetch = VectorPrefetch()
    prefetch.start("hello")
    assert prefetch.take("hello", 0.1) is None


def test_commands_and_empty_messages_are_not_embedded() -> None:
    asked: list[str] = []
    prefetch = VectorPrefetch()
    prefetch.register(counting_fetch(asked))
    for text in ("/greet", '/handed_back{"agent": "a"}', "", "   "):
        prefetch.start(text)
        assert prefetch.take(text, 0.1) is None
    assert asked == []


def test_the_same_text_twice_at_once_shares_one_request() -> None:
    asked: list[str] = []
    release = threading.Event()
    prefetch = VectorPrefetch()
    prefetch.register(counting_fetch(asked, release))
    prefetch.start("thanks")
    prefetch.start("thanks ")
    release.set()
    first, second = prefetch.take("thanks", 5), prefetch.take("thanks", 5)
    assert asked == ["thanks"]
    assert first is not None and second is not None and float(first[0]) == 6.0


def test_a_long_message_is_embedded_as_the_featurizer_cuts_it() -> None:
    asked: list[str] = []
    prefetch = VectorPrefetch()
    prefetch.register(counting_fetch(asked))
    long = "why " * 400
    prefetch.start(long)
    assert prefetch.take(long.strip()[:MAX_CHARS], 5) is not None
    assert asked == [long.strip()[:MAX_CHARS]]


def test_a_slow_request_is_waited_for_only_as_long_as_allowed() -> None:
    release = threading.Event()
    prefetch = VectorPrefetch()
    prefetch.register(counting_fetch([], release))
    prefetch.start("is anyone there")
    assert prefetch.take("is anyone there", 0.05) is None  # the caller asks itself
    release.set()


def test_entries_expire_and_stay_bounded() -> None:
    asked: list[str] = []
    clock = Clock()
    prefetch = VectorPrefetch(size=2, ttl_seconds=30, clock=clock)
    prefetch.register(counting_fetch(asked))
    prefetch.start("one")
    clock.now = 31
    assert prefetch.take("one", 1) is None  # too old: the message never reached the NLU
    for text in ("two", "three", "four"):
        prefetch.start(text)
    assert prefetch.take("two", 1) is None  # the oldest of three made room
    assert prefetch.take("four", 1) is not None
