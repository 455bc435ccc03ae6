"""Privacy: a typed card number is nowhere (Redis, responses, logs); erasure leaves nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.support.handoff import (
    CARD,
    CARD_DIGITS,
    HUB,
    PAYMENT,
    agent_headers,
    conversation,
    go_online,
    handoff_body,
)
from tests.support.redis_contents import every_value, every_value_text


@pytest.fixture
def client(handoff_client: TestClient) -> TestClient:
    return handoff_client


class Responses:
    """Every response body the test saw, as text."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.bodies: list[str] = []

    async def call(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, **kwargs)
        text = await response.text()
        assert response.status == status, text
        self.bodies.append(text)
        return await response.json()


async def test_a_typed_card_number_is_nowhere_in_redis_responses_or_logs(  # type: ignore[no-untyped-def]
    client, redis_url, redis_client, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    priya = await agent_headers(redis_url, "priya")
    maya = await agent_headers(redis_url, "maya")
    await go_online(client, maya)
    seen = Responses(client)
    builder = conversation(PAYMENT, f"it's the card {CARD}, cvv 123", "4242-4242-4242-4242 again")
    body = handoff_body(builder, customer={"id": "c-card", "tier": "vip", "prior_escalations": 1})
    body["decision"]["explanation"] = f"card {CARD} declined"

    opened = await seen.call("POST", "/handoff/tickets", 201, json=body)
    ticket_id = opened["ticket_id"]
    path = f"/agent/tickets/{ticket_id}"
    await seen.call("POST", f"{path}/reply", json={"text": f"Is it {CARD}?"}, headers=maya)
    await seen.call("POST", f"{path}/note", json={"text": f"card {CARD} flagged"}, headers=maya)
    await seen.call("GET", path, headers=maya)
    await seen.call("GET", "/agent/tickets", headers=maya)
    await seen.call("GET", "/agent/queues", headers=priya)
    await seen.call("GET", "/handoff/conversations/conv-1")
    await seen.call("POST", "/handoff/tickets", 200, json=body)

    ticket = (await seen.call("GET", path, headers=maya))["ticket"]
    assert ticket["transcript"][-1]["text"] == "Is it [card ending 4242]?"
    assert "cvv [security code removed]" in str(ticket["transcript"])
    stored = await every_value_text(redis_client)
    for digits in CARD_DIGITS:
        assert digits not in stored
        assert all(digits not in text for text in seen.bodies)
        assert digits not in caplog.text
    assert "[card ending 4242]" in stored  # the masked form is what is kept
    assert "handoff ticket" in caplog.text  # the service did log the handoff


async def test_erasing_a_customer_removes_every_key_of_theirs_and_nothing_else(  # type: ignore[no-untyped-def]
    client, redis_url, redis_client, clock
) -> None:
    priya = await agent_headers(redis_url, "priya")
    await go_online(client, priya)
    tickets: dict[str, list[str]] = {"c-erase": [], "c-keep": [], "c-other": []}
    for number, customer in enumerate(("c-erase", "c-keep", "c-other", "c-erase")):
        builder = conversation(
            HUB, f"my email is {customer}@example.com", conversation_id=f"conv-{number}"
        )
        identity = {"id": customer, "tier": None, "prior_escalations": 0}
        opened = await client.post(
            "/handoff/tickets", json=handoff_body(builder, customer=identity)
        )
        tickets[customer].append((await opened.json())["ticket_id"])
        clock.advance(minutes=1)
    await client.post(
        f"/agent/tickets/{tickets['c-erase'][0]}/reply", json={"text": "hello"}, headers=priya
    )
    incident_key = f"handoff:incident:incident-{tickets['c-erase'][0]}"  # from its first ticket
    assert await redis_client.exists(incident_key)  # three customers, one problem

    response = await client.delete("/handoff/customers/c-erase")

    assert response.status == 200
    assert await response.json() == {"customer_id": "c-erase", "tickets_erased": 2}
    after = await every_value(redis_client)
    text = "\n".join(f"{key} {value}" for key, value in after.items())
    for gone in ("c-erase", "conv-0", "conv-3"):  # customer id, email, conversations
        assert gone not in text
    # The erased ticket ids survive only inside the id of the incident they started (its other
    # tickets refer to it), as opaque references: the incident no longer holds their data.
    named = [key for key in after if any(ticket in key for ticket in tickets["c-erase"])]
    assert named == [incident_key]
    incident = json.loads(await redis_client.get(incident_key))
    assert incident["ticket_ids"] == [*tickets["c-keep"], *tickets["c-other"]]
    assert incident["customer_ids"] == ["c-keep", "c-other"]
    for kept in (*tickets["c-keep"], *tickets["c-other"], "conv-1", "conv-2", "c-keep"):
        assert kept in text
    me = await (await client.get("/agent/me", headers=priya)).json()
    assert set(me["open_tickets"]) == {tickets["c-keep"][0], tickets["c-other"][0]}
    again = await client.delete("/handoff/customers/c-erase")
    assert (await again.json())["tickets_erased"] == 0
