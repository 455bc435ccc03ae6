"""A customer's access request and erasure over every kind of data the service's Redis holds
(real service, real Redis): the export holds what we keep about them, the erasure leaves
nothing of theirs and everything of others, each leaves an audit entry without their id."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestClient

from handoff.privacy.customer_index import AUDIT, customer_conversations
from knowledge_base.insights import Miss, RedisInsightStore
from service.desk.privacy_export import session_keys
from tests.support.handoff import HUB, agent_headers, conversation, handoff_body
from tests.support.redis_contents import every_value

EMAIL = "ann.lee@example.com"
SURVEY = {"audience": "agent", "csat": 4, "ces": 2, "skipped": False}


@pytest.fixture
def client(handoff_client: TestClient) -> TestClient:
    return handoff_client


async def seed(client: TestClient, redis_client: redis.Redis, customer: str, cid: str) -> None:
    """One conversation of a verified customer, with data of every kind the service keeps."""
    builder = conversation(
        HUB, f"my email is {EMAIL}" if customer == "c-priv" else "hmm", conversation_id=cid
    )
    tracker = builder.tracker()
    await redis_client.set(f"tracker:{cid}", json.dumps({"events": tracker["events"], "name": cid}))
    await redis_client.set(f"masked_tracker:{cid}", "00:1")
    await redis_client.sadd(customer_conversations(customer), cid)
    identity = {"id": customer, "tier": None, "prior_escalations": 0}
    opened = await client.post("/handoff/tickets", json=handoff_body(builder, customer=identity))
    assert opened.status == 201, await opened.text()
    ticket_id = (await opened.json())["ticket_id"]
    scorecard = {"ticket_id": ticket_id, "agent_id": "maya", "note": f"{cid}: kind to them"}
    await redis_client.set(f"review:scorecard:{ticket_id}", json.dumps(scorecard))
    await redis_client.zadd("review:scorecards", {ticket_id: 1.0})
    await redis_client.zadd("review:agent:maya:scorecards", {ticket_id: 1.0})
    await RedisInsightStore(redis_client).record_miss(
        Miss(f"do you sell boats {cid}", cid, None, None, 1.0)
    )
    session = session_keys({"events": tracker["events"]})[-1]
    survey = {"conversation_id": cid, "session": session, "survey": SURVEY, "saved_at": "x"}
    await redis_client.set(f"outcomes:survey:{cid}:{session}", json.dumps(survey))
    record = {"conversation_id": cid, "session": session, "outcome": "escalated"}
    await redis_client.xadd(
        "outcomes:stream",
        {"kind": "outcome", "key": f"{cid}:{session}", "record": json.dumps(record)},
    )
    await redis_client.zadd("outcomes:active", {cid: 1.0})
    await redis_client.set(f"review:case:{cid}:{session}", "{}")
    await redis_client.zadd("review:queue", {f"{cid}:{session}": 1.0})
    await redis_client.hset(
        f"gateway:session:hash-{cid}", mapping={"conversation_id": cid, "issued_at": 5}
    )
    await redis_client.hset(f"gateway:conversation:{cid}", "session", f"gateway:session:hash-{cid}")
    await redis_client.sadd(f"commerce:verified:{cid}", "order-digest")
    await redis_client.set(f"commerce:claimed:{cid}", "email-digest")


async def answer(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def test_the_export_holds_what_is_kept_about_the_customer(  # type: ignore[no-untyped-def]
    client, redis_client
) -> None:
    await seed(client, redis_client, "c-priv", "conv-a")
    await seed(client, redis_client, "c-keep", "conv-k")

    held = await answer(await client.get("/privacy/customers/c-priv/export"))

    assert held["customer_id"] == "c-priv"
    [part] = held["conversations"]
    assert part["conversation_id"] == "conv-a"
    assert {"speaker": "customer", "text": f"my email is {EMAIL}"}.items() <= next(
        m for m in part["messages"] if EMAIL in m["text"]
    ).items()
    assert [survey["csat"] for survey in part["surveys"]] == [4]
    assert [record["outcome"] for record in part["outcomes"]] == ["escalated"]
    assert part["orders_proved"] == 1 and part["signed_in_email_on_file"] is True
    assert part["session_issued_at"] == 5
    assert [ticket["conversation_id"] for ticket in held["tickets"]] == ["conv-a"]
    assert [q["question"] for q in held["unanswered_questions"]] == ["do you sell boats conv-a"]
    assert "conv-k" not in json.dumps(held)


async def test_erasure_leaves_nothing_of_the_customer_and_everything_of_others(  # type: ignore[no-untyped-def]
    client, redis_client
) -> None:
    await seed(client, redis_client, "c-priv", "conv-a")
    await redis_client.sadd(customer_conversations("c-priv"), "conv-b")  # a chat without a ticket
    await redis_client.set("tracker:conv-b", json.dumps({"events": [], "name": "conv-b"}))
    await seed(client, redis_client, "c-keep", "conv-k")

    erased = await answer(await client.delete("/privacy/customers/c-priv"))

    assert erased["erased"]["conversations"] == 2
    assert erased["erased"]["tickets"] == 1
    assert erased["erased"]["unanswered_questions"] == 1
    assert erased["erased"]["outcome_entries"] == 1
    assert erased["erased"]["scorecards"] == 1
    assert erased["aof_rewrite"] in ("started", "busy", "off")
    after = await every_value(redis_client)
    text = "\n".join(f"{key} {value}" for key, value in after.items())
    for gone in ("c-priv", "conv-a", "conv-b", EMAIL):
        assert gone not in text, gone
    assert "conv-k" in after["tracker:conv-k"] and "hash-conv-k" in text
    for key in ("commerce:claimed:conv-k", "gateway:conversation:conv-k", "review:queue"):
        assert key in after
    assert await redis_client.zcard("review:scorecards") == 1  # the other customer's stays
    assert await redis_client.zcard("review:agent:maya:scorecards") == 1
    assert [fields["action"] for _, fields in await redis_client.xrange(AUDIT)] == ["erase"]
    again = await answer(await client.delete("/privacy/customers/c-priv"))
    assert set(again["erased"].values()) == {0}  # idempotent


async def test_each_request_is_audited_without_the_customer_id(  # type: ignore[no-untyped-def]
    client, redis_client, redis_url
) -> None:
    await seed(client, redis_client, "c-priv", "conv-a")
    dana = await agent_headers(redis_url, "dana")  # a supervisor
    await answer(await client.get("/privacy/customers/c-priv/export"))
    await answer(await client.delete("/agent/privacy/customers/c-priv", headers=dana))

    entries = [fields for _, fields in await redis_client.xrange(AUDIT)]
    assert [(e["action"], e["by"]) for e in entries] == [
        ("export", "service"),
        ("erase", "supervisor:dana"),
    ]
    assert len({e["customer_key"] for e in entries}) == 1
    assert "c-priv" not in json.dumps(entries) and "conv-a" not in json.dumps(entries)
    assert json.loads(entries[1]["counts"])["tickets"] == 1


async def test_only_the_service_and_supervisors_may_ask(client, redis_url) -> None:  # type: ignore[no-untyped-def]
    priya = await agent_headers(redis_url, "priya")  # an agent
    refused = await client.get("/agent/privacy/customers/c-priv/export", headers=priya)
    assert refused.status == 403
    anonymous = await client.delete("/privacy/customers/c-priv", headers={"Authorization": ""})
    assert anonymous.status == 401
    assert (await client.delete("/privacy/customers/a%20b")).status == 400
