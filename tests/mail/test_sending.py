"""Sending on a real Redis to a real SMTP server (aiosmtpd): the mail as the customer gets it,
the login, a server that is down and comes back, refusals for good and for now, a sender killed
with mails pending, and erasure."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from infra.signed_links import read_link_token, read_reply_token
from mail import keys
from mail.inbound import reply_token
from mail.outbox import DeliveryState, MailOutbox, OutgoingMail
from mail.settings import MailSettings
from mail.worker import MailWorker
from tests.mail.smtp_server import mail_server
from tests.mail.support import SECRET, fast, reply, until

PROJECT_ROOT = Path(__file__).resolve().parents[2]


StartWorker = Callable[..., Awaitable[MailWorker]]


@pytest.fixture
async def worker(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[StartWorker]:
    started: list[MailWorker] = []

    async def start(settings: MailSettings, on_state: Any = None) -> MailWorker:
        started.append(await MailWorker.start(redis_url, settings, on_state))
        return started[-1]

    yield start  # stopped before redis_client flushes the database
    for each in started:
        await each.stop()


def outbox_of(client: redis.Redis) -> MailOutbox:
    return MailOutbox(client)


async def state(client: redis.Redis, mail: OutgoingMail) -> DeliveryState | None:
    return (await MailOutbox(client).states(mail.ticket_id)).get(mail.mail_id)


def in_state(
    client: redis.Redis, wanted: str, *mails: OutgoingMail
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        found = [await state(client, mail) for mail in mails]
        return all(each is not None and each.state == wanted for each in found)

    return check


async def test_an_agent_reply_reaches_the_customer_once_as_composed(
    worker: StartWorker, redis_client: redis.Redis
) -> None:
    told: list[tuple[str, str]] = []

    async def on_state(mail: OutgoingMail, state: DeliveryState) -> None:
        told.append((mail.mail_id, state.state))

    async with mail_server() as server:
        settings = fast(server.port)
        await worker(settings, on_state)
        mail = reply(settings, "reply-1", text="Your refund is on its way.\n<b>really</b>")
        outbox = outbox_of(redis_client)
        assert await outbox.enqueue(mail)
        assert not await outbox.enqueue(mail)  # the same mail id again: nothing more
        assert (await outbox.states("tk-1"))["reply-1"].state == "queued"
        await until(in_state(redis_client, "sent", mail))
        await asyncio.sleep(0.2)

    assert len(server.received) == 1
    got = server.received[0]
    assert got.rcpt_tos == ["jo@example.com"] and got.mail_from == "support@acme.test"
    message = got.message
    assert message["From"] == "Acme Support <support@acme.test>"
    assert message["To"] == "jo@example.com"
    assert message["Subject"] == "Re: your request R-1042"
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    body = got.body
    assert "Your refund is on its way.\n<b>really</b>" in body
    assert message["Message-ID"].endswith("@acme.test>") and parsedate_to_datetime(message["Date"])
    token = reply_token(str(message["Reply-To"]), "reply.acme.test")
    assert read_reply_token(SECRET.encode(), token, 0).ticket_id == "tk-1"
    resume = next(line for line in body.splitlines() if line.startswith("https://acme.test/help#"))
    resumed = read_link_token(SECRET.encode(), resume.split("#resume=")[1], "resume", 0)
    assert resumed.ticket_id == "tk-1"

    sent = (await outbox_of(redis_client).states("tk-1"))["reply-1"]
    assert (sent.state, sent.attempts, sent.last_error, sent.next_attempt_at) == ("sent", 1, "", "")
    assert told == [("reply-1", "sent")]
    assert await redis_client.xlen(keys.OUTBOX) == 0  # done: the entry is gone


async def test_the_login_is_sent_when_credentials_are_set(
    worker: StartWorker, redis_client: redis.Redis
) -> None:
    async with mail_server(credentials=("mailer", "s3cret")) as server:
        good = fast(server.port, smtp_username="mailer", smtp_password="s3cret")
        await worker(good)
        mail = reply(good, "reply-1")
        await outbox_of(redis_client).enqueue(mail)
        await until(in_state(redis_client, "sent", mail))
        assert server.received[0].login == ("mailer", "s3cret")

        wrong = reply(good, "reply-2", ticket_id="tk-2")
        await worker(fast(server.port, smtp_username="mailer", smtp_password="guess"))
        for each in list(server.received):
            server.received.remove(each)
        server.credentials = ("mailer", "changed")  # neither worker's login works now
        await outbox_of(redis_client).enqueue(wrong)
        await until(in_state(redis_client, "retrying", wrong))
    found = await state(redis_client, wrong)
    assert found is not None and "did not accept our login" in found.last_error
    assert server.received == []


async def test_a_mail_server_that_is_down_then_back_gets_every_mail_once(
    worker: StartWorker, redis_client: redis.Redis
) -> None:
    async with mail_server(down=True) as server:
        settings = fast(server.port)
        await worker(settings)
        mails = [reply(settings, f"reply-{n}", text=f"answer {n}") for n in range(3)]
        for mail in mails:
            await outbox_of(redis_client).enqueue(mail)
        await until(in_state(redis_client, "retrying", *mails))
        waiting = await state(redis_client, mails[0])
        assert waiting is not None
        assert waiting.last_error == "the mail server could not be reached"
        assert waiting.next_attempt_at > waiting.at

        await server.start()
        await until(in_state(redis_client, "sent", *mails))
        await asyncio.sleep(0.3)

    bodies = sorted(got.body for got in server.received)
    assert len(bodies) == 3 and all(f"answer {n}" in bodies[n] for n in range(3))
    finished = await state(redis_client, mails[0])
    assert finished is not None and finished.attempts >= 2 and finished.last_error
    assert await redis_client.xlen(keys.OUTBOX) == 0


async def test_a_refused_address_fails_at_once_and_a_busy_mailbox_after_the_last_try(
    worker: StartWorker, redis_client: redis.Redis
) -> None:
    async with mail_server(refuse_rcpt="550 5.1.1 no such user here") as server:
        settings = fast(server.port, max_attempts=3)
        await worker(settings)
        refused = reply(settings, "reply-1", to="nobody@example.com")
        await outbox_of(redis_client).enqueue(refused)
        await until(in_state(redis_client, "failed", refused))
        gone = await state(redis_client, refused)
        assert gone is not None and gone.attempts == 1
        assert gone.last_error == (
            "the mail server refused the address nobody@example.com (550 5.1.1 no such user here)"
        )

        server.refuse_rcpt = "450 4.2.1 mailbox busy"
        busy = reply(settings, "reply-2")
        await outbox_of(redis_client).enqueue(busy)
        await until(in_state(redis_client, "retrying", busy))
        await until(in_state(redis_client, "failed", busy))
    tried = await state(redis_client, busy)
    assert tried is not None and tried.attempts == 3
    assert tried.last_error.startswith("the mail server would not take mail for jo@example.com")
    assert server.received == []
    assert await redis_client.xlen(keys.OUTBOX) == 0
    assert int((await redis_client.xpending(keys.OUTBOX, keys.GROUP))["pending"]) == 0


def sender_env(redis_url: str, settings: MailSettings) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "SMTP_HOST": settings.smtp_host,
        "SMTP_PORT": str(settings.smtp_port),
        "SMTP_TLS": "off",
        "MAIL_FROM": settings.mail_from,
        "MAIL_REPLY_DOMAIN": settings.reply_domain,
        "WIDGET_URL": settings.widget_url,
        "GATEWAY_URL": settings.gateway_url,
        "LINK_SIGNING_SECRET": SECRET,
        "MAIL_RETRY_SECONDS": "0.1",
        "MAIL_MAX_RETRY_SECONDS": "0.4",
        "MAIL_MAX_ATTEMPTS": "50",
        "MAIL_TIMEOUT_SECONDS": "1",
        "MAIL_BLOCK_SECONDS": "0.05",
    }


async def test_a_sender_killed_with_mails_pending_loses_none_and_repeats_none(
    worker: StartWorker, redis_client: redis.Redis, redis_url: str
) -> None:
    async with mail_server(down=True) as server:
        settings = fast(server.port, max_attempts=50)
        mails = [reply(settings, f"reply-{n}", ticket_id=f"tk-{n}") for n in range(5)]
        killed = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mail", "send", cwd=PROJECT_ROOT,
            env=sender_env(redis_url, settings),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for mail in mails:
                await outbox_of(redis_client).enqueue(mail)
            await until(in_state(redis_client, "retrying", *mails), 30)
        finally:
            killed.send_signal(signal.SIGKILL)
            await killed.wait()
        pending = await redis_client.xpending(keys.OUTBOX, keys.GROUP)
        assert int(pending["pending"]) == 5  # held by a consumer that is dead

        await server.start()
        await worker(settings)  # a new process: takes them over once they are idle long enough
        await until(in_state(redis_client, "sent", *mails))
        await asyncio.sleep(0.5)

    ids = [got.message["Message-ID"] for got in server.received]
    assert len(ids) == 5 == len(set(ids))  # each mail once
    assert int((await redis_client.xpending(keys.OUTBOX, keys.GROUP))["pending"]) == 0
    assert await redis_client.xlen(keys.OUTBOX) == 0


async def test_erasure_drops_the_conversations_pending_mails_and_states(
    worker: StartWorker, redis_client: redis.Redis
) -> None:
    async with mail_server(down=True) as server:
        settings = fast(server.port)
        await worker(settings)
        erased = reply(settings, "reply-1", ticket_id="tk-a", conversation_id="conv-a")
        kept = reply(settings, "reply-1", ticket_id="tk-b", conversation_id="conv-b")
        outbox = outbox_of(redis_client)
        for mail in (erased, kept):
            await outbox.enqueue(mail)
        await until(in_state(redis_client, "retrying", erased, kept))

        assert await outbox.forget_conversation("conv-a") == 1
        assert await outbox.states("tk-a") == {}
        # a worker that was mid-way cannot write the forgotten mail's state back
        ghost = DeliveryState("sent", "agent_reply", 1, "", "2026-01-01T00:00:00.000Z", "")
        assert not await outbox.write_state(erased, ghost)
        assert await outbox.states("tk-a") == {}

        await server.start()
        await until(in_state(redis_client, "sent", kept))
        await asyncio.sleep(0.5)

    assert [got.message["To"] for got in server.received] == ["jo@example.com"]
    assert len(server.received) == 1
    assert not await redis_client.exists(keys.tickets("conv-a"), keys.states("tk-a"))
    assert int((await redis_client.xpending(keys.OUTBOX, keys.GROUP))["pending"]) == 0


async def test_a_stopped_sender_leaves_its_mails_to_the_next_one_which_sends_each_once(
    worker: StartWorker, redis_client: redis.Redis
) -> None:
    async with mail_server(down=True) as server:
        settings = fast(server.port)
        first = await worker(settings)
        mails = [reply(settings, f"reply-{n}", ticket_id=f"tk-{n}") for n in range(3)]
        for mail in mails:
            await outbox_of(redis_client).enqueue(mail)
        await until(in_state(redis_client, "retrying", *mails))
        await first.stop()

        await server.start()
        await worker(settings)
        await until(in_state(redis_client, "sent", *mails))
        await asyncio.sleep(0.3)
    ids = [got.message["Message-ID"] for got in server.received]
    assert len(ids) == 3 == len(set(ids))


async def test_a_mail_server_that_never_answers_is_told_in_words(
    worker: StartWorker, redis_client: redis.Redis
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # takes the connection, never greets

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        settings = fast(server.sockets[0].getsockname()[1], timeout_seconds=0.3)
        await worker(settings)
        mail = reply(settings, "reply-1")
        await outbox_of(redis_client).enqueue(mail)
        await until(in_state(redis_client, "retrying", mail))
    finally:
        server.close()
    found = await state(redis_client, mail)
    assert found is not None and found.last_error == "the mail server did not answer in time"
