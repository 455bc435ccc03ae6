"""What the gap topics' store keeps, as plain data: an unanswered question as stored, vectors as
text, a topic's stored form, and the topics rebuilt after questions left or came (pure: numpy and
content/gap_topics.py, no I/O; content/topic_store.py is the Redis edge)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from content.gap_topics import GapTopicSettings, Question, Topic, assign_question, unit_rows

KINDS = ("miss", "not_helpful", "handoff")
"""Why a question counts as unanswered: the search found no answer; the customer said the answer
did not help; the customer was handed to a person."""


@dataclass(frozen=True)
class StoredQuestion:
    """One unanswered question as kept: masked text, where and when, why it counts as
    unanswered (`kind`: miss | not_helpful | handoff), the closest article then, and whether
    a person was asked for in its conversation at or after it."""

    question_id: str
    text: str
    conversation_id: str
    kind: str
    at: float
    closest_article_id: str | None = None
    closest_score: float | None = None
    handed_off: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> StoredQuestion:
        return cls(**json.loads(text))


def question_id_for(conversation_id: str, normalised_text: str) -> str:
    """The same question asked again in one conversation is one question; a question of no
    known conversation is always a new one."""
    if not conversation_id or conversation_id == "unknown":
        return "gq-" + secrets.token_hex(8)
    digest = hashlib.sha256(f"{conversation_id}\0{normalised_text}".encode()).hexdigest()
    return "gq-" + digest[:16]


def encode_vector(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()


def decode_vector(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float64)


def topic_json(topic: Topic) -> str:
    representative = topic.representative
    return json.dumps(
        {
            "members": list(topic.member_ids),
            "centroid": encode_vector(topic.centroid),
            "representative": {
                "id": representative.question_id,
                "text": representative.text,
                "vector": encode_vector(representative.vector),
            },
        }
    )


def topic_from_json(topic_id: str, text: str) -> Topic:
    data = json.loads(text)
    chosen = data["representative"]
    return Topic(
        topic_id=topic_id,
        centroid=decode_vector(data["centroid"]),
        member_ids=tuple(data["members"]),
        representative=Question(chosen["id"], chosen["text"], decode_vector(chosen["vector"])),
    )


def topic_of(topic_id: str, members: Sequence[Question]) -> Topic:
    """A topic of these members (unit vectors) under a given id, its representative the member
    nearest the centroid."""
    vectors = unit_rows(np.vstack([member.vector for member in members]))
    centroid = vectors.mean(axis=0)
    nearest = int(np.argmax(vectors @ centroid))
    chosen = members[nearest]
    return Topic(
        topic_id=topic_id,
        centroid=centroid,
        member_ids=tuple(member.question_id for member in members),
        representative=Question(chosen.question_id, chosen.text, vectors[nearest]),
    )


def without(
    topic: Topic, removed: Collection[str], vectors: Mapping[str, np.ndarray]
) -> Topic | None:
    """`topic` with the `removed` members taken out, its centroid by the running mean
    (`vectors`: the removed questions' unit vectors). None when no member is left, or its
    representative or a vector is among the missing: the caller works the topic out again from
    the members left."""
    gone = [member for member in topic.member_ids if member in removed]
    left = tuple(member for member in topic.member_ids if member not in removed)
    if not left or topic.representative.question_id in removed:
        return None
    if any(member not in vectors for member in gone):
        return None
    total = topic.centroid * topic.size - np.sum([vectors[m] for m in gone], axis=0)
    return Topic(topic.topic_id, total / len(left), left, topic.representative)


def merged(
    clustered: Sequence[Topic],
    current: set[str],
    new: Sequence[Question],
    snapshot: dict[str, Question],
    settings: GapTopicSettings,
) -> list[Topic]:
    """The clustering's topics brought up to date: members no longer kept taken out, the
    questions added since the snapshot assigned one by one."""
    topics: list[Topic] = []
    for topic in clustered:
        left = [snapshot[member] for member in topic.member_ids if member in current]
        if len(left) == topic.size:
            topics.append(topic)
        elif left:
            topics.append(topic_of(topic.topic_id, left))
    for question in new:
        placed = assign_question(topics, question, settings)
        topics = [t for t in topics if t.topic_id != placed.topic.topic_id] + [placed.topic]
    return sorted(topics, key=lambda topic: (-topic.size, topic.topic_id))
