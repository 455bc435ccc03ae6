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
from operator import attrgetter
from typing import TYPE_CHECKING

from metrics.bulk import collector_paused
from outcomes.record import OutcomeRecord

if TYPE_CHECKING:
    from metrics.sessions import Session

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


def topics(record: OutcomeRecord) -> tuple[str | None, str | None]:
    """The first intent and the team handed to (None: none)."""
    return record.first_intent or None, record.escalation.team if record.escalation else None


def has_topic(record: OutcomeRecord) -> bool:
    return bool(record.first_intent) or record.escalation is not None


def same_topic(one: tuple[str | None, str | None], other: tuple[str | None, str | None]) -> bool:
    """Whether two sessions' topics share the intent or the team."""
    return (one[0] is not None and one[0] == other[0]) or (
        one[1] is not None and one[1] == other[1]
    )


def find_contacts(sessions: Sequence[Session]) -> Contacts:
    with collector_paused():  # many small objects, no cycles (metrics/bulk.py)
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
    own.sort(key=attrgetter("start", "key"))
    subjects = [topics(session.record) for session in own]
    for index, session in enumerate(own):
        until = session.end + REPEAT_SECONDS
        for later_index in range(index + 1, len(own)):
            later = own[later_index]
            if later.start > until:
                break
            repeats.add(later.key)
            if same_topic(subjects[index], subjects[later_index]):
                followed_up.add(session.key)
