"""A customer's personal data, end to end: what a whole journey leaves where, what an access
request gives back, and what an erasure leaves (nothing).

Real stack (gateway, Rasa with the trained model, action server, service, Redis with its
append-only file). A signed-in customer chats through the gateway as the widget does (socket.io,
signed customer claims) and types a card number, an IBAN, a password, an email address and a
phone number; asks for a person and writes while waiting; an agent claims the chat, replies and
resolves it through the console's API on the gateway; the customer answers the survey. Then:

- no log file holds any of the five values;
- no Redis key or value, and not the append-only file, holds the card number, the IBAN or the
  password; the email and the phone number, which the customer gave the support team, are held
  only in that customer's own conversation (its tracker and ticket), nowhere shared;
- the export holds the conversation (masked as stored), the ticket and the survey;
- after the erasure no key, value or line of the rewritten append-only file holds any of the
  values, the conversation id or the customer id.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis

from handoff.privacy.identity import sign_customer
from stack.supervisor import Stack
from tests.e2e.client import Widget
from tests.support.personal_data import (
    Seeded,
    files_under,
    found,
    grouped,
    held_only_by,
    redis_values,
)
from tests.support.team import Team, until

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

LIVE = 60.0


class SignedInWidget(Widget):
    """The widget of a signed-in customer: every message carries the signed claims."""

    def __init__(self, claims: dict[str, Any]) -> None:
        super().__init__()
        self.metadata = claims
        self.surveys: list[dict[str, Any]] = []
        self.saved: list[dict[str, Any]] = []
        self.client.on("survey_request", self.surveys.append)
        self.client.on("survey_saved", self.saved.append)


async def console(stack: Stack, method: str, path: str, token: str, body: Any = None) -> Any:
    """The agent console's API on the gateway (proxied to the service's agent API)."""
    headers = {"Authorization": f"Bearer {token}", "Origin": stack.config.gateway_url}
    url = f"{stack.config.gateway_url}/console/api/{path}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=LIVE)) as session:
        async with session.request(method, url, json=body, headers=headers) as reply:
            answer = await reply.json()
            assert reply.status == 200, answer
            return answer


async def privacy(stack: Stack, method: str, path: str) -> Any:
    headers = {"Authorization": f"Bearer {stack.config.service_token}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=LIVE)) as session:
        url = f"{stack.config.service_url}/privacy/customers/{path}"
        async with session.request(method, url, headers=headers) as reply:
            answer = await reply.json()
            assert reply.status == 200, answer
            return answer


async def journey(stack: Stack, seeded: Seeded) -> tuple[str, str]:
    """The whole journey; returns the conversation id and the ticket id."""
    claims = {"id": seeded.customer_id, "tier": None, "prior_escalations": 0}
    widget = SignedInWidget(
        {"customer": sign_customer(claims, stack.config.customer_signing_secret)}
    )
    await widget.open(stack.config.gateway_url)
    try:
        await widget.say(f"I was charged twice on my card {grouped(seeded.card)}, why?")
        await widget.say(
            f"my password is {seeded.password}, call me on {seeded.phone} "
            f"or write to {seeded.email}"
        )
        await widget.say("I want to talk to a real person")
        conversation_id = await widget.conversation_id(stack)
        team = Team(stack)
        state = await team.handed_off(conversation_id)
        await widget.say(f"refund it to my IBAN {grouped(seeded.iban)} please", replies=0)
        _, headers = await team.agent_for(state["team"])
        token = headers["Authorization"].removeprefix("Bearer ")
        ticket = f"tickets/{state['ticket_id']}"
        await console(stack, "POST", f"{ticket}/claim", token)
        await console(stack, "POST", f"{ticket}/reply", token, {"text": "Refunded, 3-5 days."})
        codes = (await console(stack, "GET", "me", token))["resolution_codes"]
        await console(stack, "POST", f"{ticket}/resolve", token, {"resolution_code": codes[0]})
        await until(lambda: widget.surveys, "no survey was offered", timeout=LIVE)
        await widget.client.emit("survey", {"csat": 5, "ces": 2})
        await until(lambda: widget.saved, "the survey was not saved", timeout=LIVE)
    finally:
        await widget.client.disconnect()
    return conversation_id, state["ticket_id"]


async def aof_rewritten(stack: Stack) -> bool:
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        info = await client.info("persistence")
    finally:
        await client.aclose()
    return not int(info["aof_rewrite_in_progress"]) and not int(info["aof_rewrite_scheduled"])


async def test_personal_data_stays_where_consent_allows_and_erasure_removes_all_of_it(
    stack: Stack,
) -> None:
    seeded = Seeded()
    conversation_id, ticket_id = await journey(stack, seeded)
    holders = await held_only_by(stack, seeded)
    assert f"tracker:{conversation_id}" in holders  # what the customer typed, as Rasa keeps it
    assert holders <= {f"tracker:{conversation_id}", f"handoff:ticket:{ticket_id}"}, holders

    held = await privacy(stack, "GET", f"{seeded.customer_id}/export")
    [part] = held["conversations"]
    assert part["conversation_id"] == conversation_id
    typed = " ".join(m["text"] for m in part["messages"] if m["speaker"] == "customer")
    assert f"[card ending {seeded.card[-4:]}]" in typed and seeded.email in typed
    assert [ticket["ticket_id"] for ticket in held["tickets"]] == [ticket_id]
    assert [(s["csat"], s["ces"]) for s in part["surveys"]] == [(5, 2)]
    assert found(json.dumps(held), seeded.secrets()) == []

    erased = await privacy(stack, "DELETE", seeded.customer_id)
    assert erased["erased"]["tickets"] == 1 and erased["erased"]["conversations"] == 1
    assert erased["aof_rewrite"] == "started"
    await until(lambda: aof_rewritten(stack), "Redis did not rewrite its AOF", timeout=LIVE)
    await asyncio.sleep(1.5)

    identifiers = {"conversation": (conversation_id,), "customer": (seeded.customer_id,)}
    everything = seeded.secrets() | seeded.contacts()
    left = {key: text for key, text in (await redis_values(stack)).items()}
    remains = {
        key: found(key + text, everything | identifiers)
        for key, text in left.items()
        if found(key + text, everything | identifiers) and not key.startswith("handoff:incident:")
    }
    assert remains == {}
    aof = files_under(stack.config.var_dir / "redis", (".aof",))
    assert {
        path: found(text, everything | identifiers)
        for path, text in aof.items()
        if found(text, everything | identifiers)
    } == {}
    again = await privacy(stack, "DELETE", seeded.customer_id)
    assert set(again["erased"].values()) == {0}
