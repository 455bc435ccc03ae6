"""The mails the customer gets, built from plain values: the team's reply and the chat
transcript. Pure (the caller passes the time).

Every mail is text/plain, UTF-8, and nothing else: the customer's and the agent's words go in
as they were written, never as HTML, so no text can become markup or a hidden link. Each mail
carries the customer's way back:

- the resume link `{WIDGET_URL}#resume=<token>` reopens the chat in the widget;
- the requests link `{GATEWAY_URL}/requests#token=<token>` shows their requests;
- the Reply-To `reply+<token>@{MAIL_REPLY_DOMAIN}`: "or just reply to this email".

The three tokens (infra/signed_links.py) name the conversation and the ticket, each for its own
purpose, and expire after MAIL_LINK_DAYS. They hold no personal data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from infra.clock import as_utc
from infra.signed_links import LinkClaims, Purpose, make_link_token, make_reply_token
from mail.settings import ADDRESS, MailSettings

REPLY_PREFIX = "reply+"
MAX_SUBJECT_CHARS = 200
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters but tab and newline: never useful in a mail, sometimes harmful."""


class AddressError(ValueError):
    """Not one email address we can send to; the message says why, for the agent or customer."""


@dataclass(frozen=True)
class MailLinks:
    """The customer's ways back into one conversation, valid until `expires_at`."""

    resume: str
    requests: str
    reply_address: str
    expires_at: datetime


@dataclass(frozen=True)
class TranscriptLine:
    """One turn of the transcript: who spoke ("You", "Assistant", "Priya (support team)"), what
    they said and when (None: not shown)."""

    speaker: str
    text: str
    at: datetime | None = None


def checked_address(text: str) -> str:
    """`text` as one plain address (`name@example.com`, surrounding spaces gone); raises
    AddressError for anything else: a display name, several addresses, a line break."""
    address = text.strip()
    if not ADDRESS.match(address) or "." not in address.rpartition("@")[2]:
        raise AddressError(f"{text!r} is not an email address we can send to")
    return address


def links_for(
    settings: MailSettings, conversation_id: str, ticket_id: str, now: datetime
) -> MailLinks:
    """Fresh resume and requests links and a reply address for one ticket's conversation."""
    expires = as_utc(now) + timedelta(days=settings.link_days)

    def token(purpose: Purpose) -> str:
        claims = LinkClaims(purpose, conversation_id, ticket_id, int(expires.timestamp()))
        return make_link_token(settings.link_secret, claims)

    reply = make_reply_token(settings.link_secret, ticket_id, int(expires.timestamp()))
    return MailLinks(
        resume=f"{settings.widget_url}#resume={token('resume')}",
        requests=f"{settings.gateway_url}/requests#token={token('requests')}",
        reply_address=f"{REPLY_PREFIX}{reply}@{settings.reply_domain}",
        expires_at=expires,
    )


def agent_reply_mail(
    settings: MailSettings,
    *,
    to: str,
    reference: str,
    agent_name: str,
    reply_text: str,
    links: MailLinks,
) -> EmailMessage:
    """The mail that carries an agent's reply to request `reference` (the ticket's reference
    the customer was given)."""
    body = "\n".join(
        [
            "Hello,",
            "",
            f"{_one_line(agent_name) or 'Our support team'} replied to your request {reference}:",
            "",
            _clean(reply_text).strip(),
            "",
            *_ways_back(links),
        ]
    )
    subject = f"Re: your request {reference}"
    return plain_mail(settings.mail_from, to, subject, body, links.reply_address)


def transcript_mail(
    settings: MailSettings,
    *,
    to: str,
    reference: str,
    lines: Sequence[TranscriptLine],
    links: MailLinks,
) -> EmailMessage:
    """The transcript of the conversation behind request `reference`, as the customer asked."""
    turns: list[str] = []
    for line in lines:
        when = f" ({format_datetime(as_utc(line.at))})" if line.at is not None else ""
        turns += [f"{_one_line(line.speaker)}{when}:", _clean(line.text).strip(), ""]
    body = "\n".join(
        [
            "Hello,",
            "",
            f"Here is the transcript of your chat about request {reference}, as you asked.",
            "",
            *turns,
            *_ways_back(links),
        ]
    )
    subject = f"Transcript of your chat (request {reference})"
    return plain_mail(settings.mail_from, to, subject, body, links.reply_address)


def plain_mail(
    mail_from: str,
    to: str,
    subject: str,
    body: str,
    reply_to: str,
    *,
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """A text/plain UTF-8 mail; raises AddressError when `to` is not one plain address."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = checked_address(to)
    message["Reply-To"] = reply_to
    message["Subject"] = _one_line(subject)[:MAX_SUBJECT_CHARS]
    if message_id is not None:
        message["Message-ID"] = message_id
    if date is not None:
        message["Date"] = format_datetime(as_utc(date))
    message.set_content(_clean(body), subtype="plain", charset="utf-8")
    return message


def message_id_for(ticket_id: str, mail_id: str, mail_from: str) -> str:
    """The same Message-ID for every attempt at one mail, so a mail sent twice (a worker killed
    between the server's 250 and our note of it) reads as one copy to mail clients that
    deduplicate."""
    digest = hashlib.sha256(f"{ticket_id}\n{mail_id}".encode()).hexdigest()[:32]
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def _ways_back(links: MailLinks) -> list[str]:
    until = links.expires_at.strftime("%d %B %Y")
    return [
        "Continue the chat where you left it:",
        links.resume,
        "",
        "See all your requests:",
        links.requests,
        "",
        "Or just reply to this email.",
        f"(The links work until {until}.)",
    ]


def _one_line(text: str) -> str:
    return " ".join(CONTROL.sub(" ", text).split())


def _clean(text: str) -> str:
    return CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
