"""The SMTP server that takes the customer's email replies (aiosmtpd), on MAIL_INBOUND_HOST and
MAIL_INBOUND_PORT, in the service's own event loop (so `on_reply` uses the service's Redis
clients as they are; aiosmtpd's Controller would run it in a thread with a loop of its own).

Put it behind the MX of MAIL_REPLY_DOMAIN (or have the domain's mail server relay
`reply+*@` to it). It answers every sending server in words the customer gets back in a bounce:

- RCPT of an address that is not a reply address, or whose token is forged, malformed or
  expired -> 550 with the reason; a second reply address in one mail -> 452 (the sending server
  sends it in a mail of its own);
- the mail, once read: no text/plain part or nothing new in it -> 550 with the reason; an
  automatic answer (out of office, bounce) -> 250 and dropped;
- the reply, `on_reply(claims, sender, text)`: `ReplyRefused(reason)` -> 550 with the reason
  (the ticket was erased, ...); any other failure -> 451, so the sending server tries again
  later and nothing is lost.

Limits: MAX_MESSAGE_BYTES per mail (552 beyond), one reply address per mail, an idle
connection closed after IDLE_SECONDS, the text cut at inbound.MAX_REPLY_CHARS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any, cast

from aiosmtpd.smtp import SMTP, Envelope, Session

from infra.signed_links import LinkClaims, LinkError, read_reply_token
from mail.inbound import is_automatic, reply_text, reply_token
from mail.settings import MailSettings

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
IDLE_SECONDS = 60.0
TOKEN_WORDS = {
    "expired": "this reply address has expired - please start a new chat on our website",
    "forged": "this reply address is not one of ours",
    "malformed": "this reply address is not complete",
    "wrong_purpose": "this address does not take replies",
}
NOT_A_REPLY = "550 5.1.1 this address takes only replies to our emails"

OnReply = Callable[[LinkClaims, str, str], Awaitable[None]]
"""(the reply address's claims, the sender's address, the new text): the service adds the text
to the ticket as the customer's message."""


class ReplyRefused(Exception):
    """Raised by `on_reply` when the reply cannot go to its ticket for good; `reason` is told
    to the customer in the bounce."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplyHandler:
    """aiosmtpd's handler: the checks and the hand-over to `on_reply`."""

    def __init__(
        self, settings: MailSettings, on_reply: OnReply, now: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.on_reply = on_reply
        self.now = now

    def claims(self, address: str) -> LinkClaims | str:
        """The claims of a reply address, or the SMTP answer saying why it is none."""
        token = reply_token(address, self.settings.reply_domain)
        if token is None:
            return NOT_A_REPLY
        try:
            return read_reply_token(self.settings.link_secret, token, self.now())
        except LinkError as error:
            return f"550 5.7.1 {TOKEN_WORDS.get(error.reason, str(error))}"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if envelope.rcpt_tos:
            return "452 4.5.3 one reply address per mail, please send the others separately"
        claims = self.claims(address)
        if isinstance(claims, str):
            return claims
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        claims = self.claims(envelope.rcpt_tos[0])  # it may have expired since RCPT
        if isinstance(claims, str):
            return claims
        message = cast(
            EmailMessage,
            message_from_bytes(envelope.original_content or b"", policy=policy.default),
        )
        if is_automatic(message):
            log.info("mail: an automatic answer for ticket %s dropped", claims.ticket_id)
            return "250 OK: automatic answers are not passed on"
        text = reply_text(message)
        if not text:
            return "550 5.6.0 we found no text in your reply - please write it as plain text"
        sender = parseaddr(str(message.get("From", "")))[1] or (envelope.mail_from or "")
        try:
            await self.on_reply(claims, sender, text)
        except ReplyRefused as refused:
            return f"550 5.7.1 {' '.join(refused.reason.split())}"
        except Exception:
            log.exception("mail: a reply to ticket %s could not be taken", claims.ticket_id)
            return "451 4.3.0 your reply could not be taken just now - it will be tried again"
        return "250 OK: your reply reached our support team"


class MailReceiver:
    """The SMTP server; `start()` listens (port 0: a free one, then in `port`), `stop()`."""

    def __init__(
        self, settings: MailSettings, on_reply: OnReply, now: Callable[[], float] = time.time
    ) -> None:
        """`now`: the Unix time a reply address's expiry is checked against (the service's
        clock, which the links were made on)."""
        self.settings = settings
        self.handler = ReplyHandler(settings, on_reply, now)
        self.server: asyncio.Server | None = None
        self.port = settings.inbound_port or 0

    def _protocol(self) -> SMTP:
        return SMTP(
            self.handler,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            hostname=self.settings.reply_domain or "localhost",
            ident="support-assistant reply receiver",
            timeout=IDLE_SECONDS,
            loop=asyncio.get_running_loop(),
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            self._protocol, host=self.settings.inbound_host, port=self.port
        )
        sockets: Any = self.server.sockets
        self.port = int(sockets[0].getsockname()[1])
        log.info("mail: taking replies on %s:%d", self.settings.inbound_host, self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
