"""The customer's own requests (POST /handoff/customer-requests...) on the real service, real
spaCy, real model and real Redis: what a customer with a requests link or the widget's session
sees of their requests, a message they add, a request they withdraw, and the links and tickets
that are refused."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from infra.signed_links import LinkClaims, make_link_token
from tests.support.handoff import (
    CARD,
    HUB,
    PAYMENT,
    REFUND,
    MovableClock,
    agent_headers,
    conversation,
    go_online,
    handoff_body,
    handoff_settings,
    start_app,
)

SECRET = "requests-link-secret-" + "s" * 12
REQUESTS = "/handoff/customer-requests"
ANN = {"id": "c-ann", "tier": None, "prior_escalations": 0}
ZOE = {"id": "c-zoe", "tier": None, "prior_escalations": 0}


@pytest.fixture
async def client(aiohttp_client, redis_url, articles_dir, embedder, redis_client, clock):  # type: ignore[no-untyped-def]
    settings = handoff_settings(redis_url, articles_dir, LINK_SIGNING_SECRET=SECRET)
    return await start_app(aiohttp_client, settings, embedder, clock)


def link(
    clock: MovableClock,
    conversation_id: str,
    ticket_id: str,
    *,
    purpose: Any = "requests",
    seconds: float = 3600,
    secret: str = SECRET,
) -> str:
    expires = int(clock.now.timestamp() + seconds)
    claims = LinkClaims(purpose, conversation_id, ticket_id, expires)
    return make_link_token(secret.encode(), claims)


async def open_ticket(client: TestClient, builder: Any, customer: Any = None) -> str:
    response = await client.post("/handoff/tickets", json=handoff_body(builder, customer=customer))
    assert response.status == 201, await response.text()
    return str((await response.json())["ticket_id"])


async def post(client: TestClient, path: str, body: dict[str, Any], status: int = 200) -> Any:
    response = await client.post(path, json=body)
    assert response.status == status, await response.text()
    return await response.json()


async def test_a_verified_customer_sees_both_their_requests_with_status_and_transcript(  # type: ignore[no-untyped-def]
    client, clock, redis_url
) -> None:
    hub = await open_ticket(client, conversation(HUB, conversation_id="conv-a"), ANN)
    refund = await open_ticket(client, conversation(REFUND, conversation_id="conv-b"), ANN)
    other = await open_ticket(client, conversation(PAYMENT, conversation_id="conv-z"), ZOE)
    priya = await agent_headers(redis_url, "priya")
    await go_online(client, priya)  # she takes the waiting hub ticket (team technical)
    reply = {"text": "Hi, I'm looking at your hub now."}
    answer = await client.post(f"/agent/tickets/{hub}/reply", json=reply, headers=priya)
    assert answer.status == 200, await answer.text()
    note = {"text": "internal: customer sounds annoyed"}
    assert (await client.post(f"/agent/tickets/{hub}/note", json=note, headers=priya)).status == 200

    listed = await post(client, REQUESTS, {"token": link(clock, "conv-a", hub)})

    requests = {request["ticket_id"]: request for request in listed["requests"]}
    assert set(requests) == {hub, refund}  # the link's, and the same verified customer's
    assert other not in str(listed) and "c-zoe" not in str(listed)
    with_priya, waiting = requests[hub], requests[refund]
    assert (with_priya["status"], with_priya["status_text"]) == ("assigned", "With Priya Natarajan")
    assert with_priya["agent_name"] == "Priya Natarajan"
    assert with_priya["can_close"] is False and with_priya["can_add_message"] is True
    speakers = [turn["from"] for turn in with_priya["transcript"]]
    assert speakers[:3] == ["customer", "bot", "customer"] and speakers[-1] == "agent"
    assert with_priya["transcript"][-1] == {
        "from": "agent",
        "text": "Hi, I'm looking at your hub now.",
        "agent_name": "Priya Natarajan",
    }
    assert HUB.text in [turn["text"] for turn in with_priya["transcript"]]
    assert "internal" not in str(listed) and '"priya"' not in str(listed).replace("'", '"')
    # nobody with the refund's skill is online: it waits offline, with the promised reply time
    assert (waiting["status"], waiting["can_close"]) == ("waiting", True)
    assert waiting["promised_reply_by"] and waiting["promised_reply_at"]
    assert listed["requests"][0]["open"] and listed["requests"][1]["open"]


async def test_a_message_added_on_the_page_reaches_the_ticket_the_agent_reads(  # type: ignore[no-untyped-def]
    client, clock, redis_url
) -> None:
    ticket_id = await open_ticket(client, conversation(HUB, conversation_id="conv-m"))
    token = link(clock, "conv-m", ticket_id)
    text = f"It is still blinking. My card is {CARD} if you need it."

    added = await post(
        client, f"{REQUESTS}/{ticket_id}/messages", {"token": token, "text": text}, 201
    )

    assert added["request"]["transcript"][-1]["from"] == "customer"
    assert added["request"]["transcript"][-1]["text"].startswith("It is still blinking.")
    stored = await client.get(
        f"/agent/tickets/{ticket_id}", headers=await agent_headers(redis_url, "priya")
    )
    last = (await stored.json())["ticket"]["transcript"][-1]
    assert last["speaker"] == "customer" and last["text"].startswith("It is still blinking.")
    assert "4242 4242" not in last["text"] and "[card ending 4242]" in last["text"]


async def test_a_customer_withdraws_a_waiting_request_and_a_closed_one_refuses_more(  # type: ignore[no-untyped-def]
    client, clock
) -> None:
    ticket_id = await open_ticket(client, conversation(REFUND, conversation_id="conv-c"))
    token = link(clock, "conv-c", ticket_id)

    closed = await post(client, f"{REQUESTS}/{ticket_id}/close", {"token": token})

    assert (closed["request"]["status"], closed["request"]["status_text"]) == (
        "cancelled",
        "Withdrawn",
    )
    state = await (await client.get("/handoff/conversations/conv-c")).json()
    assert state["conversation_state"] == "bot"  # the assistant answers the chat again
    again = await post(client, f"{REQUESTS}/{ticket_id}/close", {"token": token}, 409)
    assert again["error"] == "this request is withdrawn already"
    message = {"token": token, "text": "hello?"}
    refused = await post(client, f"{REQUESTS}/{ticket_id}/messages", message, 409)
    assert refused["error"].startswith("this request is withdrawn, so it takes no more messages")


async def test_a_request_a_person_has_cannot_be_withdrawn(client, clock, redis_url) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await open_ticket(client, conversation(HUB, conversation_id="conv-p"))
    await go_online(client, await agent_headers(redis_url, "priya"))

    refused = await post(
        client, f"{REQUESTS}/{ticket_id}/close", {"token": link(clock, "conv-p", ticket_id)}, 409
    )

    assert refused["error"].startswith("a person is already working on this request")


@pytest.mark.parametrize(
    ("make", "status", "reason", "message"),
    [
        (lambda c, t: link(c, "conv-l", t, seconds=-1), 410, "expired", "this link has expired"),
        (lambda c, t: link(c, "conv-l", t, secret="x" * 30), 403, "forged", "not one of ours"),
        (lambda c, t: link(c, "conv-l", t, purpose="resume"), 400, "wrong_purpose", "requests"),
        (lambda c, t: "not-a-link", 400, "malformed", "copy the whole link"),
    ],
)
async def test_a_link_that_cannot_be_used_gets_nothing_but_the_reason(  # type: ignore[no-untyped-def]
    client, clock, make, status, reason, message
) -> None:
    ticket_id = await open_ticket(client, conversation(HUB, conversation_id="conv-l"))
    token = make(clock, ticket_id)

    refused = await post(client, REQUESTS, {"token": token}, status)

    assert refused["error"] == reason and message in refused["message"]
    assert ticket_id not in str(refused)


async def test_a_link_refused_once_it_expires(client, clock) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await open_ticket(client, conversation(HUB, conversation_id="conv-e"))
    token = link(clock, "conv-e", ticket_id, seconds=600)
    assert len((await post(client, REQUESTS, {"token": token}))["requests"]) == 1

    clock.advance(minutes=11)

    refused = await post(client, REQUESTS, {"token": token}, 410)
    assert refused["error"] == "expired"
    assert refused["message"].startswith("this link has expired - ")


async def test_another_customers_request_is_not_found_and_nothing_leaks(client, clock) -> None:  # type: ignore[no-untyped-def]
    mine = await open_ticket(client, conversation(HUB, conversation_id="conv-mine"), ANN)
    theirs = await open_ticket(client, conversation(REFUND, conversation_id="conv-them"), ZOE)
    token = link(clock, "conv-mine", mine)
    message = {"token": token, "text": "let me in"}

    for path, body in (
        (f"{REQUESTS}/{theirs}/messages", message),
        (f"{REQUESTS}/{theirs}/close", {"token": token}),
    ):
        refused = await post(client, path, body, 404)
        assert refused == {"error": f"no request {theirs}"}
    missing = await post(client, f"{REQUESTS}/tk-000000000000/close", {"token": token}, 404)
    assert missing == {"error": "no request tk-000000000000"}  # the same answer as theirs
    # a link whose ticket is another conversation's shows nothing of it either
    crossed = link(clock, "conv-mine", theirs)
    listed = await post(client, REQUESTS, {"token": crossed})
    assert [request["ticket_id"] for request in listed["requests"]] == [mine]
    state = await (await client.get("/handoff/conversations/conv-them")).json()
    assert state["status"] == "waiting"  # untouched, and no message in it


async def test_the_widget_session_sees_its_own_conversation_only(client) -> None:  # type: ignore[no-untyped-def]
    mine = await open_ticket(client, conversation(HUB, conversation_id="conv-w"))
    await open_ticket(client, conversation(REFUND, conversation_id="conv-other"))

    listed = await post(client, REQUESTS, {"conversation_id": "conv-w"})

    assert [request["ticket_id"] for request in listed["requests"]] == [mine]
    assert (await post(client, REQUESTS, {"conversation_id": "conv-new"})) == {"requests": []}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, 'send either "token" (a requests link) or "conversation_id"'),
        ({"token": "a.b", "conversation_id": "conv-1"}, 'send either "token"'),
        ({"conversation_id": "no spaces allowed"}, "conversation_id must be 1-128"),
    ],
)
async def test_a_body_that_says_nothing_clear_is_a_400_with_the_reason(client, body, error) -> None:  # type: ignore[no-untyped-def]
    refused = await post(client, REQUESTS, body, 400)
    assert refused["error"].startswith(error)


async def test_an_empty_or_too_long_message_is_a_400(client) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await open_ticket(client, conversation(HUB, conversation_id="conv-t"))
    for text in ("   ", "x" * 1001):
        body = {"conversation_id": "conv-t", "text": text}
        refused = await post(client, f"{REQUESTS}/{ticket_id}/messages", body, 400)
        assert refused["error"] == "text must be non-empty text of at most 1000 chars"


async def test_without_a_link_secret_links_are_not_set_up_but_the_session_works(  # type: ignore[no-untyped-def]
    handoff_client, clock
) -> None:
    ticket_id = await open_ticket(handoff_client, conversation(HUB, conversation_id="conv-n"))

    refused = await post(handoff_client, REQUESTS, {"token": link(clock, "conv-n", ticket_id)}, 404)

    assert refused["error"] == "links_not_set_up"
    assert refused["message"].startswith("requests links are not set up")
    listed = await post(handoff_client, REQUESTS, {"conversation_id": "conv-n"})
    assert [request["ticket_id"] for request in listed["requests"]] == [ticket_id]
