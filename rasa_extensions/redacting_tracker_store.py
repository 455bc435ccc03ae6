"""Rasa's Redis tracker store, masking card numbers and other secrets before they are stored.

bot/endpoints.yml selects it with `type: rasa_extensions.redacting_tracker_store.
RedactingRedisTrackerStore` and the same settings as Rasa's `type: redis`; Rasa 3.6 builds a
custom store by importing that path and calling it with `host=<url>`, `domain`, `event_broker`
and the other keys (`_load_from_module_name_in_endpoint_config`).

Every event is masked with `handoff.redact.redact_value`: the customer's text, `parse_data`
(its text, entities, metadata), entity values, slot values, bot text, policy events. The running
turn keeps its raw in-memory tracker, so the conversation behaves as before; what reaches Redis,
and every later turn that reads it back, holds only the masked form.

Both directions are masked:
- `save` masks the whole tracker before Rasa's own save. Rasa merges the tracker with the one
  already stored and compares their events; masking first means masked is compared with masked
  (a raw event would not equal its stored, masked self and would be stored twice).
- `deserialise_tracker` masks what it reads, so a conversation stored before this store was
  configured is masked the next time it is read and saved.

Careful: Rasa falls back to an in-memory tracker store, with only a warning, when this module
cannot be imported or raises AttributeError while being built; the end-to-end privacy test
checks that the masked tracker really is in Redis.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore, SerializedTrackerAsText
from rasa.shared.core.trackers import DialogueStateTracker

from handoff.redact import SECRET_LABELS, redact_text, redact_value

# redact_text changes only text holding a digit (cards, IBANs, security codes, PINs) or a
# password label; every other string is kept without running its patterns. A stored tracker
# has thousands of strings (keys, intent names, metadata): this about halves the masking time.
MAY_HOLD_A_SECRET = re.compile(r"\d|" + "|".join(sorted(SECRET_LABELS)), re.IGNORECASE)


class RedactingRedisTrackerStore(RedisTrackerStore):
    """A RedisTrackerStore whose stored trackers never hold card numbers, CVVs, passwords
    or IBANs in clear."""

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        await super().save(self.redacted(tracker), timeout)

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
        return super().deserialise_tracker(sender_id, _redacted_json(serialised_tracker))


def _redacted_json(serialised_tracker: str | bytes) -> str | bytes:
    try:
        dialogue: Any = json.loads(serialised_tracker)
    except (UnicodeDecodeError, ValueError):
        return serialised_tracker  # Rasa's deserialise_tracker reports what is wrong with it
    if isinstance(dialogue, dict) and isinstance(dialogue.get("events"), list):
        # The conversation id ("name") stays as it is: it is the key, not customer text.
        dialogue["events"] = masked(dialogue["events"])
    return json.dumps(dialogue)


def masked(value: Any) -> Any:
    """`redact_value(value)`, skipping the strings that cannot hold a secret."""
    if isinstance(value, str):
        return redact_text(value) if MAY_HOLD_A_SECRET.search(value) else value
    if isinstance(value, dict):
        return {masked(key): masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return redact_value(value)  # numbers (a card number typed as one), booleans, None
