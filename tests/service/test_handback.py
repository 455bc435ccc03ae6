"""Hand-back and resolve tell Rasa (a stand-in Rasa app recording its webhook calls), the
answer reaches the customer's outbox, and Rasa being down never undoes the hand-back. Real app,
real Redis, real spaCy."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from aiohttp import web

from handoff.store.conversations import append_customer_message
from service.keys import HANDOFF
from tests.support.handoff import (
    HUB,
    MovableClock,
    agent_headers,
    conversation,
    handoff_body,
    handoff_settings,
    start_app,
)

# After the conversation the tracker builder writes (2026-03-14 09:20Z onwards).
AFTER_THE_TRACKER = datetime(2026, 3, 14, 14, 0, tzinfo=timezone.utc)
BACK = "You're back with Hearthly's assistant. Priya Natarajan handed the chat back to me."


class StandInRasa:
    """Rasa's REST webhook as the resume action makes it answer: its replies, and the
    marker that says the action ran. `answer` replaces the whole answer when set."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answer: list[dict[str, Any]] | None = None

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(body)
        if self.answer is not None:
            return web.json_response(self.answer)
        ticket_id = body["metadata"]["handoff"]["ticket_id"]
        replies: list[dict[str, Any]] = []
        if body["message"] == "/handed_back":
            replies.append({"recipient_id": body["sender"], "text": BACK})
        replies.append({"recipient_id": body["sender"], "custom": {"handoff_resumed": ticket_id}})
        return web.json_response(replies)


@pytest.fixture
def rasa() -> StandInRasa:
    return StandInRasa()


@pytest.fixture
async def client(
    aiohttp_client, aiohttp_server, rasa, redis_url, articles_dir, embedder, redis_client
):  # type: ignore[no-untyped-def]
    rasa_app = web.Application()
    rasa_app.router.add_post("/webhooks/rest/webhook", rasa.webhook)
    server = await aiohttp_server(rasa_app)
    settings = handoff_settings(redis_url, articles_dir, RASA_URL=str(server.make_url("")))
    return await start_app(aiohttp_client, settings, embedder, MovableClock(AFTER_THE_TRACKER))


@pytest.fixture
async def priya(redis_url) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return await agent_headers(redis_url, "priya")


async def taken_over(client: Any, priya: dict[str, str], conversation_id: str = "conv-1") -> str:
    """A hub ticket priya claimed; the customer and priya exchange a message."""
    body = handoff_body(conversation(HUB, conversation_id=conversation_id))
    created = await client.post("/handoff/tickets", json=body)
    assert created.status == 201, await created.text()
    ticket_id = str((await created.json())["ticket_id"])
    await post(client, f"/agent/tickets/{ticket_id}/claim", headers=priya)
    desk = client.server.app[HANDOFF]
    text = "my order is HL-123456 by the way"
    assert await append_customer_message(desk.store.tickets, conversation_id, text, now=desk.now())
    await post(client, f"/agent/tickets/{ticket_id}/reply", {"text": "Try a reset"}, priya)
    return ticket_id


async def post(
    client: Any, path: str, body: Any = None, headers: Any = None, status: int = 200
) -> dict[str, Any]:
    response = await client.post(path, json=body or {}, headers=headers)
    assert response.status == status, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def outbox(redis_client: Any, conversation_id: str = "conv-1") -> list[dict[str, str]]:
    return [fields for _, fields in await redis_client.xrange(f"handoff:outbox:{conversation_id}")]


async def test_a_hand_back_tells_rasa_and_its_answer_reaches_the_outbox(  # type: ignore[no-untyped-def]
    client, rasa, priya, redis_client
) -> None:
    ticket_id = await taken_over(client, priya)
    back = await post(client, f"/agent/tickets/{ticket_id}/hand_back", headers=priya)

    assert rasa.calls == [
        {
            "sender": "conv-1",
            "message": "/handed_back",
            "metadata": {"handoff": {"ticket_id": ticket_id, "outcome": "handed_back"}},
        }
    ]
    entries = await outbox(redis_client)
    assert [entry["type"] for entry in entries] == ["agent_joined", "message", "handed_back", "bot"]
    assert (entries[-1]["text"], entries[-1]["ticket_id"]) == (BACK, ticket_id)
    assert "handoff_resumed" not in json.dumps(entries), "the marker is not for the customer"
    last = back["ticket"]["status_history"][-1]
    assert (last["status"], last["by"], last["note"]) == (
        "handed_back",
        "assistant",
        "the assistant took the conversation back",
    )


async def test_the_takeover_is_what_the_resume_action_reads(client, priya) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await taken_over(client, priya)
    await post(client, f"/agent/tickets/{ticket_id}/hand_back", headers=priya)

    response = await client.get("/handoff/conversations/conv-1/takeover")
    assert response.status == 200
    takeover = await response.json()
    assert (takeover["ticket_id"], takeover["outcome"], takeover["agent_name"]) == (
        ticket_id,
        "handed_back",
        "Priya Natarajan",
    )
    said = [(m["speaker"], m["text"]) for m in takeover["messages"]]
    assert said == [("customer", "my order is HL-123456 by the way"), ("agent", "Try a reset")]
    assert takeover["context"]["order_number"] == "HL-123456"
    unknown = await client.get("/handoff/conversations/nobody/takeover")
    assert unknown.status == 404 and "error" in await unknown.json()


async def test_a_resolve_tells_rasa_which_stays_quiet(client, rasa, priya, redis_client) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await taken_over(client, priya)
    resolved = await post(
        client, f"/agent/tickets/{ticket_id}/resolve", {"resolution_code": "answered"}, priya
    )

    assert [call["message"] for call in rasa.calls] == ["/handoff_resolved"]
    assert rasa.calls[0]["metadata"]["handoff"]["outcome"] == "resolved"
    assert [entry["type"] for entry in await outbox(redis_client)][-1] == "resolved"
    assert resolved["ticket"]["status_history"][-1]["by"] == "assistant"


async def test_rasa_failing_inside_is_recorded_and_the_hand_back_stands(  # type: ignore[no-untyped-def]
    client, rasa, priya, redis_client
) -> None:
    rasa.answer = []  # what Rasa's webhook answers when processing failed
    ticket_id = await taken_over(client, priya)
    back = await post(client, f"/agent/tickets/{ticket_id}/hand_back", headers=priya)

    assert back["ticket"]["status"] == "handed_back"
    note = back["ticket"]["status_history"][-1]["note"]
    assert note.startswith("the assistant could not be told (Rasa did not run the resume action")
    assert [entry["type"] for entry in await outbox(redis_client)][-1] == "handed_back"
    state = await (await client.get("/handoff/conversations/conv-1")).json()
    assert state["conversation_state"] == "bot"


async def test_rasa_down_is_recorded_and_the_hand_back_stands(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url, articles_dir, embedder, redis_client, priya
) -> None:
    settings = handoff_settings(redis_url, articles_dir)  # RASA_URL: nothing listens
    client = await start_app(aiohttp_client, settings, embedder, MovableClock(AFTER_THE_TRACKER))
    ticket_id = await taken_over(client, priya)
    back = await post(client, f"/agent/tickets/{ticket_id}/hand_back", headers=priya)

    assert back["ticket"]["status"] == "handed_back"
    note = back["ticket"]["status_history"][-1]["note"]
    assert note.startswith("the assistant could not be told (Rasa could not be reached")
    stored = await post(client, f"/agent/tickets/{ticket_id}/note", {"text": "x"}, priya)
    assert any(c["note"] == note for c in stored["ticket"]["status_history"])
