"""POST /handoff/tickets and friends on the real app, real spaCy, real model and real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.keys import HANDOFF
from tests.conftest import TOKEN
from tests.support.handoff import (
    AFTER_HOURS,
    BULBS,
    CAMERA,
    HUB,
    PAYMENT,
    REFUND,
    THERMOSTAT,
    MovableClock,
    agent_headers,
    conversation,
    go_online,
    handoff_body,
    handoff_settings,
    start_app,
)
from tests.support.redis_server import redis_server

RESPONSE_FIELDS = {
    "ticket_id",
    "created",
    "status",
    "team",
    "priority",
    "queue_position",
    "expected_wait_seconds",
    "expected_wait_text",
    "agent",
    "offline",
    "follow_up_by",
    "message",
}


@pytest.fixture
def client(handoff_client: TestClient) -> TestClient:
    return handoff_client


async def open_ticket(client: Any, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await client.post("/handoff/tickets", json=body)
    assert response.status == status, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def stored_ticket(client: Any, redis_url: str, ticket_id: str, agent: str) -> dict:
    """The whole ticket, read through the agent API."""
    response = await client.get(
        f"/agent/tickets/{ticket_id}", headers=await agent_headers(redis_url, agent)
    )
    assert response.status == 200, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def test_a_handoff_is_packaged_routed_and_stored_once(client, redis_url) -> None:  # type: ignore[no-untyped-def]
    body = handoff_body(conversation(REFUND, "my email is jane@example.com"))

    first = await open_ticket(client, body, 201)
    again = await open_ticket(client, body, 200)

    assert set(first) >= RESPONSE_FIELDS
    assert first["created"] is True and again["created"] is False
    assert again["ticket_id"] == first["ticket_id"]
    assert (first["status"], first["team"]) == ("waiting", "supervisors")
    assert (first["queue_position"], first["offline"]) == (1, True)  # nobody online yet
    assert first["message"] == (
        "Supervisors has nobody online right now, so nobody can join this chat now; someone "
        "will reply here by 10:30 AM ET today, with our whole conversation in front of them."
    )  # no mail set up here, so no email is offered (tests/service/test_follow_up_mail.py)
    record = await stored_ticket(client, redis_url, first["ticket_id"], "dana")
    ticket = record["ticket"]
    context = {(item["kind"], item["value"]) for item in ticket["context"]}
    assert {("order_number", "HL-482913"), ("amount", "480.00"), ("date", "2026-03-02")} <= context
    assert ticket["articles_shown"][0]["article_id"] == "refund-timeline"
    assert ticket["articles_shown"][0]["feedback"] == "not_helpful"
    assert ticket["escalation_decision"]["reason"] == "explicit_request"
    assert ticket["summary"].startswith("Wants: a refund")
    routing = ticket["routing"]
    assert routing["first_response_due"] and routing["resolution_due"]
    assert [turn["speaker"] for turn in ticket["transcript"]][:2] == ["customer", "bot"]


async def test_two_identical_requests_at_once_make_one_ticket(client, redis_client) -> None:  # type: ignore[no-untyped-def]
    body = handoff_body(conversation(HUB))

    responses = await asyncio.gather(
        *(client.post("/handoff/tickets", json=body) for _ in range(4))
    )

    answers = [await response.json() for response in responses]
    assert sorted(response.status for response in responses) == [200, 200, 200, 201]
    assert len({answer["ticket_id"] for answer in answers}) == 1
    assert await redis_client.zcard("handoff:queue:technical") == 1
    assert await redis_client.zcard("handoff:team:technical") == 1


@pytest.mark.parametrize(
    ("topic", "team", "escalation_type"),
    [(HUB, "technical", "functional"), (PAYMENT, "billing", "functional")],
)
async def test_functional_escalation_goes_to_the_team_with_the_skill(  # type: ignore[no-untyped-def]
    client, redis_client, topic, team, escalation_type
) -> None:
    answer = await open_ticket(client, handoff_body(conversation(topic)))
    assert answer["team"] == team
    assert await redis_client.zrange(f"handoff:queue:{team}", 0, -1) == [answer["ticket_id"]]
    assert answer["escalation_type"] == escalation_type
    assert answer["priority"] == "normal"


async def test_a_large_refund_goes_to_a_supervisor(client, redis_client) -> None:  # type: ignore[no-untyped-def]
    answer = await open_ticket(client, handoff_body(conversation(REFUND)))
    assert (answer["team"], answer["escalation_type"]) == ("supervisors", "hierarchical")
    assert await redis_client.zrange("handoff:queue:supervisors", 0, -1) == [answer["ticket_id"]]


async def test_a_verified_vip_gets_priority(client, redis_url, redis_client) -> None:  # type: ignore[no-untyped-def]
    earlier = await open_ticket(client, handoff_body(conversation(CAMERA, conversation_id="c0")))
    vip = {"id": "c-vip-1", "tier": "vip", "prior_escalations": 0}
    answer = await open_ticket(client, handoff_body(conversation(HUB), customer=vip))
    assert (answer["priority"], answer["escalation_type"]) == ("high", "priority")
    queue = await redis_client.zrange("handoff:queue:technical", 0, -1)
    assert queue == [answer["ticket_id"], earlier["ticket_id"]]  # ahead of an older ticket
    record = await stored_ticket(client, redis_url, answer["ticket_id"], "priya")
    assert record["ticket"]["customer"] == {
        "id": "c-vip-1",
        "tier": "vip",
        "verified": True,
        "email": None,
        "phone": None,
    }


async def test_three_customers_with_the_same_problem_make_an_urgent_incident(  # type: ignore[no-untyped-def]
    client, clock, redis_url
) -> None:
    answers = []
    for number in range(3):
        builder = conversation(HUB, conversation_id=f"incident-{number}")
        customer = {"id": f"c-{number}", "tier": None, "prior_escalations": 0}
        answers.append(await open_ticket(client, handoff_body(builder, customer=customer)))
        clock.advance(minutes=4)

    assert [answer["priority"] for answer in answers] == ["normal", "normal", "urgent"]
    incident_id = f"incident-{answers[0]['ticket_id']}"
    for answer in answers:
        record = await stored_ticket(client, redis_url, answer["ticket_id"], "priya")
        routing = record["ticket"]["routing"]
        assert (routing["priority"], routing["incident_id"]) == ("urgent", incident_id)
    first = await stored_ticket(client, redis_url, answers[0]["ticket_id"], "priya")
    assert f"part of incident {incident_id}" in first["ticket"]["status_history"][-1]["note"]


async def test_an_online_agent_with_the_skill_and_room_gets_the_chat(client, redis_url) -> None:  # type: ignore[no-untyped-def]
    for agent_id, presence in (("priya", "away"), ("sam", "online"), ("maya", "online")):
        await go_online(client, await agent_headers(redis_url, agent_id), presence)

    answer = await open_ticket(client, handoff_body(conversation(HUB)))

    assert answer["status"] == "assigned"
    assert answer["agent"] == {"id": "sam", "name": "Sam Whitfield"}  # maya lacks the skill
    assert (answer["queue_position"], answer["expected_wait_seconds"]) == (None, 0)
    assert answer["message"].startswith("Sam Whitfield from Devices and technical support")
    state = await (await client.get("/handoff/conversations/conv-1")).json()
    assert (state["conversation_state"], state["agent_id"]) == ("agent", "sam")


async def test_a_full_agent_is_skipped_and_then_the_ticket_waits(client, redis_url) -> None:  # type: ignore[no-untyped-def]
    await go_online(client, await agent_headers(redis_url, "priya"))  # technical only, 3 chats
    assigned = []
    for number, topic in enumerate((HUB, CAMERA, BULBS, THERMOSTAT)):  # four problems, no incident
        builder = conversation(topic, conversation_id=f"load-{number}")
        assigned.append(await open_ticket(client, handoff_body(builder)))

    assert [a["status"] for a in assigned] == ["assigned"] * 3 + ["waiting"]
    waiting = assigned[-1]
    assert (waiting["queue_position"], waiting["offline"]) == (1, False)
    assert waiting["expected_wait_text"] == "about 30 minutes"  # no handling times yet: the SLA
    me = await (
        await client.get("/agent/me", headers=await agent_headers(redis_url, "priya"))
    ).json()
    assert (me["load"], me["capacity"]) == (3, 3)


async def test_after_hours_the_customer_is_told_honestly_when_and_how(client, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = AFTER_HOURS  # 22:00 ET: the support team works 08:00-20:00
    with_email = conversation(PAYMENT, "you can email me at jane@example.com")
    without = conversation(PAYMENT, conversation_id="conv-2")

    told = await open_ticket(client, handoff_body(with_email))
    asked = await open_ticket(client, handoff_body(without))

    assert told["offline"] is True and told["agent"] is None
    assert told["follow_up_by"] == "8:30 AM ET tomorrow"  # 30 min first response, open hours
    assert told["message"] == (
        "Billing and payments is closed right now (hours: Mon-Fri 08:00-20:00, Sat-Sun "
        "09:00-17:00 ET), so nobody can join this chat now; someone will reply here by "
        "8:30 AM ET tomorrow, with our whole conversation in front of them."
    )
    assert "email" not in asked["message"]  # no mail set up: nothing promised by email
    state = await (await client.get("/handoff/conversations/conv-2")).json()
    assert (state["conversation_state"], state["offline"]) == ("waiting", True)


async def test_the_customer_can_withdraw_only_while_waiting(client) -> None:  # type: ignore[no-untyped-def]
    answer = await open_ticket(client, handoff_body(conversation(HUB)))
    path = f"/handoff/tickets/{answer['ticket_id']}/cancel"

    cancelled = await client.post(path)
    again = await client.post(path)
    unknown = await client.post("/handoff/tickets/tk-000000000000/cancel")

    assert cancelled.status == 200
    assert (await cancelled.json())["conversation_state"] == "bot"
    assert again.status == 409
    assert unknown.status == 404
    state = await (await client.get("/handoff/conversations/conv-1")).json()
    assert (state["conversation_state"], state["status"]) == ("bot", "cancelled")
    fresh = await open_ticket(client, handoff_body(conversation(HUB, "still broken")))
    assert fresh["ticket_id"] != answer["ticket_id"]


async def test_a_conversation_without_a_ticket_belongs_to_the_bot(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/handoff/conversations/never-handed-off")
    assert response.status == 200
    assert await response.json() == {
        "conversation_id": "never-handed-off",
        "conversation_state": "bot",
        "ticket_id": None,
        "agent_id": None,
        "updated_at": None,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tracker": {"events": []}}, "conversation_id must be"),
        ({"conversation_id": "c1", "tracker": []}, "tracker must be an object"),
        ({"conversation_id": "c1", "tracker": {"slots": {}}}, 'with an "events" list'),
        ({"conversation_id": "c1", "tracker": {"events": []}, "decision": 3}, "decision must"),
        (
            {"conversation_id": "c1", "tracker": {"events": []}, "customer": {"id": "a b"}},
            "customer.id must be",
        ),
        (
            {"conversation_id": "c1", "tracker": {"events": []}, "channel": 7},
            "channel must be",
        ),
    ],
)
async def test_bad_bodies_get_a_clear_400(client, body, message) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/handoff/tickets", json=body)
    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_non_json_oversized_and_unauthorised_requests_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    not_json = await client.post(
        "/handoff/tickets", data="{", headers={"Content-Type": "application/json"}
    )
    too_big = await client.post("/handoff/tickets", data=b"x" * (2 * 1024 * 1024 + 1))
    no_token = await client.post("/handoff/tickets", json={}, headers={"Authorization": ""})
    assert (not_json.status, too_big.status, no_token.status) == (400, 413, 401)
    assert "larger than" in (await too_big.json())["error"]
    assert TOKEN not in await no_token.text()


async def test_a_reservation_whose_request_died_is_taken_over(client, clock) -> None:  # type: ignore[no-untyped-def]
    body = handoff_body(conversation(HUB))
    desk = client.app[HANDOFF]
    desk.pending_wait = 0.2
    label = f"turn-{body['decision']['turn']}"
    await desk.store.tickets.reserve("conv-1", label, "tk-crashed", clock.now)

    answer = await open_ticket(client, body, 201)

    assert answer["ticket_id"] != "tk-crashed"
    state = await (await client.get("/handoff/conversations/conv-1")).json()
    assert (state["conversation_state"], state["ticket_id"]) == ("waiting", answer["ticket_id"])


async def test_a_conversation_that_breaks_the_ticket_schema_is_a_400(client) -> None:  # type: ignore[no-untyped-def]
    body = handoff_body(conversation(HUB))
    user_event = next(e for e in body["tracker"]["events"] if e["event"] == "user")
    user_event["parse_data"]["intent"]["confidence"] = 7
    response = await client.post("/handoff/tickets", json=body)
    assert response.status == 400
    assert "cannot be packaged as a ticket" in (await response.json())["error"]


async def test_when_redis_goes_down_the_caller_gets_a_503_not_a_crash(  # type: ignore[no-untyped-def]
    aiohttp_client, articles_dir, embedder, tmp_path
) -> None:
    with redis_server(tmp_path) as own_redis:
        settings = handoff_settings(own_redis, articles_dir)
        client = await start_app(aiohttp_client, settings, embedder, MovableClock())
    # the server has stopped now
    response = await client.post("/handoff/tickets", json=handoff_body(conversation(HUB)))
    state = await client.get("/handoff/conversations/conv-1")
    assert (response.status, state.status) == (503, 503)
    assert "Redis is unavailable" in (await response.json())["error"]
