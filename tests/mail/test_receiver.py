"""The reply receiver, sent real mails over SMTP (aiosmtplib): a reply reaches `on_reply` with
its ticket and only the new text; every refusal comes back to the sending server in words; a
failure of ours is a 451, so the sending server tries again and nothing is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
import pytest
import redis.asyncio as redis

from infra.signed_links import LinkClaims, make_reply_token
from mail.outbox import MailOutbox
from mail.receiver import MAX_MESSAGE_BYTES, MailReceiver, ReplyRefused
from mail.worker import MailWorker
from tests.mail.smtp_server import mail_server
from tests.mail.support import BASE, SECRET, fast, reply, until

SETTINGS = replace(BASE, inbound_port=0)


@dataclass
class Replies:
    taken: list[tuple[LinkClaims, str, str]] = field(default_factory=list)
    fail_next: list[BaseException] = field(default_factory=list)

    async def on_reply(self, claims: LinkClaims, sender: str, text: str) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.taken.append((claims, sender, text))


Running = tuple[MailReceiver, Replies]


@pytest.fixture
async def receiver() -> AsyncIterator[Running]:
    replies = Replies()
    running = MailReceiver(SETTINGS, replies.on_reply)
    await running.start()
    yield running, replies
    await running.stop()


def reply_address(ticket_id: str = "tk-1", days: float = 7, secret: str = SECRET) -> str:
    expires = int((datetime.now(UTC) + timedelta(days=days)).timestamp())
    token = make_reply_token(secret.encode(), ticket_id, expires)
    return f"reply+{token}@reply.acme.test"


def customer_mail(to: str, text: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Jo Doe <jo@example.com>"
    message["To"] = to
    message["Subject"] = "Re: your request R-1042"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def send_to(receiver: MailReceiver) -> Callable[[EmailMessage], Awaitable[object]]:
    async def send(message: EmailMessage) -> object:
        return await aiosmtplib.send(
            message, hostname="127.0.0.1", port=receiver.port, start_tls=False, timeout=5
        )

    return send


async def test_a_reply_reaches_on_reply_with_its_ticket_and_only_the_new_text(
    receiver: Running,
) -> None:
    running, replies = receiver
    text = "Thanks, it arrived!\n\nOn Sat, 14 Mar 2026, Acme Support wrote:\n> Hello,\n> Priya"
    await send_to(running)(customer_mail(reply_address(), text))
    [(claims, sender, taken)] = replies.taken
    assert (claims.ticket_id, sender) == ("tk-1", "jo@example.com")
    assert taken == "Thanks, it arrived!"


async def test_addresses_that_are_not_a_valid_reply_address_are_refused_in_words(
    receiver: Running,
) -> None:
    running, replies = receiver
    cases = {
        "support@reply.acme.test": "takes only replies to our emails",
        "reply+abc@elsewhere.test": "takes only replies to our emails",
        reply_address(secret="another-secret-" + "q" * 20): "not one of ours",
        reply_address(days=-1): "has expired - please start a new chat on our website",
        "reply+not-a-token@reply.acme.test": "not complete",
    }
    for address, words in cases.items():
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await send_to(running)(customer_mail(address, "hello"))
        [one] = refused.value.recipients
        assert one.code == 550 and words in one.message, address
    assert replies.taken == []


async def test_refusals_by_the_service_bounce_and_its_failures_are_retried_later(
    receiver: Running,
) -> None:
    running, replies = receiver
    send = send_to(running)
    replies.fail_next.append(ReplyRefused("this request was closed and its data erased"))
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await send(customer_mail(reply_address(), "still there?"))
    assert refused.value.code == 550 and "its data erased" in refused.value.message

    replies.fail_next.append(RuntimeError("Redis is unavailable"))
    with pytest.raises(aiosmtplib.SMTPDataError) as later:
        await send(customer_mail(reply_address(), "second try"))
    assert later.value.code == 451  # the sending server keeps it and tries again...
    await send(customer_mail(reply_address(), "second try"))  # ...and then it is taken
    assert [text for _, _, text in replies.taken] == ["second try"]


async def test_empty_html_only_automatic_and_oversized_mails(receiver: Running) -> None:
    running, replies = receiver
    send = send_to(running)
    with pytest.raises(aiosmtplib.SMTPDataError) as empty:
        await send(customer_mail(reply_address(), "> only the quoted mail\n-- \nJo"))
    assert empty.value.code == 550 and "no text in your reply" in empty.value.message

    html = customer_mail(reply_address(), "x")
    html.set_content("<p>Hi</p>", subtype="html")
    with pytest.raises(aiosmtplib.SMTPDataError):
        await send(html)

    away = customer_mail(reply_address(), "I am out of the office", Auto_Submitted="auto-replied")
    await send(away)  # taken (no bounce to an autoresponder) and dropped

    huge = customer_mail(reply_address(), "x" * (MAX_MESSAGE_BYTES + 1000))
    with pytest.raises(aiosmtplib.SMTPResponseException) as too_big:
        await send(huge)
    assert too_big.value.code == 552

    assert replies.taken == []

    both = [reply_address("tk-1"), reply_address("tk-2")]
    errors, _ = await aiosmtplib.send(
        customer_mail(both[0], "to both"), hostname="127.0.0.1", port=running.port,
        start_tls=False, recipients=both,
    )  # fmt: skip
    assert errors[both[1]].code == 452  # the sending server sends it again on its own
    assert [(claims.ticket_id, text) for claims, _, text in replies.taken] == [("tk-1", "to both")]


async def test_the_whole_way_an_agent_reply_out_and_the_customers_answer_back(
    receiver: Running, redis_url: str, redis_client: redis.Redis
) -> None:
    running, replies = receiver
    async with mail_server() as server:
        settings = fast(server.port)
        worker = await MailWorker.start(redis_url, settings)
        try:
            await MailOutbox(redis_client).enqueue(reply(settings, "reply-1", ticket_id="tk-9"))

            async def arrived() -> bool:
                return bool(server.received)

            await until(arrived)
        finally:
            await worker.stop()
    sent = server.received[0]
    answer = customer_mail(str(sent.message["Reply-To"]), "Great, thank you.\n\n")
    quoted = "\n".join("> " + line for line in sent.body.splitlines())
    answer.set_content(
        f"Great, thank you.\n\nOn Sat, Acme Support <support@acme.test> wrote:\n{quoted}"
    )
    answer["In-Reply-To"] = sent.message["Message-ID"]
    await send_to(running)(answer)

    [(claims, sender, text)] = replies.taken
    assert claims.ticket_id == "tk-9"
    assert (sender, text) == ("jo@example.com", "Great, thank you.")
