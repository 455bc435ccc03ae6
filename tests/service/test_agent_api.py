"""The agent API on the real app and Redis: tokens, team boundaries, claims and every action."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.support.handoff import (
    HUB,
    PAYMENT,
    agent_headers,
    conversation,
    go_online,
    handoff_body,
)


@pytest.fixture
def client(handoff_client: TestClient) -> TestClient:
    return handoff_client


@pytest.fixture
async def agents(redis_url) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Tokens for priya and sam (technical), maya (billing, general), dana (supervisors)."""
    return {name: await agent_headers(redis_url, name) for name in ("priya", "sam", "maya", "dana")}


async def hub_ticket(client: Any, conversation_id: str = "conv-1") -> str:
    """A technical ticket waiting in the queue (nobody online, so it waits offline-flagged)."""
    body = handoff_body(conversation(HUB, conversation_id=conversation_id))
    response = await client.post("/handoff/tickets", json=body)
    assert response.status == 201, await response.text()
    return str((await response.json())["ticket_id"])


async def act(
    client: Any,
    headers: dict[str, str],
    ticket_id: str,
    action: str,
    status: int = 200,
    **body: Any,
) -> dict[str, Any]:
    response = await client.post(f"/agent/tickets/{ticket_id}/{action}", json=body, headers=headers)
    assert response.status == status, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_a_missing_wrong_or_revoked_token_gets_401(client, redis_url) -> None:  # type: ignore[no-untyped-def]
    old = await agent_headers(redis_url, "priya")
    await agent_headers(redis_url, "priya")  # a new token revokes the old one
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}, old):
        response = await client.get("/agent/me", headers=headers)
        assert response.status == 401
        assert "agent token" in (await response.json())["error"]


