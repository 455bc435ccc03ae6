"""Gap topics: unanswered questions grouped by meaning, from their all-MiniLM-L6-v2 vectors.

Two operations on the same rule, so a topic means the same thing whichever made it:

- `cluster_questions` (the full re-clustering, on demand or on a schedule): agglomerative
  clustering with average linkage on cosine distance, cut where the two closest groups are on
  average further apart than `GapTopicSettings.merge_distance`. The number of topics is not
  given; it follows from the threshold.
- `assign_question` (a new question, at once): the question joins the topic whose members it
  is on average most similar to - its dot product with the topic's centroid, the plain mean of
  the members' unit vectors - when that mean similarity is at least
  `GapTopicSettings.join_similarity`; otherwise it starts a topic of its own. This is one more
  step of the same average linkage: a question's average cosine distance to a topic's members
  is 1 - (question . centroid).

Both thresholds were chosen on BANKING77's train split (benchmarks/gap_topics_tune.py, its
figures in benchmarks/results/gap_topics_tuning.json); the test split measures them
(benchmarks/gap_topics.py, BENCHMARKS.md "Gap topics"). Average linkage rather than ward or
HDBSCAN: as good as ward's best cut on the tuning samples and, unlike it, as good on 770 or
10,003 questions as on 3,080 (a fixed threshold must hold whatever the volume of unanswered
questions); HDBSCAN left a third or more of the questions as noise, or one giant cluster.
It leaves more topics than there are intents (many of a question or two): show the largest
first.

A store keeps per topic what `Topic` holds: its id, centroid, member ids and representative
question (id, text, vector). The full clustering holds a distance matrix of n * (n - 1) / 2
floats: about 40 MB at 3,000 questions, 400 MB at 10,000; cluster a window (e.g. 30 days) of
questions, not all of them ever asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DIMENSIONS = 384  # all-MiniLM-L6-v2


@dataclass(frozen=True)
class GapTopicSettings:
    """The two thresholds (see the module's docstring); the defaults are the tuned ones."""

    merge_distance: float = 0.425
    """Full clustering: groups merge while their average cosine distance is below this."""
    join_similarity: float = 0.575
    """Incremental: a question joins a topic when its mean cosine similarity to the topic's
    members is at least this. Tuned on its own, it came out at 1 - merge_distance: the
    average-linkage step the full clustering would have taken."""

    def __post_init__(self) -> None:
        if not 0.0 < self.merge_distance < 2.0:
            raise ValueError("merge_distance must be between 0 and 2 (cosine distance)")
        if not -1.0 <= self.join_similarity <= 1.0:
            raise ValueError("join_similarity must be between -1 and 1 (cosine similarity)")


DEFAULT_SETTINGS = GapTopicSettings()


@dataclass(frozen=True, eq=False)
class Question:
    """An unanswered question: its id (the store's), its (masked) text and its unit vector."""

    question_id: str
    text: str
    vector: np.ndarray


@dataclass(frozen=True, eq=False)
class Topic:
    """A group of unanswered questions about one thing.

    `centroid` is the mean of the members' unit vectors, not rescaled: its dot product with a
    unit vector is that vector's mean cosine similarity to the members. `representative` is the
    member nearest the centroid (after an incremental join: the nearer of the previous
    representative and the new question; a full clustering makes it exact again)."""

    topic_id: str
    centroid: np.ndarray
    member_ids: tuple[str, ...]
    representative: Question

    @property
    def size(self) -> int:
        return len(self.member_ids)


@dataclass(frozen=True)
class Assignment:
    """Where `assign_question` put a question: `topic` is the joined topic as it is now (same
    id, one member more) or a new topic of that question alone (`joined` False);
    `similarity` is the question's mean cosine similarity to the joined topic's members, or to
    the nearest topic's when it started its own (None when there was no topic)."""

    topic: Topic
    joined: bool
    similarity: float | None


def topic_id_for(member_ids: Sequence[str]) -> str:
    """A topic's id from its members at creation: the same questions give the same id."""
    hasher = hashlib.sha256()
    for member_id in sorted(member_ids):
        hasher.update(member_id.encode())
        hasher.update(b"\0")
    return "topic-" + hasher.hexdigest()[:16]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """The rows scaled to unit length (float64; a zero row stays zero)."""
    rows = np.asarray(vectors, dtype=np.float64)
    if rows.ndim != 2:
        raise ValueError("expected a matrix of vectors, one row per question")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.clip(norms, 1e-12, None)


def cluster_labels(vectors: np.ndarray, merge_distance: float) -> np.ndarray:
    """A topic number per row of `vectors` (unit rows): average-linkage agglomerative
    clustering on cosine distance, cut at `merge_distance`. Numbered by first appearance, so
    the same input gives the same numbers."""
    count = len(vectors)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count == 1:
        return np.zeros(1, dtype=np.int64)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=merge_distance,
        compute_full_tree=True,
    )
    raw = model.fit_predict(unit_rows(vectors))
    renumbered: dict[int, int] = {}
    return np.array([renumbered.setdefault(int(label), len(renumbered)) for label in raw])


