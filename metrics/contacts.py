"""Who came back: first-contact resolution (FCR) and repeat contacts, across sessions.

- A customer is the record's `customer_key` (a keyed hash of the verified id). Anonymous
  sessions have none: their only link is the conversation itself, so for them a "new contact"
  is a later session of the same conversation (handed back, then asking again). A customer who
  returns anonymously in a new conversation cannot be recognised; FCR of anonymous sessions is
  therefore an upper bound (the metrics say how many sessions were anonymous).
- A session's topics: its first intent and the team it was handed to (either may be missing).
- FCR: a session with a topic is resolved at first contact when the same customer starts no
  other session on a shared topic within `REPEAT_DAYS` (7) days after it ended. Sessions with
  no topic (a greeting, nothing asked) are not counted. Sessions of the last 7 days are
  provisional: a later contact can still undo them.
- Repeat contact: a session that the same customer starts within 7 days after the end of one of
  their earlier sessions, whatever the topic.

Computed over every record there is (not only the window's), so a follow-up after the window's
end and a first contact before its start both count. Pure and standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metrics.sessions import Session
from outcomes.record import OutcomeRecord

REPEAT_DAYS = 7
REPEAT_SECONDS = REPEAT_DAYS * 86400.0


@dataclass(frozen=True)
class Contacts:
    followed_up: frozenset[str]
    """Keys of sessions the same customer came back after, on a shared topic, within 7 days."""
    repeats: frozenset[str]
    """Keys of sessions that came within 7 days after another of the same customer's."""


def identity(record: OutcomeRecord) -> str:
    return record.customer_key or f"conversation:{record.conversation_id}"


def topics(record: OutcomeRecord) -> frozenset[str]:
    found = set()
    if record.first_intent:
        found.add(f"intent:{record.first_intent}")
    if record.escalation is not None:
        found.add(f"team:{record.escalation.team}")
    return frozenset(found)


def find_contacts(sessions: Sequence[Session]) -> Contacts:
    customers: dict[str, list[Session]] = {}
    for session in sessions:
        customers.setdefault(identity(session.record), []).append(session)
    followed_up: set[str] = set()
    repeats: set[str] = set()
    for own in customers.values():
        if len(own) > 1:
            _link(own, followed_up, repeats)
    return Contacts(frozenset(followed_up), frozenset(repeats))


def _link(own: list[Session], followed_up: set[str], repeats: set[str]) -> None:
    """One customer's sessions: mark the ones followed up on a shared topic, and the repeats."""
    own.sort(key=lambda session: (session.start, session.key))
    for index, session in enumerate(own):
        shared = topics(session.record)
        for later in own[index + 1 :]:
            if later.start > session.end + REPEAT_SECONDS:
                break
            repeats.add(later.key)
            if shared & topics(later.record):
                followed_up.add(session.key)
