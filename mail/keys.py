"""The email follow-up's Redis keys, all under `mail:`:

mail:outbox                   stream  mails still to send (an entry goes once the mail is
                                      sent or failed); read by the consumer group `senders`
mail:states:{ticket_id}       hash    mail id -> its delivery state (JSON), what the agent
                                      sees; also what makes a mail id enqueue only once
mail:tickets:{conversation}   set     the tickets of a conversation that have mails, so an
                                      erasure by conversation finds their states
"""

from __future__ import annotations

PREFIX = "mail:"
OUTBOX = PREFIX + "outbox"
GROUP = "senders"


def states(ticket_id: str) -> str:
    return f"{PREFIX}states:{ticket_id}"


def tickets(conversation_id: str) -> str:
    return f"{PREFIX}tickets:{conversation_id}"
