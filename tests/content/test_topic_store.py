"""The gap topics' Redis store on a real Redis with real all-MiniLM-L6-v2 vectors: questions asked
in different words join one topic as they come, a re-clustering agrees, a customer's erasure
takes their questions out of the topics, and what is kept stays inside its window and count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from content.gap_records import StoredQuestion, question_id_for, topic_of, without
from content.gap_topics import Question, cluster_questions, unit_rows
from content.topic_store import ASKED_AT, TOPICS, TopicStore, conversation_key
from knowledge_base.embeddings import Embedder
from knowledge_base.insights import normalise_question
from tests.support.redis_contents import every_value_text

DAY = 86400.0
NOW = 1_800_000_000.0
CANADA = [
    "do you ship to Canada",
    "can I get delivery to Toronto",
    "international shipping to canada?",
]
UNRELATED = ["my thermostat screen is blank", "how do I change the name on my account"]


def asked(text: str, conversation_id: str, at: float = NOW, kind: str = "miss") -> StoredQuestion:
    question_id = question_id_for(conversation_id, normalise_question(text))
    return StoredQuestion(question_id, text, conversation_id, kind, at)


async def add_all(store: TopicStore, embedder: Embedder, texts: list[str], **kw: Any) -> list[str]:
    vectors = embedder.embed(texts)
    added = []
    for row, text in enumerate(texts):
        question = asked(text, f"conv-{row}-{text[:6]}", **kw)
        await store.add(question, vectors[row])
        added.append(question.question_id)
    return added


def grouping(store_topics: list[Any]) -> list[frozenset[str]]:
    return sorted((frozenset(t.member_ids) for t in store_topics), key=sorted)


@pytest.fixture
def store(redis_client: Any) -> TopicStore:
    return TopicStore(redis_client)


async def test_differently_phrased_questions_join_one_topic_as_they_come(
    store: TopicStore, embedder: Embedder
) -> None:
    canada = await add_all(store, embedder, CANADA)
    others = await add_all(store, embedder, UNRELATED)
    topics = await store.topics()
    assert set(topics[0].member_ids) == set(canada)
    assert topics[0].representative.text in CANADA
    assert all(topic.size == 1 for topic in topics[1:])
    assert {m for t in topics[1:] for m in t.member_ids} == set(others)


async def test_a_recluster_gives_the_same_grouping(store: TopicStore, embedder: Embedder) -> None:
    await add_all(store, embedder, CANADA + UNRELATED)
    incremental = grouping(await store.topics())
    await store.recluster(NOW, cluster_questions)
    assert grouping(await store.topics()) == incremental
    other = TopicStore(store._redis)  # another replica reads what the first wrote
    assert grouping(await other.topics()) == incremental


async def test_erasure_takes_a_conversations_questions_out_of_their_topic(
    store: TopicStore, embedder: Embedder, redis_client: Any
) -> None:
    vectors = embedder.embed(CANADA)
    for row, text in enumerate(CANADA):
        await store.add(asked(text, "erase-me" if row == 0 else f"keep-{row}"), vectors[row])
    assert await store.forget_conversations(["erase-me"]) == 1
    topics = await store.topics()
    assert [topic.size for topic in topics] == [2]
    assert CANADA[0] not in await every_value_text(redis_client)
    assert await store.forget_conversations(["erase-me"]) == 0


async def test_the_same_question_twice_in_a_conversation_counts_once_and_a_handoff_marks_it(
    store: TopicStore, embedder: Embedder
) -> None:
    vector = embedder.embed([CANADA[0]])[0]
    first = await store.add(asked(CANADA[0], "c1"), vector)
    again = await store.add(asked(CANADA[0], "c1", NOW + 5), vector)
    assert first.added and not again.added
    handoff = asked("I need a person about my parcel to Canada", "c1", NOW + 9, "handoff")
    await store.add(handoff, embedder.embed([handoff.text])[0])
    kept = {q.text: q for q in await store.questions()}
    assert len(kept) == 2 and kept[CANADA[0]].handed_off


async def test_questions_beyond_the_window_or_the_count_go_and_the_keys_expire(
    redis_client: Any, embedder: Embedder
) -> None:
    store = TopicStore(redis_client, window=timedelta(days=30), max_questions=3)
    texts = CANADA + UNRELATED
    vectors = embedder.embed(texts)
    await store.add(asked(texts[0], "old", NOW - 31 * DAY), vectors[0])
    for row in range(1, 5):
        await store.add(asked(texts[row], f"c{row}", NOW + row), vectors[row])
    kept = [q.text for q in await store.questions()]
    assert kept == texts[2:]
    assert sum(t.size for t in await store.topics()) == 3
    assert 0 < await redis_client.ttl(TOPICS) <= 30 * DAY
    assert 0 < await redis_client.ttl(conversation_key("c4")) <= 30 * DAY
    assert await redis_client.zcard(ASKED_AT) == 3


def test_a_topic_without_some_members_keeps_the_mean_of_the_rest(embedder: Embedder) -> None:
    vectors = unit_rows(embedder.embed(CANADA))
    asked = [Question(f"q{row}", text, vectors[row]) for row, text in enumerate(CANADA)]
    topic = topic_of("t", asked)
    gone = next(q for q in asked if q.question_id != topic.representative.question_id)
    rest = [q for q in asked if q is not gone]
    shrunk = without(topic, {gone.question_id}, {gone.question_id: gone.vector})
    assert shrunk is not None and shrunk.member_ids == tuple(q.question_id for q in rest)
    np.testing.assert_allclose(shrunk.centroid, topic_of("t", rest).centroid, atol=1e-9)
    representative = topic.representative
    assert without(topic, {representative.question_id}, {}) is None  # worked out again