def _topic(members: Sequence[Question], vectors: np.ndarray) -> Topic:
    """A topic of `members` (their unit vectors are the rows of `vectors`)."""
    centroid = vectors.mean(axis=0)
    nearest = int(np.argmax(vectors @ centroid))
    member_ids = tuple(question.question_id for question in members)
    chosen = members[nearest]
    return Topic(
        topic_id=topic_id_for(member_ids),
        centroid=centroid,
        member_ids=member_ids,
        representative=Question(chosen.question_id, chosen.text, vectors[nearest]),
    )


def cluster_questions(
    questions: Sequence[Question], settings: GapTopicSettings = DEFAULT_SETTINGS
) -> list[Topic]:
    """The full clustering: every question in exactly one topic, the largest topics first
    (ties by topic id). Deterministic: the same questions in the same order give the same
    topics, ids and representatives."""
    if len({question.question_id for question in questions}) != len(questions):
        raise ValueError("question ids must be unique")
    if not questions:
        return []
    vectors = unit_rows(np.vstack([question.vector for question in questions]))
    labels = cluster_labels(vectors, settings.merge_distance)
    topics = []
    for label in range(int(labels.max()) + 1):
        rows = np.flatnonzero(labels == label)
        topics.append(_topic([questions[int(row)] for row in rows], vectors[rows]))
    return sorted(topics, key=lambda topic: (-topic.size, topic.topic_id))


def centroid_matrix(topics: Sequence[Topic]) -> np.ndarray:
    """The topics' centroids, one row each (what `assign_question` compares a question with;
    a caller assigning many questions to a fixed set of topics may build it once)."""
    if not topics:
        return np.zeros((0, DIMENSIONS))
    return np.vstack([topic.centroid for topic in topics])


def assign_question(
    topics: Sequence[Topic],
    question: Question,
    settings: GapTopicSettings = DEFAULT_SETTINGS,
    centroids: np.ndarray | None = None,
) -> Assignment:
    """Put one new question into the topic whose members it is on average most similar to, or
    into a new topic when none reaches `settings.join_similarity`. Pure: returns the joined
    topic updated (centroid, members, representative) or the new topic; the caller stores it.
    `centroids` (from `centroid_matrix(topics)`) saves rebuilding the matrix."""
    if any(question.question_id in topic.member_ids for topic in topics):
        raise ValueError(f"question {question.question_id} is already in a topic")
    vector = unit_rows(np.asarray(question.vector).reshape(1, -1))[0]
    question = Question(question.question_id, question.text, vector)
    if not topics:
        return Assignment(_topic([question], vector.reshape(1, -1)), joined=False, similarity=None)
    matrix = centroid_matrix(topics) if centroids is None else centroids
    similarities = matrix @ vector
    best = int(np.argmax(similarities))
    similarity = float(similarities[best])
    if similarity < settings.join_similarity:
        alone = _topic([question], vector.reshape(1, -1))
        return Assignment(alone, joined=False, similarity=similarity)
    return Assignment(joined_topic(topics[best], question), joined=True, similarity=similarity)


def joined_topic(topic: Topic, question: Question) -> Topic:
    """`topic` with `question` (unit vector) added: the running mean for the centroid, and the
    question as representative when it is nearer the new centroid than the previous one."""
    size = topic.size
    centroid = (topic.centroid * size + question.vector) / (size + 1)
    previous = topic.representative
    representative = (
        question
        if float(question.vector @ centroid) > float(np.asarray(previous.vector) @ centroid)
        else previous
    )
    return Topic(
        topic_id=topic.topic_id,
        centroid=centroid,
        member_ids=(*topic.member_ids, question.question_id),
        representative=representative,
    )
