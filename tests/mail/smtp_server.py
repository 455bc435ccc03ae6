"""A real SMTP server for the tests (aiosmtpd, on the test's event loop): it keeps every mail it
takes, can refuse a recipient, ask for a login, speak TLS (STARTTLS or from the first byte) with
a certificate made for the test, and be stopped and started again on the same port (a mail
server that is down for a while)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, cast

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def unused_port() -> int:
    """A loopback port nobody listens on (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: tuple[str, str] | None

    @property
    def body(self) -> str:
        """The text as the customer's mail client shows it (line ends as written)."""
        return self.message.get_content().replace("\r\n", "\n")


@dataclass
class CapturingServer:
    port: int = field(default_factory=unused_port)
    refuse_rcpt: str | None = None
    """An SMTP answer ("550 5.1.1 no such user") for every RCPT."""
    credentials: tuple[str, str] | None = None
    """When set, a login is required and must match."""
    tls: ssl.SSLContext | None = None
    """The server's certificate and key, for `tls_mode`."""
    tls_mode: Literal["starttls", "implicit"] | None = None
    """starttls: STARTTLS offered and required before MAIL; implicit: TLS from the first byte."""
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        login = cast(tuple[str, str] | None, session.auth_data)
        self.received.append(
            Received(
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                cast(EmailMessage, message),
                login,
            )
        )
        return "250 OK"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login = (data.login.decode(), data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == self.credentials, handled=False, auth_data=login)

    def _protocol(self) -> SMTP:
        with warnings.catch_warnings():  # AUTH without TLS: only here, on loopback
            warnings.simplefilter("ignore", UserWarning)
            return self._smtp()

    def _smtp(self) -> SMTP:
        return SMTP(
            self,
            hostname="mail.test",
            auth_required=self.credentials is not None,
            auth_require_tls=False,
            authenticator=self._authenticate,
            tls_context=self.tls if self.tls_mode == "starttls" else None,
            require_starttls=self.tls_mode == "starttls",
            loop=asyncio.get_running_loop(),
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        implicit = self.tls if self.tls_mode == "implicit" else None
        self.server = await loop.create_server(self._protocol, "127.0.0.1", self.port, ssl=implicit)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


@asynccontextmanager
async def mail_server(**options: Any) -> AsyncIterator[CapturingServer]:
    """A running CapturingServer; `down=True`: not started yet (its port is chosen)."""
    down = options.pop("down", False)
    server = CapturingServer(**options)
    if not down:
        await server.start()
    try:
        yield server
    finally:
        await server.stop()


def self_signed(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1 made with openssl for this test (its file, which is its own CA
    bundle) and a server context holding it."""
    cert, key = folder / "mail-cert.pem", folder / "mail-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context
