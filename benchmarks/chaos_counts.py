"""The chaos drill's figures from what the customers saw and what Redis kept (pure, no I/O).

A message is *acknowledged* when the gateway answered its `user_uttered` with the socket.io ack
`{"kept": true}`: Rasa answered it (so it is in the tracker Rasa saved) or it was appended to
the open ticket's transcript. Against what Redis holds after the drill:

- `lost`: acknowledged messages found neither in the conversation's tracker nor in its ticket;
- `duplicated`: messages stored twice in the tracker or twice in the ticket's own turns, plus
  every ticket beyond the first for one conversation (each drill customer asks for a person at
  most once);
- `errors_shown`: customers who got a clear notice (the gateway's `trouble`/`not_delivered`
  notices, a `gateway_error`) or whose socket dropped (our widget then shows "reconnecting");
- `silent`: messages that got no reply, no ack and no notice within the wait, on a socket that
  did not drop;
- `tickets_missing`: customers told they were handed to the team (`handoff_status` with people)
  whose ticket is not in Redis.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass
class SentMessage:
    """One customer message and what the customer saw while waiting for it."""

    tag: str  # a word of letters only, unique in the drill, inside the message text
    acknowledged: bool = False  # the ack said {"kept": true}
    replied: bool = False  # a bot_uttered from the assistant (not a notice)
    notice: bool = False  # a trouble / not_delivered notice or a gateway_error
    dropped: bool = False  # the socket dropped while the customer waited
    sent_at: float = 0.0  # time.monotonic() when sent

    @property
    def silent(self) -> bool:
        return not (self.acknowledged or self.replied or self.notice or self.dropped)


@dataclass
class CustomerRecord:
    """One drill customer: their messages and what they were told."""

    messages: list[SentMessage] = field(default_factory=list)
    told_ticket: bool = False  # got handoff_status with a state with people
    saw_trouble: bool = False  # a notice, a gateway_error or a dropped socket at any time


@dataclass(frozen=True)
class StoredConversation:
    """What Redis holds of one conversation after the drill."""

    tracker_texts: Sequence[str]  # the text of every user event of the Rasa tracker
    ticket_texts: Sequence[str]  # the customer's turns appended to its tickets
    ticket_ids: Sequence[str]  # every handoff ticket of the conversation
    conversation_id: str = ""


def occurrences(tag: str, texts: Iterable[str]) -> int:
    return sum(1 for text in texts if tag in text)


def drill_figures(
    customers: Sequence[CustomerRecord], stored: Sequence[StoredConversation | None]
) -> dict[str, int]:
    """The figures of one drill; `stored[i]` is what Redis holds of `customers[i]` (None: the
    customer never got a session, so nothing of theirs can be stored)."""
    figures = dict.fromkeys(
        (
            "customers",
            "sent",
            "acknowledged",
            "lost",
            "duplicated",
            "errors_shown",
            "silent",
            "tickets_told",
            "tickets_missing",
        ),
        0,
    )
    for customer, kept in zip(customers, stored, strict=True):
        figures["customers"] += 1
        figures["errors_shown"] += customer.saw_trouble
        tracker = kept.tracker_texts if kept else ()
        ticket = kept.ticket_texts if kept else ()
        for message in customer.messages:
            figures["sent"] += 1
            figures["acknowledged"] += message.acknowledged
            figures["silent"] += message.silent
            in_tracker = occurrences(message.tag, tracker)
            in_ticket = occurrences(message.tag, ticket)
            if message.acknowledged and in_tracker + in_ticket == 0:
                figures["lost"] += 1
            figures["duplicated"] += (in_tracker > 1) + (in_ticket > 1)
        tickets = len(set(kept.ticket_ids)) if kept else 0
        figures["duplicated"] += max(0, tickets - 1)
        if customer.told_ticket:
            figures["tickets_told"] += 1
            figures["tickets_missing"] += tickets == 0
    return figures


TAG_LETTERS = 5


def lost_messages(
    customers: Sequence[CustomerRecord], stored: Sequence[StoredConversation | None]
) -> list[tuple[str, str]]:
    """(conversation id, tag) of every lost message, for finding out why."""
    lost = []
    for customer, kept in zip(customers, stored, strict=True):
        texts = [*kept.tracker_texts, *kept.ticket_texts] if kept else []
        for message in customer.messages:
            if message.acknowledged and occurrences(message.tag, texts) == 0:
                lost.append((kept.conversation_id if kept else "", message.tag))
    return lost


def tag_for(number: int) -> str:
    """A tag of lowercase letters only, 'zq' and `number` in base 26 with a fixed width (so no
    tag is part of another): the masking of card numbers and other secrets changes text with
    digits, and a word of letters passes it untouched."""
    if not 0 <= number < 26**TAG_LETTERS:
        raise ValueError(f"tags number 0 to {26**TAG_LETTERS - 1}, not {number}")
    letters = ""
    for _ in range(TAG_LETTERS):
        number, digit = divmod(number, 26)
        letters = chr(ord("a") + digit) + letters
    return "zq" + letters
