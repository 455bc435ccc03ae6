"""The content team's API on the real service (real model, real Redis, a copy of the sample help
centre): trying a draft, publishing it (the live service answers from it after its hot reload;
one of two concurrent publishes wins; broken front matter is refused and the published set stays
served), agents' answers as suggestions and drafts, and a content token kept off the tickets."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from content.store import AUDIT
from knowledge_base.articles import parse_article, read_article
from tests.support.handoff import HUB, agent_headers, conversation, go_online, handoff_body

GIFT_WRAPPING = """---
id: gift-wrapping
title: Gift wrapping and gift messages
category: orders-delivery
team: shipping
tags: [gift wrap, gift message, present]
status: draft
updated: 2026-01-02
---
Sending a Hearthly device as a present? We can wrap it and add a note.

## Can you gift wrap my order?
Yes. Tick "Gift wrap this order" at checkout: the device comes in a Hearthly gift box with a
ribbon, for $4.95 per order. The invoice and prices are left out of a gift-wrapped parcel.

## Can I add a gift message?
Yes. Write up to 200 characters in "Gift message" at checkout; we print it on a card that goes
in the box.
"""
NOBODY_COULD_ANSWER = ["can you gift wrap my order", "can i add a gift message to the present"]
TODAY = "2026-03-10"  # the movable clock's day (tests/support/handoff.py OPEN_HOURS)


@pytest.fixture
def client(handoff_client: TestClient) -> TestClient:
    return handoff_client


@pytest.fixture
async def cleo(redis_url: str) -> dict[str, str]:
    """The content editor of handoff/routing/agents.yml (role content, no team)."""
    return await agent_headers(redis_url, "cleo")


async def answer(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def search(client: Any, query: str) -> dict[str, Any]:
    return await answer(await client.post("/kb/search", json={"query": query}))  # type: ignore[no-any-return]


async def gift_wrapping_draft(client: Any, articles_dir: Path, cleo: dict[str, str]) -> str:
    """The draft written into the help centre; its version as the drafts listing shows it."""
    (articles_dir / "gift-wrapping.md").write_text(GIFT_WRAPPING, encoding="utf-8")
    listing = await answer(await client.get("/agent/content/drafts", headers=cleo))
    versions = {d["article_id"]: d["article_version"] for d in listing["drafts"]}
    return str(versions["gift-wrapping"])


async def test_a_content_token_gets_403_on_tickets_queues_and_customers(  # type: ignore[no-untyped-def]
    client, cleo, redis_url
) -> None:
    opened = await client.post("/handoff/tickets", json=handoff_body(conversation(HUB)))
    ticket_id = (await answer(opened, 201))["ticket_id"]
    for method, path in (
        ("GET", "/agent/tickets"),
        ("GET", f"/agent/tickets/{ticket_id}"),
        ("GET", "/agent/tickets/tk-no-such-ticket"),
        ("GET", "/agent/queues"),
        ("POST", f"/agent/tickets/{ticket_id}/claim"),
        ("PUT", "/agent/presence"),
        ("GET", "/agent/privacy/customers/c-1/export"),
        ("GET", "/agent/analytics/metrics"),
    ):
        response = await client.request(method, path, headers=cleo, json={"presence": "online"})
        assert response.status == 403, (path, await response.text())
        assert "no tickets" in (await response.json())["error"]
    me = await answer(await client.get("/agent/me", headers=cleo))
    assert (me["role"], me["teams"]) == ("content", [])
    priya = await agent_headers(redis_url, "priya")  # an agent is kept off the content API
    assert (await client.get("/agent/content/drafts", headers=priya)).status == 403


async def test_trying_a_draft_shows_it_answers_what_nobody_could_and_keeps_kb_questions(  # type: ignore[no-untyped-def]
    client, cleo, articles_dir
) -> None:
    for question in NOBODY_COULD_ANSWER:  # asked by customers: unanswered, recorded as misses
        assert not (await search(client, question))["answered"]
    version = await gift_wrapping_draft(client, articles_dir, cleo)
    extra = ["do you wrap presents"]
    tried = await answer(
        await client.post(
            "/agent/content/drafts/gift-wrapping/try", json={"questions": extra}, headers=cleo
        )
    )
    assert tried["article_version"] == version
    now_answered = {q["question"]: q for q in tried["now_answered"]}
    assert set(NOBODY_COULD_ANSWER) <= set(now_answered)
    assert now_answered["can you gift wrap my order"]["section"] == "Can you gift wrap my order?"
    assert now_answered["can you gift wrap my order"]["source"] == "unanswered"
    before, after = tried["accuracy"]["before"], tried["accuracy"]["after"]
    assert before["questions"] > 100
    assert after["top1_accuracy"] >= before["top1_accuracy"]
    assert after["answered_correctly"] >= before["answered_correctly"]
    assert tried["regression"] is False
    assert tried["questions_replayed"] >= before["questions"] + len(NOBODY_COULD_ANSWER)
    # tried aside: the live service still does not answer from the draft
    assert not (await search(client, "can you gift wrap my order"))["answered"]


async def test_publishing_flips_the_file_and_the_service_answers_from_it(  # type: ignore[no-untyped-def]
    client, cleo, articles_dir, redis_client
) -> None:
    version = await gift_wrapping_draft(client, articles_dir, cleo)
    published = await answer(
        await client.post(
            "/agent/content/articles/gift-wrapping/publish",
            json={"expected_version": version},
            headers=cleo,
        )
    )
    assert (published["status"], published["updated"], published["published_by"]) == (
        "published",
        TODAY,
        "cleo",
    )
    article = read_article(articles_dir / "gift-wrapping.md")
    assert (article.status, article.updated) == ("published", dt.date.fromisoformat(TODAY))
    assert [p.name for p in articles_dir.iterdir() if not p.name.endswith(".md")] == []
    for _ in range(100):  # the hot reload (KB_RELOAD_INTERVAL, 0.5 s by default)
        found = await search(client, "can you gift wrap my order")
        if found["answered"]:
            break
        await asyncio.sleep(0.1)
    assert found["answered"] and found["answer"]["article_id"] == "gift-wrapping"
    listing = await answer(await client.get("/agent/content/drafts", headers=cleo))
    assert "gift-wrapping" not in [d["article_id"] for d in listing["drafts"]]
    audit = await answer(await client.get("/agent/content/audit", headers=cleo))
    entry = audit["entries"][0]
    assert (entry["action"], entry["by"], entry["article_id"]) == (
        "publish",
        "cleo",
        "gift-wrapping",
    )
    assert await redis_client.xlen(AUDIT) == 1


async def test_of_two_editors_publishing_at_once_one_wins_the_other_gets_409(  # type: ignore[no-untyped-def]
    client, cleo, articles_dir, redis_url
) -> None:
    version = await gift_wrapping_draft(client, articles_dir, cleo)
    dana = await agent_headers(redis_url, "dana")  # a supervisor may publish too

    async def publish(headers: dict[str, str]) -> int:
        response = await client.post(
            "/agent/content/articles/gift-wrapping/publish",
            json={"expected_version": version},
            headers=headers,
        )
        return int(response.status)

    assert sorted(await asyncio.gather(publish(cleo), publish(dana))) == [200, 409]
    assert read_article(articles_dir / "gift-wrapping.md").status == "published"


async def test_a_file_changed_since_the_editor_looked_is_not_published(  # type: ignore[no-untyped-def]
    client, cleo, articles_dir
) -> None:
    version = await gift_wrapping_draft(client, articles_dir, cleo)
    edited = GIFT_WRAPPING.replace("$4.95", "$5.95")  # a newer edit, in git say
    (articles_dir / "gift-wrapping.md").write_text(edited, encoding="utf-8")
    response = await client.post(
        "/agent/content/articles/gift-wrapping/publish",
        json={"expected_version": version},
        headers=cleo,
    )
    assert response.status == 409
    assert "changed since" in (await response.json())["error"]
    assert (articles_dir / "gift-wrapping.md").read_text(encoding="utf-8") == edited


async def test_an_editor_edits_a_draft_in_the_page_and_a_stale_or_broken_edit_is_refused(  # type: ignore[no-untyped-def]
    client, cleo, articles_dir, redis_url
) -> None:
    version = await gift_wrapping_draft(client, articles_dir, cleo)
    path = "/agent/content/drafts/gift-wrapping"
    opened = await answer(await client.get(path, headers=cleo))
    assert (opened["text"], opened["article_version"]) == (GIFT_WRAPPING, version)
    opened_file = opened["file_version"]

    edit = opened["text"].replace("$4.95", "$3.95")
    body = {"text": edit, "expected_file_version": opened_file}
    saved = await answer(await client.put(path, json=body, headers=cleo))
    on_disk = (articles_dir / "gift-wrapping.md").read_text(encoding="utf-8")
    assert "$3.95" in on_disk and f"updated: {TODAY}" in on_disk  # dated by the save
    assert saved["article_version"] != version and saved["status"] == "draft"
    reopened = await answer(await client.get(path, headers=cleo))
    assert saved["file_version"] == reopened["file_version"]  # a second save can go on from it
    audit = await answer(await client.get("/agent/content/audit?limit=1", headers=cleo))
    (latest,) = audit["entries"]
    assert [latest[k] for k in ("action", "by", "article_id")] == ["edit", "cleo", "gift-wrapping"]

    stale = await client.put(path, json=body, headers=cleo)  # the file opened is not there now
    assert stale.status == 409 and "changed since you opened it" in (await stale.json())["error"]
    refusals = [
        (on_disk.replace(f"updated: {TODAY}", "updated: next week"), "updated"),
        (on_disk.replace("id: gift-wrapping", "id: gift-wrap"), "the id must stay 'gift-wrapping'"),
        (on_disk.replace("status: draft", "status: published"), "keep status: draft here"),
    ]
    for broken, reason in refusals:
        body = {"text": broken, "expected_file_version": saved["file_version"]}
        refused = await client.put(path, json=body, headers=cleo)
        assert refused.status == 400, await refused.text()
        assert reason in (await refused.json())["error"]
    assert (articles_dir / "gift-wrapping.md").read_text(encoding="utf-8") == on_disk
    maya = await agent_headers(redis_url, "maya")  # an agent, not the content team
    assert (await client.put(path, json=body, headers=maya)).status == 403


async def test_a_save_never_overwrites_a_change_of_only_the_front_matter_made_meanwhile(  # type: ignore[no-untyped-def]
    client, cleo, articles_dir
) -> None:
    """Someone adds a customer question to the draft's front matter in git while Cleo edits its
    text: what customers read is unchanged (same article_version), but her save would replace
    the whole file, so it is refused and the added question stays."""
    await gift_wrapping_draft(client, articles_dir, cleo)
    path = "/agent/content/drafts/gift-wrapping"
    opened = await answer(await client.get(path, headers=cleo))
    file = articles_dir / "gift-wrapping.md"
    in_git = file.read_text(encoding="utf-8").replace(
        "status: draft", "status: draft\nquestions:\n  - can you wrap it as a present"
    )
    file.write_text(in_git, encoding="utf-8")
    meanwhile = await answer(await client.get(path, headers=cleo))
    assert meanwhile["article_version"] == opened["article_version"]  # customers read the same

    edit = opened["text"].replace("$4.95", "$3.95")
    body = {"text": edit, "expected_file_version": opened["file_version"]}
    refused = await client.put(path, json=body, headers=cleo)
    assert refused.status == 409, await refused.text()
    assert "open it again" in (await refused.json())["error"]
    assert file.read_text(encoding="utf-8") == in_git


async def test_broken_front_matter_is_refused_with_the_reason_and_the_set_stays_served(  # type: ignore[no-untyped-def]
    client, cleo, articles_dir
) -> None:
    served = await answer(await client.get("/kb/articles"))
    broken = GIFT_WRAPPING.replace("updated: 2026-01-02", "updated: next week")
    (articles_dir / "gift-wrapping.md").write_text(broken, encoding="utf-8")
    response = await client.post(
        "/agent/content/articles/gift-wrapping/publish",
        json={"expected_version": "0123456789ab"},
        headers=cleo,
    )
    assert response.status == 400
    assert "updated 'next week' must be a date" in (await response.json())["error"]
    assert (articles_dir / "gift-wrapping.md").read_text(encoding="utf-8") == broken
    await asyncio.sleep(1.0)  # a reload or two later
    now = await answer(await client.get("/kb/articles"))
    published = {
        a["id"]: a["article_version"] for a in now["articles"] if a["status"] == "published"
    }
    before = {
        a["id"]: a["article_version"] for a in served["articles"] if a["status"] == "published"
    }
    assert published == before
    assert (await search(client, "how many days do i have to send something back"))["answered"]
    listing = await answer(await client.get("/agent/content/drafts", headers=cleo))
    assert any(p["file"] == "gift-wrapping.md" for p in listing["problems"])


async def test_bad_ids_and_bodies_get_4xx_with_reasons(client, cleo) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ("/agent/content/drafts/Not_An_Id/try", {}, 400),
        ("/agent/content/drafts/no-such-article/try", {}, 404),
        ("/agent/content/drafts/return-policy/try", {}, 400),  # published, not a draft
        ("/agent/content/drafts/holiday-returns-2026/try", {"questions": "x"}, 400),
        ("/agent/content/articles/return-policy/publish", {"expected_version": "abc"}, 409),
        ("/agent/content/articles/holiday-returns-2026/publish", {}, 400),
        ("/agent/content/articles/no-such-article/publish", {"expected_version": "abc"}, 404),
        ("/agent/content/suggestions/42/draft", {}, 400),
        ("/agent/content/suggestions/sg-0123456789ab/draft", {}, 404),
    ]
    for path, body, status in cases:
        response = await client.post(path, json=body, headers=cleo)
        assert response.status == status, (path, await response.text())
        assert (await response.json())["error"]
    response = await client.get("/agent/content/suggestions?limit=0", headers=cleo)
    assert response.status == 400


REPLY = "Unplug the hub for ten seconds, then hold its button until it blinks white."


async def answered_chat(
    client: Any, redis_url: str, action: str, conversation_id: str, customer_id: str | None = None
) -> None:
    """Priya takes a hub chat, replies, and resolves it or hands it back (`action`)."""
    priya = await agent_headers(redis_url, "priya")
    await go_online(client, priya)
    customer = {"id": customer_id, "tier": None, "prior_escalations": 0} if customer_id else None
    body = handoff_body(conversation(HUB, conversation_id=conversation_id), customer=customer)
    ticket_id = (await answer(await client.post("/handoff/tickets", json=body), 201))["ticket_id"]
    path = f"/agent/tickets/{ticket_id}"
    await answer(await client.post(f"{path}/reply", json={"text": REPLY}, headers=priya))
    end = {"resolution_code": "answered"} if action == "resolve" else {}
    await answer(await client.post(f"{path}/{action}", json=end, headers=priya))


async def test_a_resolved_chat_becomes_a_suggestion_and_the_suggestion_a_draft(  # type: ignore[no-untyped-def]
    client, cleo, redis_url, articles_dir
) -> None:
    await answered_chat(client, redis_url, "resolve", "conv-1")
    reply = REPLY

    listing = await answer(await client.get("/agent/content/suggestions", headers=cleo))
    [suggestion] = listing["suggestions"]
    assert (suggestion["question"], suggestion["answer"]) == (HUB.text, reply)
    assert suggestion["agent_id"] == "priya" and "ticket_id" not in suggestion

    drafted = await answer(
        await client.post(f"/agent/content/suggestions/{suggestion['id']}/draft", headers=cleo),
        201,
    )
    article = parse_article(
        (articles_dir / drafted["file"]).read_text(encoding="utf-8"), drafted["file"]
    )
    assert (article.id, article.status) == (drafted["article_id"], "draft")
    assert article.id not in {"hub-offline"} and article.updated == dt.date.fromisoformat(TODAY)
    assert [q.text for q in article.questions] == [HUB.text]
    assert article.sections[0].text == reply
    drafts = await answer(await client.get("/agent/content/drafts", headers=cleo))
    assert drafted["article_version"] in [d["article_version"] for d in drafts["drafts"]]
    again = await client.post(f"/agent/content/suggestions/{suggestion['id']}/draft", headers=cleo)
    assert again.status == 409  # one draft per suggestion


async def test_a_hand_back_suggests_too_and_erasure_removes_the_customers_suggestions(  # type: ignore[no-untyped-def]
    client, cleo, redis_url
) -> None:
    await answered_chat(client, redis_url, "hand_back", "conv-erased", customer_id="c-erased")
    await answered_chat(client, redis_url, "resolve", "conv-kept", customer_id="c-kept")
    listing = await answer(await client.get("/agent/content/suggestions", headers=cleo))
    assert len(listing["suggestions"]) == 2

    held = await answer(await client.get("/privacy/customers/c-erased/export"))
    assert [s["answer"] for s in held["suggestions"]] == [REPLY]
    erased = await answer(await client.delete("/privacy/customers/c-erased"))
    assert erased["erased"]["suggestions"] == 1
    listing = await answer(await client.get("/agent/content/suggestions", headers=cleo))
    assert len(listing["suggestions"]) == 1  # the other customer's stays
