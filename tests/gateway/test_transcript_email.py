"""The chat's transcript by email (`POST /widget/transcript-email`, gateway/transcript_email.py)
end to end: the real gateway and the real service app (real Redis, real model) on ports, a real
SMTP server (aiosmtpd) the service's mail worker sends to, and a socket.io client shaped like
our widget whose conversation is passed to the team after hours."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestServer

from gateway.app import create_app as create_gateway
from service.app import create_app as create_service
from tests.conftest import TOKEN
from tests.gateway.support import (
    ORIGIN,
    FakeRasa,
    Widget,
    conversation_of,
    gateway_settings,
    wait_for,
)
from tests.mail.smtp_server import CapturingServer, Received, mail_server
from tests.support.handoff import (
    AFTER_HOURS,
    PAYMENT,
    MovableClock,
    conversation,
    handoff_body,
    handoff_settings,
)

PATH = "/widget/transcript-email"
MAIL_SETTINGS = {
    "SMTP_PORT": "",  # the test's server: filled in by `service_url`
    "SMTP_HOST": "127.0.0.1",
    "SMTP_TLS": "off",
    "MAIL_FROM": "Hearthly Support <support@hearthly.test>",
    "MAIL_REPLY_DOMAIN": "reply.hearthly.test",
    "WIDGET_URL": "https://hearthly.test/help",
    "GATEWAY_URL": "https://chat.hearthly.test",
    "LINK_SIGNING_SECRET": "link-secret-" + "k" * 24,
    "MAIL_RETRY_SECONDS": "0.1",
    "MAIL_MAX_RETRY_SECONDS": "0.3",
    "MAIL_TIMEOUT_SECONDS": "2",
    "MAIL_BLOCK_SECONDS": "0.05",
}


@pytest.fixture
async def smtp() -> AsyncIterator[CapturingServer]:
    async with mail_server() as server:
        yield server


@pytest.fixture
def service_mail() -> bool:
    """Overridden (False) by the test of a service without SMTP_HOST."""
    return True


@pytest.fixture
async def service_url(
    redis_url: str, articles_dir: Path, embedder: Any, smtp: CapturingServer, service_mail: bool
) -> AsyncIterator[str]:
    """The service, after hours (a handoff becomes an offline ticket), mailing to `smtp`."""
    mail = {**MAIL_SETTINGS, "SMTP_PORT": str(smtp.port)} if service_mail else {}
    settings = handoff_settings(redis_url, articles_dir, **mail)
    app = create_service(
        settings, embedder_factory=lambda: embedder, clock=MovableClock(AFTER_HOURS)
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def gateway_url(
    redis_url: str,
    redis_client: redis.Redis,
    rasa: FakeRasa,
    service_url: str,
    settings_extra: dict[str, str],
) -> AsyncIterator[str]:
    """The gateway; Redis is flushed after each test (`redis_client`), rate buckets too."""
    settings = gateway_settings(
        redis_url, rasa.url, SERVICE_URL=service_url, SERVICE_TOKEN=TOKEN, **settings_extra
    )
    server = TestServer(create_gateway(settings), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


Post = Callable[..., Awaitable[tuple[int, dict[str, str], dict[str, Any]]]]


@pytest.fixture
def post(http: aiohttp.ClientSession, gateway_url: str) -> Post:
    async def post_body(
        body: object, origin: str = ORIGIN
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        headers = {"Origin": origin}
        async with http.post(f"{gateway_url}{PATH}", json=body, headers=headers) as response:
            return response.status, dict(response.headers), await response.json()

    return post_body


async def _handed_off(
    widget: Widget, redis_client: redis.Redis, http: aiohttp.ClientSession, service_url: str
) -> str:
    """The widget's conversation passed to the team; its session id."""
    session_id = await widget.start_session()
    await pass_to_team(http, service_url, await conversation_of(redis_client, session_id))
    return session_id


async def pass_to_team(http: aiohttp.ClientSession, service_url: str, conversation_id: str) -> None:
    """The conversation handed off as the assistant does it (after hours: an offline ticket)."""
    body = handoff_body(conversation(PAYMENT, conversation_id=conversation_id))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with http.post(f"{service_url}/handoff/tickets", json=body, headers=headers) as answer:
        assert answer.status == 201, await answer.text()
        assert (await answer.json())["offline"] is True


async def mails(smtp: CapturingServer, count: int = 1) -> list[Received]:
    for _ in range(200):
        if len(smtp.received) >= count:
            return list(smtp.received)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(smtp.received)} mails arrived, not {count}")


async def test_a_handed_off_chats_transcript_reaches_the_customers_email(  # type: ignore[no-untyped-def]
    connect, post, http, service_url, smtp, redis_client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    widget = await connect()
    session_id = await _handed_off(widget, redis_client, http, service_url)

    status, headers, answer = await post({"session_id": session_id, "email": "Jane@Example.com"})

    assert (status, answer) == (202, {"sent_to": "jane@example.com"})
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Cache-Control"] == "no-store"
    mail = (await mails(smtp))[0]
    assert mail.rcpt_tos == ["jane@example.com"]
    assert "Transcript" in str(mail.message["Subject"])
    assert "my card keeps getting declined at checkout" in mail.body
    assert "Connecting you to a person." in mail.body
    # without an address: the one the customer left for the reply, typed into the chat
    await widget.say("jo@example.com")
    await wait_for(lambda: any("jo@example.com" in reply.get("text", "") for reply in widget.bot))
    status, _, answer = await post({"session_id": session_id})
    assert (status, answer) == (202, {"sent_to": "jo@example.com"})
    assert (await mails(smtp, 2))[1].rcpt_tos == ["jo@example.com"]
    gateway_log = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("gateway")
    )
    assert "transcript email queued" in gateway_log
    assert session_id not in gateway_log and "jane@" not in gateway_log.lower()


