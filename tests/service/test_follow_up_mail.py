"""Email follow-up on the real service, real Redis and real SMTP servers (aiosmtpd): an
after-hours customer leaves an email, the agent's reply reaches it with a working resume link,
the customer's email reply reaches the ticket, and a mail server that is down loses nothing."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from handoff.store.conversations import append_customer_message
from handoff.store.tickets import RedisTicketStore
from infra.signed_links import read_link_token
from tests.mail.smtp_server import CapturingServer, mail_server, unused_port
from tests.support.handoff import (
    AFTER_HOURS,
    PAYMENT,
    agent_headers,
    conversation,
    go_online,
    handoff_body,
    handoff_settings,
    start_app,
)

SECRET = "link-secret-" + "k" * 24


@pytest.fixture
async def smtp() -> AsyncIterator[CapturingServer]:
    async with mail_server() as server:
        yield server


@pytest.fixture
async def client(aiohttp_client, redis_url, articles_dir, embedder, redis_client, clock, smtp):  # type: ignore[no-untyped-def]
    clock.now = AFTER_HOURS  # 22:00 ET: billing is closed, so the ticket goes offline
    settings = handoff_settings(
        redis_url,
        articles_dir,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        SMTP_TLS="off",
        MAIL_FROM="Hearthly Support <support@hearthly.test>",
        MAIL_REPLY_DOMAIN="reply.hearthly.test",
        WIDGET_URL="https://hearthly.test/help",
        GATEWAY_URL="https://chat.hearthly.test",
        LINK_SIGNING_SECRET=SECRET,
        MAIL_INBOUND_PORT=str(unused_port()),
        MAIL_RETRY_SECONDS="0.1",
        MAIL_MAX_RETRY_SECONDS="0.3",
        MAIL_TIMEOUT_SECONDS="2",
        MAIL_BLOCK_SECONDS="0.05",
    )
    return await start_app(aiohttp_client, settings, embedder, clock)


async def until(check: Any, seconds: float = 10.0) -> Any:
    for _ in range(int(seconds / 0.05)):
        if found := await check():
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def after_hours_ticket(client: TestClient, conversation_id: str = "conv-mail") -> str:
    body = handoff_body(conversation(PAYMENT, conversation_id=conversation_id))
    answer = await (await client.post("/handoff/tickets", json=body)).json()
    assert answer["offline"] is True
    assert "type your email address here (we use it only for this request)" in answer["message"]
    return str(answer["ticket_id"])


async def agent_reply(
    client: TestClient, headers: dict[str, str], ticket_id: str, text: str
) -> Any:
    response = await client.post(
        f"/agent/tickets/{ticket_id}/reply", json={"text": text}, headers=headers
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def test_the_agents_reply_reaches_the_customers_email_and_their_reply_reaches_the_ticket(
    client: TestClient, smtp: CapturingServer, redis_client: Any, redis_url: str, clock: Any
) -> None:
    ticket_id = await after_hours_ticket(client)
    tickets = RedisTicketStore(redis_client)
    told = await append_customer_message(tickets, "conv-mail", "jane.doe@example.com", now=clock())
    assert told is not None and told.reply is not None
    assert "we'll email our reply to jane.doe@example.com" in told.reply
    maya = await agent_headers(redis_url, "maya")  # billing
    await go_online(client, maya)
    claimed = await client.post(f"/agent/tickets/{ticket_id}/claim", headers=maya)
    assert claimed.status == 200, await claimed.text()

    await agent_reply(client, maya, ticket_id, "Your refund went out today; allow 3-5 days.")

    mail = (await until(lambda: _received(smtp)))[0]
    assert mail.rcpt_tos == ["jane.doe@example.com"]
    assert "Your refund went out today; allow 3-5 days." in mail.body
    reply_to = str(mail.message["Reply-To"])
    assert reply_to.startswith("reply+") and reply_to.endswith("@reply.hearthly.test")
    resume = next(
        w for w in mail.body.split() if w.startswith("https://hearthly.test/help#resume=")
    )
    claims = read_link_token(SECRET.encode(), resume.split("#resume=")[1], "resume", now=0)
    assert (claims.conversation_id, claims.ticket_id) == ("conv-mail", ticket_id)

    ticket = await until(lambda: _ticket_when(client, maya, ticket_id, "sent"))
    assert ticket["follow_up_email"]["address"] == "jane.doe@example.com"

    receiver = _receiver_port(client)

    def customer_and_stranger_answer() -> smtplib.SMTPDataError:
        """The customer answers the mail; then someone else tries the same reply address."""
        with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as sender:
            answer = _reply_mail(reply_to, "jane.doe@example.com", "Thanks - it arrived!")
            sender.sendmail("jane.doe@example.com", [reply_to], answer)
            with pytest.raises(smtplib.SMTPDataError) as stranger:
                forged = _reply_mail(reply_to, "mallory@example.com", "refund me instead")
                sender.sendmail("mallory@example.com", [reply_to], forged)
        return stranger.value

    refused = await asyncio.to_thread(customer_and_stranger_answer)  # the receiver is on this loop
    assert refused.smtp_code == 550 and b"reply from the address" in refused.smtp_error
    full = await (await client.get(f"/agent/tickets/{ticket_id}", headers=maya)).json()
    last = full["ticket"]["transcript"][-1]
    assert (last["speaker"], last["text"], last["via"]) == (
        "customer",
        "Thanks - it arrived!",
        "email",
    )
    assert all(turn["text"] != "refund me instead" for turn in full["ticket"]["transcript"])


async def test_a_mail_server_that_is_down_keeps_the_reply_and_the_agent_sees_why(
    client: TestClient, smtp: CapturingServer, redis_client: Any, redis_url: str, clock: Any
) -> None:
    ticket_id = await after_hours_ticket(client, "conv-down")
    await append_customer_message(
        RedisTicketStore(redis_client), "conv-down", "jo@example.com", now=clock()
    )
    maya = await agent_headers(redis_url, "maya")
    await go_online(client, maya)
    await client.post(f"/agent/tickets/{ticket_id}/claim", headers=maya)
    await smtp.stop()

    await agent_reply(client, maya, ticket_id, "We found your payment.")
    waiting = await until(lambda: _ticket_when(client, maya, ticket_id, "retrying"))
    state = next(iter(waiting["email_deliveries"].values()))
    assert state["attempts"] >= 1 and "could not be reached" in state["last_error"]

    await smtp.start()  # back on the same port
    await until(lambda: _ticket_when(client, maya, ticket_id, "sent"))
    assert [m.rcpt_tos for m in smtp.received] == [["jo@example.com"]]  # once, not lost


async def test_the_transcript_goes_by_email_and_bad_addresses_are_refused(
    client: TestClient, smtp: CapturingServer
) -> None:
    await after_hours_ticket(client, "conv-copy")
    path = "/handoff/conversations/conv-copy/transcript-email"

    missing = await client.post(path, json={})
    bad = await client.post(path, json={"email": "jane at example"})
    sent = await client.post(path, json={"email": "Jane@Example.com"})

    assert missing.status == 400 and "give the email address" in (await missing.json())["error"]
    assert bad.status == 400 and "not an email address" in (await bad.json())["error"]
    assert sent.status == 202 and (await sent.json())["sent_to"] == "jane@example.com"
    mail = (await until(lambda: _received(smtp)))[0]
    assert "Transcript" in str(mail.message["Subject"]) and "You" in mail.body
    unknown = await client.post("/handoff/conversations/conv-none/transcript-email", json={})
    assert unknown.status == 404


async def _received(smtp: CapturingServer) -> list[Any]:
    return list(smtp.received)


async def _ticket_when(
    client: TestClient, headers: dict[str, str], ticket_id: str, state: str
) -> Any:
    full = await (await client.get(f"/agent/tickets/{ticket_id}", headers=headers)).json()
    states = [delivery["state"] for delivery in full["email_deliveries"].values()]
    return full if states and states[-1] == state else None


def _receiver_port(client: TestClient) -> int:
    from service.keys import SETTINGS

    port = client.server.app[SETTINGS].mail.inbound_port
    assert port is not None
    return port


def _reply_mail(to: str, sender: str, text: str) -> str:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Re: your request\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n\r\nOn Tue, Support wrote:\r\n> Your refund went out today\r\n"
    )
