"""POST /kb/search with `context_article_id`: follow-up questions read with the previous
answer's topic, with the real model and a real Redis."""

from __future__ import annotations

import pytest


async def test_a_follow_up_is_answered_with_the_previous_topic(client) -> None:  # type: ignore[no-untyped-def]
    question = {"query": "how much does it cost?", "conversation_id": "f1"}
    alone = await (await client.post("/kb/search", json=question)).json()
    assert alone["follow_up"] is False
    assert not (alone["answered"] and alone["answer"]["article_id"] == "plus-billing")

    response = await client.post(
        "/kb/search", json={**question, "context_article_id": "plus-benefits"}
    )
    assert response.status == 200
    body = await response.json()
    assert body["follow_up"] is True
    assert body["answered"] is True
    assert body["answer"]["article_id"] == "plus-billing"
    assert "$7.99" in body["answer"]["answer"]
    assert body["query"] == "how much does it cost?"  # the customer's words, not the rewrite


async def test_a_fresh_question_is_not_changed_by_the_context(client) -> None:  # type: ignore[no-untyped-def]
    question = {"query": "when will my refund show up on my card?", "conversation_id": "f2"}
    alone = await (await client.post("/kb/search", json=question)).json()
    with_context = await (
        await client.post("/kb/search", json={**question, "context_article_id": "plus-benefits"})
    ).json()
    assert with_context["follow_up"] is False
    assert with_context == alone


async def test_an_unknown_context_article_is_ignored(client) -> None:  # type: ignore[no-untyped-def]
    body = {"query": "how much does it cost?", "context_article_id": "no-such-article"}
    response = await client.post("/kb/search", json=body)
    assert response.status == 200
    assert (await response.json())["follow_up"] is False


@pytest.mark.parametrize("context", [42, "Plus Benefits!", "", ["plus-benefits"], "x" * 101])
async def test_a_malformed_context_article_id_is_a_clear_400(client, context) -> None:  # type: ignore[no-untyped-def]
    body = {"query": "how much does it cost?", "context_article_id": context}
    response = await client.post("/kb/search", json=body)
    assert response.status == 400
    assert "context_article_id must be an article id" in (await response.json())["error"]


async def test_a_follow_up_miss_is_recorded_as_the_customer_asked_it(client) -> None:  # type: ignore[no-untyped-def]
    body = {"query": "and the weather?", "context_article_id": "return-policy"}
    answer = await (await client.post("/kb/search", json=body)).json()
    assert answer["follow_up"] is True
    assert answer["answered"] is False
    assert answer["miss_recorded"] is True
    listing = await (await client.get("/kb/unanswered")).json()
    assert listing["questions"][0]["question"] == "and the weather"
