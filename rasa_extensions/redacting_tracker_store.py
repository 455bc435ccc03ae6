"""Rasa's Redis tracker store, masking card numbers and other secrets before they are stored.

bot/endpoints.yml selects it with `type: rasa_extensions.redacting_tracker_store.
RedactingRedisTrackerStore` and the same settings as Rasa's `type: redis`; Rasa 3.6 builds a
custom store by importing that path and calling it with `host=<url>`, `domain`, `event_broker`
and the other keys (`_load_from_module_name_in_endpoint_config`).

Every event is masked as `handoff.redact.redact_value` masks it: the customer's text,
`parse_data` (its text, entities, metadata), entity values, slot values, bot text, policy
events; an entity Rasa extracted from inside a masked secret (a password read as an order
number), and every slot or text holding its value, is masked as the secret is
(handoff/privacy/typed_secrets.py). The running turn keeps its raw in-memory tracker, so the
conversation behaves as before; what reaches Redis, and every later turn that reads it back,
holds only the masked form.

This runs in Rasa's event loop on every read and save of the whole tracker, so its cost must
not grow with the conversation: `MaskingMemo` remembers the masked form of recent strings (by
digest, never the raw text), and a turn masks only its new strings (`make bench-masking`); a
save masks only the turn's new events and a read of what this store wrote masks nothing
(`python -m benchmarks.turn_growth`).

With several Rasa workers (`RASA_WORKERS`) a conversation's turns land on any of them, so
"what this store wrote" is shared through Redis too: each save stores, beside the tracker and
in the same transaction, a small marker (`masked_<key prefix><conversation id>`: a digest of
the stored text and its number of events). A worker that did not write the tracker it reads
checks the marker (one GET, only then) and trusts the text as masked when the digest matches.
The marker's name does not start with the key prefix, so Rasa's `keys()` never lists it.

Both directions are masked:
- `save` masks the tracker's JSON. When what is stored is the start of it (one session, saved
  turn after turn: the usual case) the masked JSON is stored as it is - what Rasa's own merge
  would store, without rebuilding two trackers from JSON each turn; the events read from the
  store at the start of the turn are stored as they were, only the turn's new ones masked.
  Otherwise (an earlier session stored before the one in memory, a conversation stored in
  clear, an event broker to feed) it masks the whole tracker and runs Rasa's own save, which
  merges it with the stored one by comparing events; masking first means masked is compared
  with masked (a raw event would not equal its stored, masked self and would be stored twice).
- `deserialise_tracker` masks what it reads, so a conversation stored before this store was
  configured is masked the next time it is read and saved.

Every save also marks the conversation active for the outcome records (docs/escalation-
management.md): one `ZADD outcomes:active {conversation_id: now}` on Rasa's own Redis client,
after the tracker is stored; the service's outcome watchdog records a session once it has been
idle long enough. The key's name comes from outcomes/keys.py, which both environments import;
`OUTCOME_RECORDING=0` in Rasa's environment turns the mark off (`make bench-outcomes` measures
a turn with and without it).

Every save renews the tracker's expiry: `retention_days` in bot/endpoints.yml (set from
TRACKER_RETENTION_DAYS by the stack; 0 keeps trackers for good) becomes Rasa's `record_exp`, so
a conversation nobody wrote in for that long is gone from Redis, its masking marker with it.
A save whose latest message carries the verified customer claim also adds the conversation to
the customer's index (handoff/privacy/customer_index.py), which erasure and export read.

Careful: Rasa falls back to an in-memory tracker store, with only a warning, when this module
cannot be imported or raises AttributeError while being built; the end-to-end privacy test
checks that the masked tracker really is in Redis.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore, SerializedTrackerAsText
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.trackers import DialogueStateTracker

from handoff.bounded_memo import BoundedMemo
from handoff.privacy import customer_index
from handoff.privacy.redact import SECRET_LABELS, redact_text, redact_value
from handoff.privacy.text_digest import text_digest
from handoff.privacy.typed_secrets import typed_secrets, without_secrets
from outcomes import keys as outcome_keys

log = logging.getLogger(__name__)

# redact_text changes only text holding a digit (cards, IBANs, security codes, PINs) or a
# password label; every other string is kept without running its patterns. A stored tracker
# has thousands of strings (keys, intent names, metadata): this about halves the masking time.
MAY_HOLD_A_SECRET = re.compile(r"\d|" + "|".join(sorted(SECRET_LABELS)), re.IGNORECASE)
# About 100 conversations of 30 turns with a few strings each worth masking; at most ~10 MB
# even if every entry were a 1,000-character message.
MEMO_SIZE = 10_000
DAY_SECONDS = 86_400
MAX_RETENTION_DAYS = 3650


class RedactingRedisTrackerStore(RedisTrackerStore):
    """A RedisTrackerStore whose stored trackers never hold card numbers, CVVs, passwords
    or IBANs in clear."""

    def __init__(self, *args: Any, retention_days: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        expiry = record_expiry(retention_days)
        if expiry is not None:
            self.record_exp = expiry
        self.masking = MaskingMemo(MEMO_SIZE)
        self.written = WrittenTrackers(MEMO_SIZE)
        self.marks_activity = outcome_keys.recording_enabled(os.environ)

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        if not self.saved_as_an_extension(tracker, timeout):
            await super().save(self.redacted(tracker), timeout)
        if self.marks_activity:
            self.mark_active(tracker.sender_id)
        self.index_customer(tracker)

    def saved_as_an_extension(self, tracker: DialogueStateTracker, timeout: float | None) -> bool:
        """Store the masked tracker if what is stored is the start of it (Rasa's merge would
        keep the tracker as it is then); False, storing nothing, in every other case."""
        if self.event_broker is not None:
            return False  # Rasa's save streams the new events first
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        if isinstance(stored, bytes):
            try:
                stored = stored.decode("utf-8")
            except UnicodeDecodeError:
                return False  # Rasa's save reports what is wrong with it
        dialogue = tracker.as_dialogue().as_dict()
        text = self._appended(dialogue, stored) or self._merged(dialogue, stored)
        if text is None:
            return False
        expiry = timeout or self.record_exp
        digest, events = text_digest(text), len(dialogue["events"])
        with self.red.pipeline(transaction=True) as both:
            both.set(key, text, ex=expiry)
            both.set(self.marker_key(tracker.sender_id), _marker(digest, events), ex=expiry)
            both.execute()
        self.written.remember_digest(tracker.sender_id, digest, events)
        return True

    def marker_key(self, conversation_id: str) -> str:
        """Where the digest and event count of the masked tracker this store wrote are kept,
        for the other Rasa workers; not under the key prefix, so `keys()` does not list it."""
        return "masked_" + self.key_prefix + conversation_id

    def written_by_a_worker(self, conversation_id: str, text: str | bytes) -> bool:
        """Whether `text` is what this store, or another worker's, wrote last (masked then);
        a worker's marker is remembered here, so the turn's save need not read it again."""
        if self.written.wrote(conversation_id, text):
            return True
        try:
            marker = self.red.get(self.marker_key(conversation_id))
        except Exception:  # redis-py's errors: mask it, as if there were no marker
            log.exception("could not read the masking marker of %s", conversation_id)
            return False
        known = _read_marker(marker)
        if known is None or known[0] != text_digest(text):
            return False
        self.written.remember_digest(conversation_id, *known)
        return True

    def _appended(self, dialogue: dict[str, Any], stored: str | None) -> str | None:
        """The text to store when this store wrote `stored` (so it knows how many events it
        holds) and the turn's tracker starts with them (it was read from the store): those
        are kept as they are, only the turn's new events masked. None otherwise."""
        events = dialogue["events"]
        known = 0 if stored is None else self.written.events_in(dialogue["name"], stored)
        if known is None or known > len(events):
            return None
        start = "" if stored is None else _without_end(stored, dialogue["name"])
        if start is None:
            return None
        new = self.masking.events(_as_json(events[known:]))
        text = json.dumps({**dialogue, "events": [*events[:known], *new]})
        return text if text.startswith(start) else None

    def _merged(self, dialogue: dict[str, Any], stored: str | None) -> str | None:
        """The text to store when the stored events, read and compared, are the start of the
        masked tracker's (a tracker this store did not write: after a restart, by another
        replica); None when they are not, or cannot be read."""
        events = self.masking.events(_as_json(dialogue["events"]))
        if stored is not None:
            try:
                prior = json.loads(stored).get("events")
            except (ValueError, AttributeError):
                return None
            if not isinstance(prior, list) or events[: len(prior)] != prior:
                return None
        return json.dumps({**dialogue, "events": events})

    def mark_active(self, conversation_id: str) -> None:
        """The conversation spoke now: its outcome is recorded once it is idle long enough."""
        try:
            self.red.zadd(outcome_keys.ACTIVE, {conversation_id: time.time()})
        except Exception:  # redis-py's errors (the bot env's import rules keep redis out of here)
            # The tracker itself is stored; only this session's outcome record may be missed.
            log.exception("could not mark conversation %s active", conversation_id)

    def index_customer(self, tracker: DialogueStateTracker) -> None:
        """Add the conversation to its verified customer's index (when the latest message
        carries the claim), renewing the index's expiry."""
        message = tracker.latest_message
        customer_id = customer_index.verified_customer_id(message.metadata if message else None)
        if customer_id is None:
            return
        key = customer_index.customer_conversations(customer_id)
        keep = customer_index.INDEX_RETENTION_DAYS * DAY_SECONDS
        try:
            with self.red.pipeline(transaction=False) as both:
                both.sadd(key, tracker.sender_id)
                both.expire(key, max(keep, int(self.record_exp or 0)))
                both.execute()
        except Exception:  # redis-py's errors (the bot env's import rules keep redis out of here)
            # The tracker is stored; only erasure by customer id would miss this conversation.
            log.exception("could not index conversation %s by customer", tracker.sender_id)

    def redacted(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """A masked copy of the tracker, rebuilt exactly as a tracker read from Redis is."""
        copy = self.deserialise_tracker(
            tracker.sender_id, SerializedTrackerAsText.serialise_tracker(tracker)
        )
        assert copy is not None  # deserialise_tracker raises rather than returning None
        return copy

    def deserialise_tracker(
        self, sender_id: str, serialised_tracker: str | bytes
    ) -> DialogueStateTracker | None:
        """Rasa's own deserialisation, masking the events on the way (read once: the masked
        dialogue goes straight to Rasa's `Dialogue`, not back through JSON) - unless this
        store wrote that very text (masked then), as on every turn of a conversation."""
        try:
            dialogue: Any = json.loads(serialised_tracker)
        except (UnicodeDecodeError, ValueError):
            dialogue = None
        if not isinstance(dialogue, dict) or not isinstance(dialogue.get("events"), list):
            # Rasa's deserialise_tracker reports what is wrong with it
            return super().deserialise_tracker(sender_id, serialised_tracker)
        # The conversation id ("name") stays as it is: it is the key, not customer text.
        if not self.written_by_a_worker(sender_id, serialised_tracker):
            dialogue["events"] = self.masking.events(dialogue["events"])
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue.from_parameters(dialogue))
        return tracker


