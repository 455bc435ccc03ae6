"""The gap topics' Redis: each unanswered question and the topics they form (content/gap_topics.py).

Keys live under `content:gaps:`; every Redis problem is raised as `RedisUnavailable`
(infra/redis_client.py's guard). Vectors are float32 bytes, base64 in the stored text (every
client of the project decodes replies to `str`).

    content:gaps:questions               hash: question id -> StoredQuestion JSON (masked text)
    content:gaps:vectors                 hash: question id -> its unit vector
    content:gaps:at                      sorted set: question id -> when asked (Unix seconds)
    content:gaps:topics                  hash: topic id -> members, centroid, representative
    content:gaps:version                 a new random token on every change of the topics
    content:gaps:conversation:{id}       set: that conversation's question ids (its erasure)
    content:gaps:scheduled               the scheduled re-clustering ran lately (one replica)

Bounded and expiring: a question is kept `window` (30 days) and at most `max_questions` (the
oldest go first); every write trims a few of those beyond the bounds (all of them at a
re-clustering) and renews the keys' expiry to the window, so nothing outlives it unwritten.

Writers on several replicas: each change runs in a transaction that watches the version (a
change meanwhile makes it retry), and each process keeps the topics of the version it last saw,
so a new question reads them from Redis only after another process changed them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import numpy as np
import redis.asyncio as redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from content.gap_records import (
    StoredQuestion,
    decode_vector,
    encode_vector,
    merged,
    topic_from_json,
    topic_json,
    topic_of,
    without,
)
from content.gap_topics import (
    DEFAULT_SETTINGS,
    GapTopicSettings,
    Question,
    Topic,
    assign_question,
    unit_rows,
)
from infra.redis_client import RedisUnavailable, await_reply, guard

PREFIX = "content:gaps:"
QUESTIONS = PREFIX + "questions"
VECTORS = PREFIX + "vectors"
ASKED_AT = PREFIX + "at"
TOPICS = PREFIX + "topics"
VERSION = PREFIX + "version"
SCHEDULED = PREFIX + "scheduled"
WINDOW_DAYS = 30
MAX_QUESTIONS = 5000
"""The full clustering holds n * (n - 1) / 2 distances: about 100 MB at 5,000 questions."""
TRIMMED_PER_WRITE = 20
ATTEMPTS = 5


def conversation_key(conversation_id: str) -> str:
    return f"{PREFIX}conversation:{conversation_id}"


@dataclass(frozen=True)
class Added:
    """What `add` did: `added` False when the conversation had asked the same already;
    `topic_id` the question's topic; `joined` whether that topic had other members."""

    added: bool
    topic_id: str | None
    joined: bool


@dataclass
class _Change:
    """One transaction's change of the topics, built while watching and written in MULTI."""

    topics: dict[str, Topic]
    changed: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    removed: dict[str, str] = field(default_factory=dict)
    """Question id -> its conversation id, of the questions to delete."""
    questions: list[StoredQuestion] = field(default_factory=list)
    """Questions to write (new, or marked handed off)."""


