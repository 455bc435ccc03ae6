"""Resolving with "a person was not needed": the agent API keeps it on the ticket (the outcome
record and the over-escalation QA sample read it); anything but a boolean is a 400 that
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from handoff.store.tickets import RedisTicketStore
from tests.support.handoff import HUB, agent_headers, conversation, handoff_body


@pytest.fixture
def client(handoff_client: TestClient) -> TestClient:
    return handoff_client


async def claimed_ticket(client: Any, headers: dict[str, str], conversation_id: str) -> str:
    body = handoff_body(conversation(HUB, conversation_id=conversation_id))
    response = await client.post("/handoff/tickets", json=body)
    assert response.status == 201, await response.text()
    ticket_id = str((await response.json())["ticket_id"])
    claim = await client.post(f"/agent/tickets/{ticket_id}/claim", headers=headers)
    assert claim.status == 200, await claim.text()
    return ticket_id


async def resolve(client: Any, headers: dict[str, str], ticket_id: str, **body: Any) -> Any:
    return await client.post(
        f"/agent/tickets/{ticket_id}/resolve",
        json={"resolution_code": "troubleshooting_fixed", **body},
        headers=headers,
    )


async def test_an_agent_marks_that_no_person_was_needed(client, redis_url, redis_client) -> None:  # type: ignore[no-untyped-def]
    priya = await agent_headers(redis_url, "priya")
    marked = await claimed_ticket(client, priya, "conv-marked")
    plain = await claimed_ticket(client, priya, "conv-plain")

    response = await resolve(client, priya, marked, escalation_needed=False)
    assert response.status == 200, await response.text()
    assert (await response.json())["escalation_needed"] is False
    response = await resolve(client, priya, plain)
    assert (await response.json())["escalation_needed"] is True

    store = RedisTicketStore(redis_client)
    stored = {ticket_id: await store.get(ticket_id) for ticket_id in (marked, plain)}
    assert stored[marked] is not None and stored[marked].escalation_needed is False
    assert stored[plain] is not None and stored[plain].escalation_needed is True


@pytest.mark.parametrize("value", ["false", 0, None, [], {"no": True}])
async def test_anything_but_a_boolean_is_refused(client, redis_url, redis_client, value) -> None:  # type: ignore[no-untyped-def]
    priya = await agent_headers(redis_url, "priya")
    ticket_id = await claimed_ticket(client, priya, "conv-bad")

    response = await resolve(client, priya, ticket_id, escalation_needed=value)

    assert response.status == 400
    assert "escalation_needed" in (await response.json())["error"]
    record = await RedisTicketStore(redis_client).get(ticket_id)
    assert record is not None and record.status == "assigned"  # nothing changed
