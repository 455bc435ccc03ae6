"""The email follow-up's settings from the environment (infra/env.py's reader), read once at
start-up by the service and by `python -m mail`:

    SMTP_HOST               (unset)    the mail server that sends for us; unset: no mail at all
    SMTP_TLS                starttls   starttls: require STARTTLS before credentials and mail;
                                       implicit: TLS from the first byte (port 465); off: none
    SMTP_PORT               587        465 when SMTP_TLS=implicit
    SMTP_CA_FILE            (unset)    a CA bundle the server's certificate must chain to (a
                                       private CA); unset: the system's
    SMTP_USERNAME, SMTP_PASSWORD       the login (both or neither)
    MAIL_FROM                          "Acme Support <support@acme.example>"
    MAIL_REPLY_DOMAIN                  replies go to reply+<token>@this domain (its MX points at
                                       the receiver)
    WIDGET_URL                         the page with the widget: the resume link opens it
    GATEWAY_URL                        the public gateway's base: the requests link
    LINK_SIGNING_SECRET                at least 24 characters, the same in service and gateway
    MAIL_LINK_DAYS          7          how long the links and the reply address work
    MAIL_INBOUND_HOST       127.0.0.1  where the receiver listens
    MAIL_INBOUND_PORT       (unset)    unset: no receiver
    MAIL_MAX_ATTEMPTS       8          attempts before a mail is `failed`
    MAIL_RETRY_SECONDS      5          back-off after the first failed attempt, doubled after each
    MAIL_MAX_RETRY_SECONDS  900        the longest back-off
    MAIL_TIMEOUT_SECONDS    10         one conversation with the mail server, at most
    MAIL_BLOCK_SECONDS      1          how long one read of new mails waits

What sending needs is checked only when SMTP_HOST is set, and what the receiver needs only when
MAIL_INBOUND_PORT is set, so a deployment without email needs none of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Literal, cast

from infra.env import EnvReader

MIN_SECRET_LENGTH = 24
DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})+$")
ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]{1,253}$")
SmtpTls = Literal["starttls", "implicit", "off"]
SMTP_TLS: tuple[SmtpTls, ...] = ("starttls", "implicit", "off")
DEFAULT_PORTS = {"starttls": 587, "implicit": 465, "off": 587}


@dataclass(frozen=True)
class MailSettings:
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: SmtpTls = "starttls"
    smtp_ca_file: str = ""
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    mail_from: str = ""
    reply_domain: str = ""
    widget_url: str = ""
    gateway_url: str = ""
    link_secret: bytes = field(default=b"", repr=False)
    link_days: int = 7
    inbound_host: str = "127.0.0.1"
    inbound_port: int | None = None
    max_attempts: int = 8
    retry_seconds: float = 5.0
    max_retry_seconds: float = 900.0
    timeout_seconds: float = 10.0
    block_seconds: float = 1.0

    @property
    def sending(self) -> bool:
        """Mail is sent at all (SMTP_HOST is set)."""
        return bool(self.smtp_host)

    @property
    def receiving(self) -> bool:
        """The receiver runs (MAIL_INBOUND_PORT is set)."""
        return self.inbound_port is not None

    def retry_after(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt: doubled each time, capped."""
        return min(self.retry_seconds * 2 ** max(attempts - 1, 0), self.max_retry_seconds)


def mail_settings(read: EnvReader) -> MailSettings:
    """The settings, with every problem recorded in `read` (the caller raises them all)."""
    env, number = read.env, read.number
    host = env.get("SMTP_HOST", "").strip()
    inbound_port = read.port("MAIL_INBOUND_PORT", 25) if env.get("MAIL_INBOUND_PORT") else None
    tls = _tls(read)
    settings = MailSettings(
        smtp_host=host,
        smtp_port=read.port("SMTP_PORT", DEFAULT_PORTS[tls]),
        smtp_tls=tls,
        smtp_ca_file=env.get("SMTP_CA_FILE", "").strip(),
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        mail_from=env.get("MAIL_FROM", "").strip(),
        reply_domain=env.get("MAIL_REPLY_DOMAIN", "").strip().lower(),
        widget_url=read.http_url("WIDGET_URL", "") if env.get("WIDGET_URL") else "",
        gateway_url=read.http_url("GATEWAY_URL", "") if env.get("GATEWAY_URL") else "",
        link_secret=env.get("LINK_SIGNING_SECRET", "").encode(),
        link_days=int(number("MAIL_LINK_DAYS", "7", int, 1, 365)),
        inbound_host=env.get("MAIL_INBOUND_HOST", "127.0.0.1").strip(),
        inbound_port=inbound_port,
        max_attempts=int(number("MAIL_MAX_ATTEMPTS", "8", int, 1, 100)),
        retry_seconds=number("MAIL_RETRY_SECONDS", "5", float, 0.01, 3600),
        max_retry_seconds=number("MAIL_MAX_RETRY_SECONDS", "900", float, 0.01, 86400),
        timeout_seconds=number("MAIL_TIMEOUT_SECONDS", "10", float, 0.1, 300),
        block_seconds=number("MAIL_BLOCK_SECONDS", "1", float, 0.01, 30),
    )
    if settings.sending:
        _check_sending(read, settings)
    if settings.receiving:
        _check_links(read, settings)
    return settings


def _check_sending(read: EnvReader, settings: MailSettings) -> None:
    if not ADDRESS.match(parseaddr(settings.mail_from)[1]):
        read.add(f"MAIL_FROM={settings.mail_from!r} must be an email address (SMTP_HOST is set)")
    for name, url in (("WIDGET_URL", settings.widget_url), ("GATEWAY_URL", settings.gateway_url)):
        if not url:
            read.add(f"{name} must be set when SMTP_HOST is (the mails link to it)")
    if settings.smtp_ca_file and not Path(settings.smtp_ca_file).is_file():
        read.add(f"SMTP_CA_FILE={settings.smtp_ca_file!r} is not a file")
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        read.add("SMTP_USERNAME and SMTP_PASSWORD go together: set both or neither")
    _check_links(read, settings)


def _check_links(read: EnvReader, settings: MailSettings) -> None:
    if not DOMAIN.match(settings.reply_domain):
        read.add(
            f"MAIL_REPLY_DOMAIN={settings.reply_domain!r} must be a domain name "
            "(replies go to reply+<token>@that domain)"
        )
    if len(settings.link_secret) < MIN_SECRET_LENGTH:
        read.add(f"LINK_SIGNING_SECRET must be at least {MIN_SECRET_LENGTH} characters")


def _tls(read: EnvReader) -> SmtpTls:
    raw = read.env.get("SMTP_TLS", "starttls").strip().lower() or "starttls"
    if "SMTP_STARTTLS" in read.env:  # the name before SMTP_TLS: refused rather than ignored
        read.add("SMTP_STARTTLS is replaced by SMTP_TLS=starttls|implicit|off")
    if raw not in SMTP_TLS:
        read.add(f"SMTP_TLS={raw!r} must be one of {', '.join(SMTP_TLS)}")
        return "starttls"
    return cast(SmtpTls, raw)