class MaskingMemo:
    """`redact_value`, remembering the masked form of the strings it masked last.

    Rasa reads and saves the whole tracker on every turn, so a conversation's texts come back
    every time: each is masked once, later turns pay a look-up. Keyed by a digest of the text,
    so the memo holds no raw card number or password, only masked text; bounded, the least
    recently used out first. Masking is pure, so a hit gives what masking again would."""

    def __init__(self, size: int) -> None:
        self._masked: BoundedMemo[str] = BoundedMemo(size)

    def text(self, text: str) -> str:
        if not MAY_HOLD_A_SECRET.search(text):
            return text
        key = text_digest(text)
        known = self._masked.get(key)
        if known is not None:
            return known
        masked = redact_text(text)
        self._masked.put(key, masked)
        if masked != text:
            self._masked.put(text_digest(masked), masked)  # as read back from Redis
        return masked

    def value(self, value: Any) -> Any:
        """A copy of JSON-like data with every string masked (as `redact_value` does)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return redact_value(value)  # numbers (a card number typed as one), booleans, None

    def events(self, events: list[Any]) -> list[Any]:
        """Rasa events masked as `value` masks them, and the entity and slot values Rasa
        took from inside a masked secret masked too (handoff/privacy/typed_secrets.py)."""
        masked: list[Any] = self.value(events)
        return without_secrets(masked, typed_secrets(events, self.text))

    def __len__(self) -> int:
        return len(self._masked)


class WrittenTrackers:
    """What this store (or, by its marker, another worker's) wrote last for each recent
    conversation: a digest of the tracker text and its number of events, so reading it back
    need not mask it again and the next save need not read it. Bounded, the least recently
    written out first; a text written with no marker (Rasa's own store, before a restart of
    an older version) is masked as it is read."""

    def __init__(self, size: int) -> None:
        self._written: BoundedMemo[tuple[bytes, int]] = BoundedMemo(size)

    def remember_digest(self, conversation_id: str, digest: bytes, events: int) -> None:
        self._written.put(conversation_id, (digest, events))

    def events_in(self, conversation_id: str, text: str | bytes) -> int | None:
        """How many events `text` holds, if it is what this store wrote last; else None."""
        known = self._written.get(conversation_id)
        if known is None:
            return None
        return known[1] if text_digest(text) == known[0] else None

    def wrote(self, conversation_id: str, text: str | bytes) -> bool:
        return self.events_in(conversation_id, text) is not None


def record_expiry(retention_days: Any) -> int | None:
    """Rasa's `record_exp` (seconds) for `retention_days` from endpoints.yml (a number or the
    text of one; None or 0: trackers are kept for good). Anything else stops Rasa at start-up
    with the reason, rather than keeping conversations longer than configured."""
    if retention_days is None or retention_days == "":
        return None
    try:
        days = int(str(retention_days).strip())
    except ValueError:
        days = -1
    if not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"tracker_store retention_days (TRACKER_RETENTION_DAYS) must be a whole number of "
            f"days from 0 to {MAX_RETENTION_DAYS}, not {retention_days!r}"
        )
    return days * DAY_SECONDS or None


def _as_json(value: Any) -> Any:
    """Events as they are read back from the stored JSON (lists for tuples, and so on)."""
    return json.loads(json.dumps(value))


def _without_end(stored: str, name: str) -> str | None:
    """The stored tracker's text up to the end of its last event: Rasa's serialisation is
    `{"events": [...], "name": <conversation id>}`, so a tracker with more events after the
    same ones serialises to a text starting with this."""
    end = '], "name": ' + json.dumps(name) + "}"
    return stored[: -len(end)] if stored.endswith(end) else None


def _marker(digest: bytes, events: int) -> str:
    return f"{digest.hex()}:{events}"


def _read_marker(marker: Any) -> tuple[bytes, int] | None:
    """(digest, events) from a marker as Redis returns it; None when absent or malformed."""
    if isinstance(marker, bytes):
        marker = marker.decode("ascii", "replace")
    if not isinstance(marker, str):
        return None
    digest, _, events = marker.partition(":")
    try:
        return bytes.fromhex(digest), int(events)
    except ValueError:
        return None