async def test_the_service_token_is_not_an_agent_token(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/agent/me")).status == 401  # the client sends the service token


async def test_me_shows_presence_load_and_capacity(client, agents) -> None:  # type: ignore[no-untyped-def]
    await go_online(client, agents["priya"])
    await hub_ticket(client)
    me = await (await client.get("/agent/me", headers=agents["priya"])).json()
    assert me["presence"] == "online"
    assert (me["load"], me["capacity"], me["teams"]) == (1, 3, ["technical"])
    assert me["role"] == "agent"
    assert "answered" in me["resolution_codes"]
    bad = await client.put("/agent/presence", json={"presence": "busy"}, headers=agents["priya"])
    assert bad.status == 400


async def test_agents_see_only_their_own_teams(client, agents) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await hub_ticket(client)

    queues = await (await client.get("/agent/queues", headers=agents["maya"])).json()
    assert [queue["team"] for queue in queues["queues"]] == ["billing", "general"]
    assert all(queue["waiting"] == 0 for queue in queues["queues"])
    technical = await (await client.get("/agent/queues", headers=agents["priya"])).json()
    assert technical["queues"][0]["next"][0]["ticket_id"] == ticket_id

    assert (await client.get(f"/agent/tickets/{ticket_id}", headers=agents["maya"])).status == 403
    await act(client, agents["maya"], ticket_id, "claim", 403)
    await act(client, agents["maya"], ticket_id, "note", 403, text="peeking")
    listing = await client.get("/agent/tickets?team=technical", headers=agents["maya"])
    assert listing.status == 403
    mine = await (await client.get("/agent/tickets", headers=agents["maya"])).json()
    assert mine["tickets"] == []
    assert (
        await client.get("/agent/tickets/tk-000000000000", headers=agents["maya"])
    ).status == 404


async def test_two_agents_claiming_at_once_one_wins_and_one_gets_409(client, agents) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await hub_ticket(client)

    responses = await asyncio.gather(
        *(
            client.post(f"/agent/tickets/{ticket_id}/claim", headers=agents[name])
            for name in ("priya", "sam")
        )
    )

    assert sorted(response.status for response in responses) == [200, 409]
    winner = next(r for r in responses if r.status == 200)
    owner = (await winner.json())["agent_id"]
    state = await (await client.get("/handoff/conversations/conv-1")).json()
    assert (state["conversation_state"], state["agent_id"]) == ("agent", owner)


async def test_reply_note_and_resolve_are_recorded_with_who_and_when(  # type: ignore[no-untyped-def]
    client, agents, clock, redis_client
) -> None:
    ticket_id = await hub_ticket(client)
    await act(client, agents["priya"], ticket_id, "reply", 409, text="too early: not claimed")
    await act(client, agents["priya"], ticket_id, "claim")
    clock.advance(minutes=2)
    await act(client, agents["sam"], ticket_id, "reply", 403, text="not mine")
    replied = await act(client, agents["priya"], ticket_id, "reply", text="Let's reset the hub.")
    noted = await act(client, agents["priya"], ticket_id, "note", text="Firmware 2.1 bug?")
    await act(client, agents["priya"], ticket_id, "resolve", 400, resolution_code="magic")
    resolved = await act(
        client, agents["priya"], ticket_id, "resolve", resolution_code="troubleshooting_fixed"
    )

    last = replied["ticket"]["transcript"][-1]
    assert last == {
        "speaker": "agent",
        "turn": 4,
        "text": "Let's reset the hub.",
        "at": "2026-03-10T14:02:00.000Z",
        "agent_id": "priya",
    }
    assert replied["first_response_at"] == "2026-03-10T14:02:00.000Z"
    assert noted["notes"] == [
        {"at": "2026-03-10T14:02:00.000Z", "by": "priya", "text": "Firmware 2.1 bug?"}
    ]
    assert "Firmware" not in str(noted["ticket"]["transcript"])
    history = [(c["status"], c["by"], c["note"]) for c in resolved["ticket"]["status_history"]]
    assert history[-5:-1] == [
        ("assigned", "priya", "assigned to priya"),
        ("assigned", "priya", "first reply to the customer"),
        ("assigned", "priya", "private note"),
        ("resolved", "priya", "resolved: troubleshooting_fixed"),
    ]
    assert history[-1][:2] == ("resolved", "assistant")  # no Rasa here: it could not be told
    assert all(change["at"] for change in resolved["ticket"]["status_history"])
    outbox = await redis_client.xrange("handoff:outbox:conv-1")
    kinds = [(fields["type"], fields.get("text")) for _, fields in outbox]
    assert kinds == [
        ("agent_joined", None),
        ("message", "Let's reset the hub."),
        ("resolved", None),
    ]
    state = await (await client.get("/handoff/conversations/conv-1")).json()
    assert state["conversation_state"] == "closed"


async def test_transfer_escalate_and_hand_back(client, agents, redis_client) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await hub_ticket(client)
    await act(client, agents["priya"], ticket_id, "claim")
    await act(client, agents["priya"], ticket_id, "transfer", 400, team="sales")
    moved = await act(client, agents["priya"], ticket_id, "transfer", team="billing")
    assert (moved["ticket"]["status"], moved["agent_id"]) == ("waiting", None)
    assert moved["ticket"]["routing"]["team"] == "billing"
    assert moved["ticket"]["routing"]["escalation_type"] == "functional"
    assert (await client.get(f"/agent/tickets/{ticket_id}", headers=agents["priya"])).status == 403

    await act(client, agents["maya"], ticket_id, "claim")
    escalated = await act(
        client, agents["maya"], ticket_id, "escalate", reason="wants a goodwill credit"
    )
    routing = escalated["ticket"]["routing"]
    assert (routing["team"], routing["skill_team"]) == ("supervisors", "billing")
    assert routing["escalation_type"] == "hierarchical"
    assert "wants a goodwill credit" in escalated["ticket"]["status_history"][-1]["note"]
    await act(client, agents["dana"], ticket_id, "escalate", 409)  # already with supervisors

    await act(client, agents["dana"], ticket_id, "claim")
    back = await act(client, agents["dana"], ticket_id, "hand_back")
    assert back["ticket"]["status"] == "handed_back"
    state = await (await client.get("/handoff/conversations/conv-1")).json()
    assert (state["conversation_state"], state["status"]) == ("bot", "handed_back")
    me = await (await client.get("/agent/me", headers=agents["dana"])).json()
    assert me["load"] == 0
    told = [fields["type"] for _, fields in await redis_client.xrange("handoff:outbox:conv-1")]
    assert told == [
        "agent_joined",
        "transferred",
        "agent_joined",
        "escalated",
        "agent_joined",
        "handed_back",
    ]


async def test_a_transferred_ticket_goes_to_someone_online_in_the_new_team(client, agents) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await hub_ticket(client)
    await go_online(client, agents["maya"])
    await act(client, agents["priya"], ticket_id, "transfer", team="billing")
    ticket = await (await client.get(f"/agent/tickets/{ticket_id}", headers=agents["maya"])).json()
    assert (ticket["ticket"]["status"], ticket["agent_id"]) == ("assigned", "maya")


async def test_tickets_can_be_listed_by_team_and_status(client, agents) -> None:  # type: ignore[no-untyped-def]
    first = await hub_ticket(client, "conv-a")
    await hub_ticket(client, "conv-b")
    await client.post(
        "/handoff/tickets", json=handoff_body(conversation(PAYMENT, conversation_id="conv-c"))
    )
    await act(client, agents["priya"], first, "claim")

    waiting = await client.get(
        "/agent/tickets?team=technical&status=waiting", headers=agents["sam"]
    )
    everything = await client.get("/agent/tickets", headers=agents["sam"])
    bad = await client.get("/agent/tickets?status=lost", headers=agents["sam"])

    assert [t["conversation_id"] for t in (await waiting.json())["tickets"]] == ["conv-b"]
    assert {t["conversation_id"] for t in (await everything.json())["tickets"]} == {
        "conv-a",
        "conv-b",
    }
    assert bad.status == 400
