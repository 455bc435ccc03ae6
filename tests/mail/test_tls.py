"""Sending over TLS to a real SMTP server (aiosmtpd) holding a certificate made for the test:
STARTTLS (SMTP_TLS=starttls, the default) and TLS from the first byte (SMTP_TLS=implicit, port
465 in real life), the certificate checked against SMTP_CA_FILE; a certificate nobody vouches for
and a server that offers no STARTTLS are failures said in words, and no mail goes out in clear."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mail.sending import SendFailed, send_mail
from mail.settings import SmtpTls
from tests.mail.smtp_server import mail_server, self_signed
from tests.mail.support import fast, reply

NOW = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
async def test_a_mail_goes_out_encrypted_to_a_server_we_trust(
    certificate: tuple[Path, Any], mode: SmtpTls
) -> None:
    ca_file, context = certificate
    async with mail_server(tls=context, tls_mode=mode, credentials=("me", "pw")) as server:
        settings = fast(
            server.port, smtp_tls=mode, smtp_ca_file=str(ca_file), smtp_username="me",
            smtp_password="pw",
        )  # fmt: skip
        await send_mail(settings, reply(settings, "m-1"), NOW)
    assert len(server.received) == 1
    assert server.received[0].login == ("me", "pw")  # the login only inside TLS


async def test_a_certificate_nobody_vouches_for_is_refused_in_words(
    certificate: tuple[Path, Any],
) -> None:
    _, context = certificate
    async with mail_server(tls=context, tls_mode="implicit") as server:
        settings = fast(server.port, smtp_tls="implicit")  # the system's CAs only
        with pytest.raises(SendFailed, match="certificate could not be verified") as failed:
            await send_mail(settings, reply(settings, "m-2"), NOW)
    assert not failed.value.permanent  # an administrator can mend it; the mail waits
    assert server.received == []


async def test_a_server_without_starttls_gets_no_mail_in_clear() -> None:
    async with mail_server() as server:  # offers no STARTTLS
        settings = fast(server.port, smtp_tls="starttls")
        with pytest.raises(SendFailed, match="does not offer a secure connection"):
            await send_mail(settings, reply(settings, "m-3"), NOW)
    assert server.received == []
