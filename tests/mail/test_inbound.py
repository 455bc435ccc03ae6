"""Reading a customer's email reply: the token of the reply address, and only what they wrote
that is new (not the quoted mail, the attribution line or the signature)."""

from __future__ import annotations

from email.message import EmailMessage

from mail.inbound import CUT_NOTE, is_automatic, new_text, reply_text, reply_token


def test_the_token_comes_only_from_a_reply_address_at_our_domain() -> None:
    domain = "reply.acme.test"
    assert reply_token("reply+abc.DEF_1-x@reply.acme.test", domain) == "abc.DEF_1-x"
    assert reply_token("<Reply+abc.def@REPLY.acme.test>", domain) == "abc.def"
    for other in (
        "support@reply.acme.test",
        "reply+@reply.acme.test",
        "reply+abc.def@acme.test",
        "reply+abc.def@evil.test",
        "reply+abc.def",
        "",
    ):
        assert reply_token(other, domain) is None


def test_quoted_mail_attribution_and_signature_are_cut() -> None:
    text = (
        "Thanks, that worked!\r\n"
        "> quoted in the middle\r\n"
        "One more question: can I change the address?\r\n"
        "\r\n"
        "-- \r\n"
        "Jo Doe\r\n"
    )
    assert new_text(text) == "Thanks, that worked!\nOne more question: can I change the address?"

    gmail = (
        "Yes please.\n\nOn Sat, 14 Mar 2026 at 09:30, Acme Support <\nsupport@acme.test> wrote:\n"
        "> Hello,\n> Priya replied to your request R-1:\n"
    )
    assert new_text(gmail) == "Yes please."
    outlook = (
        "Fine by me\n\n________________________________\nFrom: Acme Support\n"
        "Sent: Saturday\nSubject: Re: your request\n"
    )
    assert new_text(outlook) == "Fine by me"
    outlook_plain = "ok\nFrom: Acme Support <support@acme.test>\nSent: Saturday\n\nHello"
    assert new_text(outlook_plain) == "ok"
    german = "Danke\n\nAm Sa., 14. März 2026 um 09:30 schrieb Acme <s@acme.test>:\n> Hallo"
    assert new_text(german) == "Danke"


def test_a_line_that_merely_starts_with_on_is_kept() -> None:
    text = "On Monday I will be away.\nFrom: my phone, sorry for typos\n\nThanks"
    assert new_text(text) == "On Monday I will be away.\nFrom: my phone, sorry for typos\n\nThanks"


def test_a_long_reply_is_cut_and_says_so() -> None:
    cut = new_text("word " * 2000, limit=100)
    assert cut.endswith(CUT_NOTE) and len(cut) <= 100 + len(CUT_NOTE)


def test_the_plain_part_of_a_multipart_reply_is_read_and_html_alone_is_not() -> None:
    message = EmailMessage()
    message.set_content("Plain words\n> quoted")
    message.add_alternative("<p>Plain words</p><script>x()</script>", subtype="html")
    assert reply_text(message) == "Plain words"

    html_only = EmailMessage()
    html_only.set_content("<p>Hi</p>", subtype="html")
    assert reply_text(html_only) == ""


def test_automatic_answers_are_recognised() -> None:
    person = EmailMessage()
    person.set_content("hi")
    assert not is_automatic(person)
    for header, value in (
        ("Auto-Submitted", "auto-replied"),
        ("Precedence", "bulk"),
        ("X-Autoreply", "yes"),
    ):
        message = EmailMessage()
        message[header] = value
        message.set_content("I am out of the office")
        assert is_automatic(message)
