"""The mails a customer gets (compose) and the settings they come from: plain text only, the
right headers, and links that open what they say, for as long as they say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.env import EnvReader, SettingsError
from infra.signed_links import LinkError, read_link_token, read_reply_token
from mail.compose import (
    AddressError,
    TranscriptLine,
    agent_reply_mail,
    checked_address,
    links_for,
    message_id_for,
    transcript_mail,
)
from mail.inbound import reply_token
from mail.settings import MailSettings, mail_settings

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
SECRET = "s" * 32
SETTINGS = MailSettings(
    smtp_host="127.0.0.1",
    mail_from="Acme Support <support@acme.test>",
    reply_domain="reply.acme.test",
    widget_url="https://acme.test/help",
    gateway_url="https://chat.acme.test",
    link_secret=SECRET.encode(),
)


def test_an_agent_reply_is_plain_text_with_the_reply_address_and_both_links() -> None:
    links = links_for(SETTINGS, "conv-1", "tk-1", NOW)
    words = "Your refund is on its way.\n<b>Not bold</b> <a href='https://evil.test'>click</a>"
    message = agent_reply_mail(
        SETTINGS,
        to="jo@example.com",
        reference="R-1042",
        agent_name="Priya",
        reply_text=words,
        links=links,
    )

    assert message["From"] == "Acme Support <support@acme.test>"
    assert message["To"] == "jo@example.com"
    assert message["Subject"] == "Re: your request R-1042"
    assert message["Reply-To"] == links.reply_address
    assert not message.is_multipart() and message.get_content_type() == "text/plain"
    body = message.get_content()
    assert "Priya replied to your request R-1042:" in body
    assert words in body  # as written: the markup is text, not HTML
    assert links.resume in body and links.requests in body
    assert "Or just reply to this email." in body
    assert "The links work until 21 March 2026" in body


def test_each_link_opens_only_its_own_purpose_until_it_expires() -> None:
    links = links_for(SETTINGS, "conv-1", "tk-1", NOW)
    resume = links.resume.removeprefix("https://acme.test/help#resume=")
    requests = links.requests.removeprefix("https://chat.acme.test/requests#token=")
    reply = reply_token(links.reply_address, "reply.acme.test")
    assert reply is not None
    later = (NOW + timedelta(days=6)).timestamp()
    for token, purpose in ((resume, "resume"), (requests, "requests")):
        claims = read_link_token(SECRET.encode(), token, purpose, later)  # type: ignore[arg-type]
        assert (claims.conversation_id, claims.ticket_id) == ("conv-1", "tk-1")
    assert read_reply_token(SECRET.encode(), reply.upper(), later).ticket_id == "tk-1"  # any case
    with pytest.raises(LinkError) as wrong:
        read_link_token(SECRET.encode(), resume, "requests", later)
    assert wrong.value.reason == "wrong_purpose"
    with pytest.raises(LinkError) as expired:
        read_reply_token(SECRET.encode(), reply, (NOW + timedelta(days=7)).timestamp())
    assert expired.value.reason == "expired"
    with pytest.raises(LinkError) as forged:
        read_reply_token(b"another secret" * 3, reply, later)
    assert forged.value.reason == "forged"
    ours = links_for(SETTINGS, "conv-" + "a" * 20, "tk-" + "b" * 12, NOW).reply_address
    assert len(ours.partition("@")[0]) <= 64  # RFC 5321's limit on a local part


def test_a_transcript_lists_every_turn_in_order_with_its_time() -> None:
    lines = [
        TranscriptLine("You", "My parcel never came", NOW),
        TranscriptLine("Assistant", "Sorry to hear that."),
        TranscriptLine(
            "Priya (support team)", "I have sent a new one.", NOW + timedelta(minutes=3)
        ),
    ]
    message = transcript_mail(
        SETTINGS,
        to="jo@example.com",
        reference="R-7",
        lines=lines,
        links=links_for(SETTINGS, "c", "t", NOW),
    )
    body = message.get_content()
    assert message["Subject"] == "Transcript of your chat (request R-7)"
    assert (
        body.index("You (Sat, 14 Mar 2026 09:30:00 +0000):\nMy parcel never came")
        < body.index("Assistant:\nSorry to hear that.")
        < body.index("Priya (support team) (Sat, 14 Mar 2026 09:33:00 +0000):")
    )


def test_no_header_can_be_smuggled_in_and_only_one_plain_address_is_taken() -> None:
    message = agent_reply_mail(
        SETTINGS,
        to=" jo@example.com ",
        reference="R-1\r\nBcc: x@evil.test",
        agent_name="Priya\nBcc: y@evil.test",
        reply_text="hi",
        links=links_for(SETTINGS, "c", "t", NOW),
    )
    assert message["Subject"] == "Re: your request R-1 Bcc: x@evil.test"
    assert "Bcc" not in message and message["To"] == "jo@example.com"
    for bad in (
        "jo@example.com, al@example.com",
        "Jo <jo@example.com>",
        "jo@\nexample.com",
        "jo",
        "jo@localhost",
        "",
    ):
        with pytest.raises(AddressError):
            checked_address(bad)


def test_every_attempt_at_one_mail_has_the_same_message_id() -> None:
    first = message_id_for("tk-1", "m-1", SETTINGS.mail_from)
    assert first == message_id_for("tk-1", "m-1", SETTINGS.mail_from)
    assert first.endswith("@acme.test>") and first != message_id_for("tk-1", "m-2", "a@acme.test")


def test_settings_need_nothing_without_smtp_host_and_list_every_problem_with_it() -> None:
    read = EnvReader({})
    assert not mail_settings(read).sending and read.problems == []

    read = EnvReader(
        {
            "SMTP_HOST": "smtp.acme.test",
            "SMTP_USERNAME": "me",
            "LINK_SIGNING_SECRET": "short",
            "SMTP_TLS": "maybe",
        }
    )
    mail_settings(read)
    with pytest.raises(SettingsError) as error:
        read.raise_problems()
    for name in (
        "MAIL_FROM",
        "WIDGET_URL",
        "GATEWAY_URL",
        "SMTP_PASSWORD",
        "MAIL_REPLY_DOMAIN",
        "LINK_SIGNING_SECRET",
        "SMTP_TLS",
    ):
        assert name in str(error.value)


def test_settings_from_a_complete_environment() -> None:
    read = EnvReader(
        {
            "SMTP_HOST": "smtp.acme.test",
            "SMTP_PORT": "2525",
            "SMTP_TLS": "off",
            "SMTP_USERNAME": "me",
            "SMTP_PASSWORD": "pw",
            "MAIL_FROM": "Acme <support@acme.test>",
            "MAIL_REPLY_DOMAIN": "Reply.Acme.test",
            "WIDGET_URL": "https://acme.test/help/",
            "GATEWAY_URL": "https://chat.acme.test",
            "LINK_SIGNING_SECRET": SECRET,
            "MAIL_INBOUND_PORT": "2526",
            "MAIL_RETRY_SECONDS": "2",
            "MAIL_MAX_RETRY_SECONDS": "5",
        }
    )
    settings = mail_settings(read)
    read.raise_problems()
    assert (settings.smtp_port, settings.smtp_tls, settings.inbound_port) == (2525, "off", 2526)
    assert (
        settings.reply_domain == "reply.acme.test"
        and settings.widget_url == "https://acme.test/help"
    )
    assert [settings.retry_after(n) for n in (1, 2, 3, 4)] == [2, 4, 5, 5]
    assert "pw" not in repr(settings) and SECRET not in repr(settings)


def test_tls_from_the_first_byte_defaults_to_port_465_and_the_old_name_is_refused(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("a CA bundle\n", encoding="utf-8")
    complete = {
        "SMTP_HOST": "smtp.acme.test",
        "MAIL_FROM": "Acme <support@acme.test>",
        "MAIL_REPLY_DOMAIN": "reply.acme.test",
        "WIDGET_URL": "https://acme.test/help",
        "GATEWAY_URL": "https://chat.acme.test",
        "LINK_SIGNING_SECRET": SECRET,
    }
    read = EnvReader({**complete, "SMTP_TLS": "Implicit", "SMTP_CA_FILE": str(bundle)})
    settings = mail_settings(read)
    read.raise_problems()
    assert (settings.smtp_tls, settings.smtp_port, settings.smtp_ca_file) == (
        "implicit",
        465,
        str(bundle),
    )
    assert mail_settings(EnvReader(complete)).smtp_tls == "starttls"  # the default

    read = EnvReader({**complete, "SMTP_STARTTLS": "false", "SMTP_CA_FILE": "/nowhere.pem"})
    mail_settings(read)
    with pytest.raises(SettingsError) as error:
        read.raise_problems()
    assert "SMTP_STARTTLS is replaced by SMTP_TLS=starttls|implicit|off" in str(error.value)
    assert "SMTP_CA_FILE='/nowhere.pem' is not a file" in str(error.value)