async def test_bad_or_missing_addresses_are_refused_saying_why(  # type: ignore[no-untyped-def]
    connect, post, http, service_url, smtp, redis_client
) -> None:
    session_id = await _handed_off(await connect(), redis_client, http, service_url)

    bad = await post({"session_id": session_id, "email": "jane at example"})
    missing = await post({"session_id": session_id, "email": "  "})
    not_text = await post({"session_id": session_id, "email": ["jane@example.com"]})

    assert (bad[0], bad[2]["reason"]) == (400, "bad_address")
    assert "'jane at example' is not an email address we can send to" in bad[2]["error"]
    assert (missing[0], missing[2]) == (
        400,
        {"error": "type the email address to send the transcript to", "reason": "no_address"},
    )
    assert (not_text[0], not_text[2]["reason"]) == (400, "bad_address")
    await asyncio.sleep(0.3)  # the mail worker polls every 0.05 s: nothing was queued
    assert smtp.received == []


async def test_a_chat_never_passed_to_the_team_has_nothing_to_send(  # type: ignore[no-untyped-def]
    connect, post, smtp
) -> None:
    session_id = await (await connect()).start_session()

    status, _, answer = await post({"session_id": session_id, "email": "jane@example.com"})

    assert (status, answer["reason"]) == (404, "nothing_to_send")
    assert answer["error"].startswith("there is nothing to send yet")
    assert "passed to our team" in answer["error"]
    assert smtp.received == []


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"email": "jane@example.com"}, 400, "no_session"),
        ({"session_id": None}, 400, "no_session"),
        ({"session_id": "not a session"}, 400, "no_session"),
        ({"session_id": "A" * 32, "email": "jane@example.com"}, 403, "session_ended"),
        (["not", "an", "object"], 400, "invalid"),
    ],
    ids=["missing", "null", "malformed", "ended", "not-an-object"],
)
async def test_without_a_live_session_nothing_is_sent(  # type: ignore[no-untyped-def]
    post, smtp, body, status, reason
) -> None:
    got_status, _, answer = await post(body)
    assert (got_status, answer["reason"]) == (status, reason)
    assert isinstance(answer["error"], str) and answer["error"]
    assert smtp.received == []


@pytest.mark.parametrize(
    "settings_extra",
    [
        {
            "GATEWAY_TRANSCRIPT_EMAIL_BURST": "2",
            "GATEWAY_TRANSCRIPT_EMAIL_PER_MINUTE": "0.1",
            "GATEWAY_TRANSCRIPT_EMAIL_ADDRESS_BURST": "3",
            "GATEWAY_TRANSCRIPT_EMAIL_ADDRESS_PER_MINUTE": "0.1",
        }
    ],
)
async def test_transcripts_are_rate_limited_per_session_and_per_address(  # type: ignore[no-untyped-def]
    connect, post, http, service_url, smtp, redis_client
) -> None:
    session_id = await _handed_off(await connect(), redis_client, http, service_url)
    body = {"session_id": session_id, "email": "jane@example.com"}
    assert [(await post(body))[0] for _ in range(2)] == [202, 202]

    status, headers, answer = await post(body)  # the session's budget is spent
    assert (status, answer["reason"]) == (429, "rate_limited")
    assert int(headers["Retry-After"]) > 0
    assert "try again in 10 minutes" in answer["error"]
    other = await (await connect()).start_session()  # the same address's budget is spent too
    status, _, answer = await post({"session_id": other, "email": "jo@example.com"})
    assert (status, answer["reason"]) == (429, "rate_limited")
    assert [mail.rcpt_tos for mail in await mails(smtp, 2)] == [["jane@example.com"]] * 2


@pytest.mark.parametrize("settings_extra", [{"GATEWAY_TRANSCRIPT_EMAIL_BURST": "5"}])
async def test_the_services_limit_of_three_transcripts_is_told(  # type: ignore[no-untyped-def]
    connect, post, http, service_url, smtp, redis_client
) -> None:
    session_id = await _handed_off(await connect(), redis_client, http, service_url)
    body = {"session_id": session_id, "email": "jane@example.com"}
    assert [(await post(body))[0] for _ in range(3)] == [202, 202, 202]

    status, _, answer = await post(body)

    assert (status, answer["reason"]) == (409, "too_many")
    assert "already sent 3 times" in answer["error"]


@pytest.mark.parametrize("service_mail", [False])
async def test_a_service_without_mail_says_it_is_not_set_up(  # type: ignore[no-untyped-def]
    connect, post, http, service_url, redis_client
) -> None:
    session_id = await _handed_off(await connect(), redis_client, http, service_url)
    status, _, answer = await post({"session_id": session_id, "email": "jane@example.com"})
    assert (status, answer) == (
        503,
        {
            "error": "sending the transcript by email is not set up here",
            "reason": "mail_not_set_up",
        },
    )


async def test_only_allowed_sites_may_ask(post, http, gateway_url, smtp) -> None:  # type: ignore[no-untyped-def]
    status, headers, answer = await post({"session_id": "A" * 32}, origin="https://evil.example")
    assert (status, answer["reason"]) == (403, "origin")
    assert "Access-Control-Allow-Origin" not in headers
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    async with http.options(f"{gateway_url}{PATH}", headers=preflight) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
