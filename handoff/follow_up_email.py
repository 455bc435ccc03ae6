"""The follow-up email: the address a customer gives, with consent, for the team's reply by
email when nobody can join the chat (the team is closed or nobody is online).

The offline message (handoff/routing/intake.py) asks for it. While such a ticket waits and has
no follow-up email yet, the customer's next messages are read for an answer:
- an email address typed into the chat -> that address (source `typed`);
- "yes" to the address the assistant proposed (the signed customer claim's, or one typed
  earlier in the conversation) -> that address (source `claim` or `conversation`);
- something that tries to be an address and is not one -> `bad_address`, so the customer is
  asked to check it;
- "no" -> nothing is kept, and nothing is asked again.
Giving the address after being told what it is for is the consent; when it was given is kept
with it. The message itself is appended to the transcript either way, so nothing is lost.

Every agent reply to a ticket with a follow-up email is also emailed (service/desk/
follow_up_mail.py); erasure removes the ticket and with it the address.
Pure: the caller passes the time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from handoff.ticket_record import FollowUpEmail, TicketRecord
from infra.clock import iso_utc

Answer = Literal["recorded", "bad_address", "declined"]
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[a-z]{2,24}\b", re.I)
LOOKS_LIKE_ADDRESS = re.compile(r"\S@\S|\S@$|^@\S")
YES = re.compile(
    r"^\s*(?:/email_me|yes|yes please|yeah|yep|sure|ok|okay|please do|please|email me|"
    r"yes,? email me|that'?s fine|go ahead)\s*[.!]*\s*$",
    re.IGNORECASE,
)
NO = re.compile(r"^\s*(?:/no_email|no|no thanks|no thank you|nope|don'?t|do not)\s*[.!]*\s*$", re.I)
DECLINED = "declined"


@dataclass(frozen=True)
class FollowUpAnswer:
    record: TicketRecord
    answer: Answer | None
    """None: the message was not about the follow-up email."""


def proposed_address(record: TicketRecord) -> str | None:
    """The address the offline message proposes: the signed claim's, or one the customer
    gave earlier in the conversation (the ticket's customer email)."""
    return record.ticket.customer.email


def asks_for_email(record: TicketRecord) -> bool:
    """The ticket still waits for the customer's answer about a follow-up email."""
    return (
        record.email_offered
        and record.status == "waiting"
        and record.follow_up_email is None
        and not record.follow_up_declined
    )


def read_answer(record: TicketRecord, text: str, *, now: datetime) -> FollowUpAnswer:
    """The record with the customer's answer about the follow-up email taken in."""
    if not asks_for_email(record):
        return FollowUpAnswer(record, None)
    found = EMAIL.search(text)
    if found:
        email = FollowUpEmail(found.group().lower(), iso_utc(now), "typed")
        return FollowUpAnswer(replace(record, follow_up_email=email), "recorded")
    if LOOKS_LIKE_ADDRESS.search(text.strip()):
        return FollowUpAnswer(record, "bad_address")
    proposed = proposed_address(record)
    if proposed and YES.match(text):
        source = "claim" if record.ticket.customer.verified else "conversation"
        email = FollowUpEmail(proposed, iso_utc(now), source)
        return FollowUpAnswer(replace(record, follow_up_email=email), "recorded")
    if NO.match(text):
        return FollowUpAnswer(replace(record, follow_up_declined=True), "declined")
    return FollowUpAnswer(record, None)


def confirmation(answer: Answer, record: TicketRecord) -> str:
    """What the customer is told at once about their answer."""
    if answer == "recorded" and record.follow_up_email is not None:
        return (
            f"Thank you - we'll email our reply to {record.follow_up_email.address}, and you "
            "can come back to this chat any time. We use this address only for this request."
        )
    if answer == "bad_address":
        return (
            "That doesn't look like a complete email address (like name@example.com) - could "
            "you check it? Your message is with the team either way."
        )
    return "All right, we won't email you; the team will reply here in this chat."
