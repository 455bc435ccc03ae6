"""One mail to the mail server (SMTP_HOST) with aiosmtplib: the edge between the outbox and the
network, and the one place that turns an SMTP failure into words an agent understands.

A conversation with the server (connect, with TLS from the first byte or STARTTLS as SMTP_TLS
says, the server's certificate checked against the system's CAs or SMTP_CA_FILE; login when
credentials are set; the mail) has MAIL_TIMEOUT_SECONDS in all. Anything but success raises
`SendFailed` whose message the console shows as the mail's last error: "the mail server could not be
reached", "the mail server refused the address ... (550 ...)" - the server's own words are
added in brackets for whoever investigates, cut short. `permanent` marks a failure another try
cannot mend: a 5xx refusal of the recipient or of the message, or an address we cannot send to.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from datetime import datetime
from email.utils import parseaddr

import aiosmtplib

from mail.compose import AddressError, message_id_for, plain_mail
from mail.outbox import OutgoingMail
from mail.settings import MailSettings

MAX_SERVER_WORDS = 160
"""How much of the server's own answer goes into the last error."""


class SendFailed(RuntimeError):
    """The mail server did not take the mail; the message is for the agent. `permanent`: do
    not try again."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent

    def log_text(self, address: str) -> str:
        """The message without the customer's address (the server may echo it): for logs."""
        return re.sub(re.escape(address), "<address>", str(self), flags=re.IGNORECASE)


async def send_mail(settings: MailSettings, mail: OutgoingMail, now: datetime) -> None:
    """Send `mail` from MAIL_FROM, dated `now`; raises SendFailed."""
    try:
        message = plain_mail(
            settings.mail_from,
            mail.to,
            mail.subject,
            mail.body,
            mail.reply_to,
            message_id=message_id_for(mail.ticket_id, mail.mail_id, settings.mail_from),
            date=now,
        )
    except AddressError as error:
        raise SendFailed(
            f"{mail.to!r} is not an email address we can send to", permanent=True
        ) from error
    sender_domain = parseaddr(settings.mail_from)[1].rpartition("@")[2]
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                use_tls=settings.smtp_tls == "implicit",
                start_tls=settings.smtp_tls == "starttls",
                cert_bundle=settings.smtp_ca_file or None,
                username=settings.smtp_username or None,
                password=settings.smtp_password or None,
                timeout=settings.timeout_seconds,
                local_hostname=sender_domain or None,  # not socket.getfqdn(): it blocks
            )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        raise failure(error, mail.to) from error


def failure(error: BaseException, to: str) -> SendFailed:
    """The failure `error` (from aiosmtplib or the network) in plain words."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        error = error.recipients[0]
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        said = _server_words(error)
        if error.code >= 500:
            return SendFailed(f"the mail server refused the address {to} {said}", permanent=True)
        return SendFailed(f"the mail server would not take mail for {to} just now {said}")
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return SendFailed(
            "the mail server did not accept our login - an administrator should check the "
            f"SMTP user name and password {_server_words(error)}"
        )
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return SendFailed(
            "the mail server refused our sender address - an administrator should check "
            f"MAIL_FROM {_server_words(error)}"
        )
    if isinstance(error, aiosmtplib.SMTPDataError) and error.code >= 500:
        return SendFailed(
            f"the mail server refused the message {_server_words(error)}", permanent=True
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        if error.code < 500:
            return SendFailed(f"the mail server asked us to try again later {_server_words(error)}")
        return SendFailed(f"the mail server answered with an error {_server_words(error)}")
    return SendFailed(_network_words(error))


def _network_words(error: BaseException) -> str:
    causes = (error, error.__cause__)  # aiosmtplib wraps a failed TLS handshake when connecting
    if any(isinstance(each, ssl.SSLCertVerificationError) for each in causes):
        return "the mail server's certificate could not be verified"
    if any(isinstance(each, ssl.SSLError) for each in causes):
        return "a secure connection to the mail server failed"
    if isinstance(error, TimeoutError):  # aiosmtplib's timeouts are TimeoutErrors too
        return "the mail server did not answer in time"
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return "the mail server closed the connection before it took the mail"
    if isinstance(error, ConnectionError | OSError):
        return "the mail server could not be reached"
    if "STARTTLS" in str(error).upper():
        return "the mail server does not offer a secure connection (STARTTLS)"
    return f"the mail server could not take the mail ({str(error)[:MAX_SERVER_WORDS]})"


def _server_words(error: aiosmtplib.SMTPResponseException) -> str:
    words = " ".join(str(error.message).split())[:MAX_SERVER_WORDS]
    return f"({error.code} {words})" if words else f"({error.code})"
