"""Gap topics as a content editor sees them: questions asked in different words about one thing
form one topic, unrelated questions do not, a new question joins the right topic at once, and
the same questions always give the same topics. Real all-MiniLM-L6-v2 vectors, shipped
thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from content.gap_topics import (
    GapTopicSettings,
    Question,
    Topic,
    assign_question,
    centroid_matrix,
    cluster_questions,
)
from knowledge_base.embeddings import Embedder

ASKED = {
    "card_arrival": [
        "My new card still hasn't arrived",
        "When will my card be delivered?",
        "I ordered a new card but it still hasn't come",
        "How long does it take for a new card to arrive in the post?",
    ],
    "password": [
        "I forgot my password",
        "How do I reset my password?",
        "I can't log in because I don't remember my password",
    ],
    "refund": [
        "How do I get a refund for my order?",
        "I want my money back for the item I returned",
        "Can I return this product and be refunded?",
    ],
}
UNRELATED = "Which plants grow well on a shady balcony?"


def questions_of(embedder: Embedder, texts: list[str], prefix: str = "q") -> list[Question]:
    vectors = embedder.embed(texts)
    return [Question(f"{prefix}{row}", text, vectors[row]) for row, text in enumerate(texts)]


@pytest.fixture(scope="module")
def asked(embedder: Embedder) -> list[Question]:
    texts = [text for group in ASKED.values() for text in group] + [UNRELATED]
    return questions_of(embedder, texts)


def topic_texts(topics: list[Topic], questions: list[Question]) -> list[set[str]]:
    text_of = {question.question_id: question.text for question in questions}
    return [{text_of[member] for member in topic.member_ids} for topic in topics]


def test_differently_phrased_questions_about_one_thing_form_one_topic(
    asked: list[Question],
) -> None:
    grouped = topic_texts(cluster_questions(asked), asked)
    for group in ASKED.values():
        assert set(group) in grouped


def test_an_unrelated_question_is_a_topic_of_its_own(asked: list[Question]) -> None:
    topics = cluster_questions(asked)
    assert {UNRELATED} in topic_texts(topics, asked)
    assert len(topics) == len(ASKED) + 1


def test_every_question_in_one_topic_and_the_representative_is_a_member(
    asked: list[Question],
) -> None:
    topics = cluster_questions(asked)
    members = [member for topic in topics for member in topic.member_ids]
    assert sorted(members) == sorted(question.question_id for question in asked)
    for topic in topics:
        assert topic.representative.question_id in topic.member_ids
        assert topic.size == len(topic.member_ids)
    assert [topic.size for topic in topics] == sorted((t.size for t in topics), reverse=True)


def test_the_same_questions_give_the_same_topics(asked: list[Question]) -> None:
    first, second = cluster_questions(asked), cluster_questions(list(asked))
    assert [(t.topic_id, t.member_ids, t.representative.question_id) for t in first] == [
        (t.topic_id, t.member_ids, t.representative.question_id) for t in second
    ]


def test_a_new_question_joins_the_topic_it_is_about(
    embedder: Embedder, asked: list[Question]
) -> None:
    topics = cluster_questions(asked)
    [new] = questions_of(embedder, ["my card has not come in the mail yet"], prefix="new")
    assignment = assign_question(topics, new)
    assert assignment.joined
    text_of = {question.question_id: question.text for question in asked}
    joined_texts = {text_of.get(member) for member in assignment.topic.member_ids}
    assert set(ASKED["card_arrival"]) <= joined_texts
    assert assignment.topic.member_ids[-1] == "new0"
    assert assignment.topic.representative.question_id in assignment.topic.member_ids
    before = next(t for t in topics if t.topic_id == assignment.topic.topic_id)
    assert assignment.topic.size == before.size + 1


def test_a_new_question_about_something_else_starts_a_topic(
    embedder: Embedder, asked: list[Question]
) -> None:
    topics = cluster_questions(asked)
    [new] = questions_of(embedder, ["Is the museum open on public holidays?"], prefix="new")
    assignment = assign_question(topics, new)
    assert not assignment.joined
    assert assignment.topic.member_ids == ("new0",)
    assert assignment.topic.representative.question_id == "new0"
    assert assignment.topic.topic_id not in {topic.topic_id for topic in topics}


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(384)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def test_joining_keeps_the_centroid_the_mean_of_all_members() -> None:
    questions = [Question(f"q{i}", f"text {i}", unit(1.0, 0.1 * i)) for i in range(4)]
    [topic] = cluster_questions(questions[:3])
    assignment = assign_question([topic], questions[3], centroids=centroid_matrix([topic]))
    assert assignment.joined
    [whole] = cluster_questions(questions)
    assert np.allclose(assignment.topic.centroid, whole.centroid)
    assert assignment.similarity == pytest.approx(float(questions[3].vector @ topic.centroid))


def test_the_first_question_starts_the_first_topic() -> None:
    assert cluster_questions([]) == []
    assignment = assign_question([], Question("q0", "hello", unit(1.0)))
    assert (assignment.joined, assignment.similarity) == (False, None)
    assert assignment.topic.member_ids == ("q0",)


def test_ids_must_be_unique_and_thresholds_in_range() -> None:
    question = Question("q0", "hello", unit(1.0))
    with pytest.raises(ValueError, match="unique"):
        cluster_questions([question, question])
    [topic] = cluster_questions([question])
    with pytest.raises(ValueError, match="already"):
        assign_question([topic], question)
    with pytest.raises(ValueError):
        GapTopicSettings(merge_distance=0.0)
    with pytest.raises(ValueError):
        GapTopicSettings(join_similarity=1.5)
