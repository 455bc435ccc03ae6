"""What the mail tests share: settings with short retries, a started worker, waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mail.compose import agent_reply_mail, links_for
from mail.outbox import OutgoingMail
from mail.settings import MailSettings

SECRET = "link-secret-" + "z" * 24
BASE = MailSettings(
    smtp_host="127.0.0.1",
    smtp_tls="off",  # tests/mail/test_tls.py has the certificate-holding servers
    mail_from="Acme Support <support@acme.test>",
    reply_domain="reply.acme.test",
    widget_url="https://acme.test/help",
    gateway_url="https://chat.acme.test",
    link_secret=SECRET.encode(),
    max_attempts=20,
    retry_seconds=0.1,
    max_retry_seconds=0.4,
    timeout_seconds=1.0,
    block_seconds=0.05,
)


def fast(port: int, **changes: Any) -> MailSettings:
    return replace(BASE, smtp_port=port, **changes)


def reply(
    settings: MailSettings,
    mail_id: str,
    *,
    ticket_id: str = "tk-1",
    conversation_id: str = "conv-1",
    to: str = "jo@example.com",
    text: str = "Your refund is on its way.",
) -> OutgoingMail:
    """An agent reply, composed as the service does, ready for the outbox."""
    links = links_for(settings, conversation_id, ticket_id, datetime.now(UTC))
    message = agent_reply_mail(
        settings, to=to, reference="R-1042", agent_name="Priya", reply_text=text, links=links
    )
    return OutgoingMail.from_message(
        message,
        mail_id=mail_id,
        ticket_id=ticket_id,
        conversation_id=conversation_id,
        kind="agent_reply",
    )


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)
