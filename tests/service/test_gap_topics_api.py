"""The gap topics API on the real service (real model, sample help centre, real Redis): questions
the help centre cannot answer, asked through POST /kb/search in different words, show as one
topic to the content team; unrelated ones stay apart; a re-clustering agrees; a handoff's
request and "that didn't help" count too; erasure takes a customer's questions out; a plain
agent is refused and a bad limit is a 400 saying why."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from content.new_drafts import PLACEHOLDER
from handoff.privacy.customer_index import customer_conversations
from knowledge_base.articles import read_article
from tests.support.handoff import PAYMENT, agent_headers, conversation, handoff_body
from tests.support.redis_contents import every_value_text

ROUTE = "/agent/content/topics"
# Nobody's article answers these (the sample help centre has none about jobs, crypto or Alexa)
JOBS = ["are you hiring", "is your company hiring", "any job openings at your company?"]
UNRELATED = ["do you accept cryptocurrency", "does it work with alexa"]


async def ask(client: TestClient, question: str, conversation_id: str) -> None:
    body = {"query": question, "conversation_id": conversation_id}
    response = await client.post("/kb/search", json=body)
    payload = await response.json()
    assert response.status == 200 and not payload["answered"], payload
    assert payload["miss_recorded"]


async def topics(client: TestClient, headers: dict[str, str], query: str = "") -> Any:
    response = await client.get(ROUTE + query, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


def members(topic: dict[str, Any]) -> set[str]:
    return {topic["representative"], *topic["examples"]}


async def test_questions_asked_in_different_words_show_as_one_topic(  # type: ignore[no-untyped-def]
    handoff_client, redis_url
) -> None:
    for number, question in enumerate(JOBS + UNRELATED):
        await ask(handoff_client, question, f"gap-conv-{number}")
    editor = await agent_headers(redis_url, "cleo")  # role content
    listed = await topics(handoff_client, editor)
    [topic] = listed["topics"]
    assert topic["size"] == 3 and members(topic) == set(JOBS)
    assert topic["last_7_days"] == topic["last_30_days"] == 3
    assert topic["kinds"] == {"miss": 3, "not_helpful": 0, "handoff": 0}
    assert listed["unclustered"] == 2 and listed["questions"] == 5
    article = topic["closest_article"]
    assert article is None or {"article_id", "title", "score"} <= set(article)
    assert article is None or article["answers"] is False  # nobody's article answers jobs

    supervisor = await agent_headers(redis_url, "dana")
    response = await handoff_client.post(f"{ROUTE}/recluster", headers=supervisor)
    assert response.status == 200, await response.text()
    assert (await response.json())["topics"] == 1
    [again] = (await topics(handoff_client, supervisor))["topics"]
    assert members(again) == set(JOBS)


async def test_a_handoff_and_an_answer_that_did_not_help_count(  # type: ignore[no-untyped-def]
    handoff_client, redis_url, redis_client
) -> None:
    await ask(handoff_client, JOBS[0], "gap-a")
    await ask(handoff_client, JOBS[1], "gap-b")
    # the customer asks, the article does not help, then they ask for a person
    builder = conversation(PAYMENT, conversation_id="gap-c")
    await redis_client.set("tracker:gap-c", json.dumps(builder.tracker()))
    feedback = {"article_id": PAYMENT.article_id, "helpful": False, "conversation_id": "gap-c"}
    assert (await handoff_client.post("/kb/feedback", json=feedback)).status == 200
    response = await handoff_client.post("/handoff/tickets", json=handoff_body(builder))
    assert response.status == 201, await response.text()
    listed = await topics(handoff_client, await agent_headers(redis_url, "cleo"))
    [jobs] = [t for t in listed["topics"] if JOBS[0] in members(t)]
    assert jobs["handoffs"] == 0
    # the payment question: "not helpful" first; the handoff's request is the same question
    stored = await redis_client.hvals("content:gaps:questions")
    payment = [json.loads(text) for text in stored if "declined" in text]
    assert [(q["kind"], q["handed_off"]) for q in payment] == [("not_helpful", True)]


async def test_erasure_removes_a_customers_questions(  # type: ignore[no-untyped-def]
    handoff_client, redis_url, redis_client
) -> None:
    for number, question in enumerate(JOBS):
        await ask(handoff_client, question, f"gap-erase-{number}")
    await redis_client.sadd(customer_conversations("c-gap"), "gap-erase-0")
    response = await handoff_client.delete("/privacy/customers/c-gap")
    assert response.status == 200, await response.text()
    assert (await response.json())["erased"]["gap_questions"] == 1
    assert JOBS[0] not in await every_value_text(redis_client)
    [topic] = (await topics(handoff_client, await agent_headers(redis_url, "cleo")))["topics"]
    assert members(topic) == set(JOBS[1:])


async def test_a_plain_agent_is_refused_and_a_bad_limit_says_why(  # type: ignore[no-untyped-def]
    handoff_client, redis_url
) -> None:
    agent = await agent_headers(redis_url, "maya")
    for method, path in (("GET", ROUTE), ("POST", f"{ROUTE}/recluster")):
        response = await handoff_client.request(method, path, headers=agent)
        assert response.status == 403, await response.text()
    editor = await agent_headers(redis_url, "cleo")
    for query, reason in (("?limit=0", "limit must be"), ("?days=3", "unknown parameter")):
        response = await handoff_client.get(ROUTE + query, headers=editor)
        assert response.status == 400 and reason in (await response.json())["error"]


async def test_a_topic_becomes_a_draft_that_cannot_go_live_before_its_answer_is_written(  # type: ignore[no-untyped-def]
    handoff_client, redis_url, articles_dir
) -> None:
    for number, question in enumerate(JOBS):
        await ask(handoff_client, question, f"gap-draft-{number}")
    editor = await agent_headers(redis_url, "cleo")
    [topic] = (await topics(handoff_client, editor))["topics"]
    response = await handoff_client.post(f"{ROUTE}/{topic['topic_id']}/draft", headers=editor)
    assert response.status == 201, await response.text()
    drafted = await response.json()
    article = read_article(articles_dir / drafted["file"])
    assert article.status == "draft" and article.title.lower() == topic["representative"]
    assert {q.text for q in article.questions} == set(JOBS)  # each phrasing attached
    assert PLACEHOLDER in article.sections[0].text

    publish = f"/agent/content/articles/{drafted['article_id']}/publish"
    body = {"expected_version": drafted["article_version"]}
    refused = await handoff_client.post(publish, json=body, headers=editor)
    assert refused.status == 400 and "write the answer first" in (await refused.json())["error"]
    assert read_article(articles_dir / drafted["file"]).status == "draft"

    gone = await handoff_client.post(f"{ROUTE}/topic-0123456789abcdef/draft", headers=editor)
    assert gone.status == 404
    bad = await handoff_client.post(f"{ROUTE}/not-a-topic/draft", headers=editor)
    assert bad.status == 400