class TopicStore:
    """Unanswered questions and their topics, on a Redis client the caller owns."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        window: timedelta = timedelta(days=WINDOW_DAYS),
        max_questions: int = MAX_QUESTIONS,
        settings: GapTopicSettings = DEFAULT_SETTINGS,
    ) -> None:
        self._redis = client
        self.window = window
        self.max_questions = max_questions
        self.settings = settings
        self._seen: tuple[str | None, dict[str, Topic]] = (None, {})

    async def add(self, question: StoredQuestion, vector: np.ndarray) -> Added:
        """Keep the question and put it into its topic at once (`assign_question`); a handoff
        marks the conversation's earlier questions as ended in a handoff."""
        unit = unit_rows(np.asarray(vector).reshape(1, -1))[0]

        async def step(pipe: Pipeline, change: _Change) -> Added:
            known = await await_reply(pipe.hget(QUESTIONS, question.question_id))
            if question.kind == "handoff":
                change.questions += await self._marked_handed_off(pipe, question.conversation_id)
            if known is not None:
                return Added(False, None, False)
            await self._remove(pipe, change, await self._beyond_bounds(pipe, question.at, 1))
            new = Question(question.question_id, question.text, unit)
            placed = assign_question(list(change.topics.values()), new, self.settings)
            change.topics[placed.topic.topic_id] = placed.topic
            change.changed.add(placed.topic.topic_id)
            change.questions.append(question)
            pipe.multi()
            pipe.hset(VECTORS, question.question_id, encode_vector(unit))
            pipe.zadd(ASKED_AT, {question.question_id: question.at})
            pipe.sadd(conversation_key(question.conversation_id), question.question_id)
            pipe.expire(conversation_key(question.conversation_id), self.window)
            return Added(True, placed.topic.topic_id, placed.joined)

        return await self._transaction(step)

    async def forget_conversations(self, conversation_ids: Collection[str]) -> int:
        """Delete these conversations' questions (out of their topics too); how many went."""

        async def step(pipe: Pipeline, change: _Change) -> int:
            ids: set[str] = set()
            for conversation_id in set(conversation_ids):
                ids |= await await_reply(pipe.smembers(conversation_key(conversation_id)))
            await self._remove(pipe, change, sorted(ids))
            pipe.multi()
            for conversation_id in set(conversation_ids):
                pipe.delete(conversation_key(conversation_id))
            return len(change.removed)

        return await self._transaction(step) if conversation_ids else 0

    async def recluster(
        self, now: float, cluster: Callable[[list[Question]], list[Topic]]
    ) -> list[Topic]:
        """Cluster the window's questions afresh (`cluster` runs in a worker thread), then
        replace the topics; questions added meanwhile are assigned to the new topics, those
        erased meanwhile taken out. The questions beyond the window or the count go."""
        snapshot = await self._snapshot(now)
        clustered = await asyncio.to_thread(cluster, list(snapshot.values()))

        async def step(pipe: Pipeline, change: _Change) -> list[Topic]:
            beyond = await self._beyond_bounds(pipe, now, 0, None)
            await self._remove(pipe, change, beyond, reshape=False)
            current = set(await await_reply(pipe.zrange(ASKED_AT, 0, -1))) - set(change.removed)
            new = await self._questions_with_vectors(pipe, sorted(current - set(snapshot)))
            topics = merged(clustered, current, new, snapshot, self.settings)
            before = set(change.topics)
            change.topics = {topic.topic_id: topic for topic in topics}
            change.gone = before - set(change.topics)
            change.changed = set(change.topics)
            pipe.multi()
            return topics

        return await self._transaction(step)

    async def _transaction(self, step: Callable[[Pipeline, _Change], Awaitable[Any]]) -> Any:
        """Run `step` watching the version: it reads (immediate mode), queues its writes after
        `pipe.multi()`; the change of topics and questions is queued after it. Retried when
        another writer changed the topics meanwhile."""
        for _ in range(ATTEMPTS):
            async with guard(), self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(VERSION)
                    version = await await_reply(pipe.get(VERSION)) or ""
                    change = _Change(dict(await self._topics_of(pipe, version)))
                    result = await step(pipe, change)
                    if not pipe.explicit_transaction:
                        pipe.multi()
                    new_version = self._queue(pipe, change)
                    await pipe.execute()
                    self._seen = (new_version, change.topics)
                    return result
                except WatchError:
                    continue
        raise RedisUnavailable("the gap topics kept changing: try again")

    async def _topics_of(self, pipe: Pipeline, version: str) -> dict[str, Topic]:
        """The topics of this version: kept from the last change seen, or read."""
        if version != self._seen[0]:
            stored: dict[str, str] = await await_reply(pipe.hgetall(TOPICS))
            self._seen = (version, {tid: topic_from_json(tid, t) for tid, t in stored.items()})
        return self._seen[1]

    def _queue(self, pipe: Pipeline, change: _Change) -> str:
        """Queue the change's writes and a new version; returns that version."""
        if change.questions:
            pipe.hset(QUESTIONS, mapping={q.question_id: q.to_json() for q in change.questions})
        if change.removed:
            by_conversation: dict[str, list[str]] = {}
            for question_id, conversation_id in change.removed.items():
                by_conversation.setdefault(conversation_id, []).append(question_id)
            for conversation_id, ids in by_conversation.items():
                pipe.srem(conversation_key(conversation_id), *ids)
            for key in (QUESTIONS, VECTORS):
                pipe.hdel(key, *change.removed)
            pipe.zrem(ASKED_AT, *change.removed)
        written = change.changed & set(change.topics)
        if written:
            pipe.hset(TOPICS, mapping={t: topic_json(change.topics[t]) for t in written})
        if change.gone:
            pipe.hdel(TOPICS, *change.gone)
        version = secrets.token_hex(8)
        pipe.set(VERSION, version)
        for key in KEYS:
            pipe.expire(key, self.window)
        return version

    async def _marked_handed_off(
        self, pipe: Pipeline, conversation_id: str
    ) -> list[StoredQuestion]:
        """The conversation's questions not marked yet, marked as ended in a handoff."""
        ids = sorted(await await_reply(pipe.smembers(conversation_key(conversation_id))))
        stored = await await_reply(pipe.hmget(QUESTIONS, ids)) if ids else []
        earlier = [StoredQuestion.from_json(text) for text in stored if text]
        return [replace(q, handed_off=True) for q in earlier if not q.handed_off]

    async def _beyond_bounds(
        self, pipe: Pipeline, now: float, extra: int, most: int | None = TRIMMED_PER_WRITE
    ) -> list[str]:
        """Questions older than the window or beyond the count (with `extra` more to come),
        oldest first; at most `most` (None: all)."""
        cutoff = now - self.window.total_seconds()
        start, num = (None, None) if most is None else (0, most)
        old = list(await await_reply(pipe.zrangebyscore(ASKED_AT, "-inf", cutoff, start, num)))
        over = int(await await_reply(pipe.zcard(ASKED_AT))) + extra - self.max_questions
        if over > len(old):
            count = over if most is None else min(over, most)
            old = list(
                dict.fromkeys([*old, *await await_reply(pipe.zrange(ASKED_AT, 0, count - 1))])
            )
        return old

    async def _remove(
        self, pipe: Pipeline, change: _Change, ids: Sequence[str], *, reshape: bool = True
    ) -> None:
        """Mark these questions for deletion and (`reshape`) take them out of their topics
        (a topic left empty goes)."""
        if not ids:
            return
        stored = await await_reply(pipe.hmget(QUESTIONS, list(ids)))
        for question_id, text in zip(ids, stored, strict=True):
            owner = StoredQuestion.from_json(text).conversation_id if text else ""
            change.removed[question_id] = owner
        if not reshape:
            return
        vectors = await await_reply(pipe.hmget(VECTORS, list(ids)))
        removed = {qid: decode_vector(v) for qid, v in zip(ids, vectors, strict=True) if v}
        for topic_id, topic in list(change.topics.items()):
            left = [member for member in topic.member_ids if member not in change.removed]
            if len(left) == topic.size:
                continue
            del change.topics[topic_id]
            shrunk = without(topic, change.removed, removed) if left else None
            if shrunk is None and left:  # its representative left: the topic is worked out again
                members = await self._questions_with_vectors(pipe, left)
                shrunk = topic_of(topic_id, members) if members else None
            if shrunk is None:
                change.gone.add(topic_id)
            else:
                change.topics[topic_id] = shrunk
                change.changed.add(topic_id)

    async def _questions_with_vectors(self, pipe: Any, ids: Sequence[str]) -> list[Question]:
        if not ids:
            return []
        texts = await await_reply(pipe.hmget(QUESTIONS, list(ids)))
        vectors = await await_reply(pipe.hmget(VECTORS, list(ids)))
        return [
            Question(question_id, StoredQuestion.from_json(text).text, decode_vector(vector))
            for question_id, text, vector in zip(ids, texts, vectors, strict=True)
            if text and vector
        ]

    async def _snapshot(self, now: float) -> dict[str, Question]:
        """The window's questions with their vectors, oldest first."""
        cutoff = now - self.window.total_seconds()
        async with guard():
            ids = await await_reply(self._redis.zrangebyscore(ASKED_AT, cutoff, "+inf"))
            found = await self._questions_with_vectors(self._redis, ids[-self.max_questions :])
        return {question.question_id: question for question in found}

    async def questions(self) -> list[StoredQuestion]:
        """Every question kept (masked), oldest first."""
        async with guard():
            ids = await await_reply(self._redis.zrange(ASKED_AT, 0, -1))
            stored = await await_reply(self._redis.hmget(QUESTIONS, ids)) if ids else []
        return [StoredQuestion.from_json(text) for text in stored if text]

    async def topics(self) -> list[Topic]:
        """The topics as stored now, largest first."""
        async with guard():
            version = await await_reply(self._redis.get(VERSION)) or ""
            if version != self._seen[0]:
                stored: dict[str, str] = await await_reply(self._redis.hgetall(TOPICS))
                found = {tid: topic_from_json(tid, text) for tid, text in stored.items()}
                self._seen = (version, found)
        return sorted(self._seen[1].values(), key=lambda t: (-t.size, t.topic_id))

    async def questions_of(self, conversation_ids: Collection[str]) -> list[StoredQuestion]:
        """These conversations' questions (a customer's access request)."""
        found = []
        async with guard():
            for conversation_id in sorted(set(conversation_ids)):
                ids = sorted(
                    await await_reply(self._redis.smembers(conversation_key(conversation_id)))
                )
                stored = await await_reply(self._redis.hmget(QUESTIONS, ids)) if ids else []
                found += [StoredQuestion.from_json(text) for text in stored if text]
        return found

    async def claim_schedule(self, interval_seconds: float) -> bool:
        """True for one caller per `interval_seconds` among all replicas (the scheduled
        re-clustering)."""
        async with guard():
            claimed = await self._redis.set(SCHEDULED, "1", nx=True, px=int(interval_seconds * 900))
        return bool(claimed)


KEYS = (QUESTIONS, VECTORS, ASKED_AT, TOPICS, VERSION)
"""The keys renewed to the window's expiry on every change."""
