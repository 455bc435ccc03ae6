"""Dead letters: the events a target did not take after the last attempt
(`helpdesk:dead:{target}`, one stream per target), listed and replayed.

`replay` moves each dead letter back onto `helpdesk:events` marked for its target only (the
`target` field), in one MULTI with its deletion from the dead letters, so a letter is never both
replayed and kept, nor lost. The event keeps its id, so its `Idempotency-Key` is the one its
first attempts carried. The delivery loop then tries it again from its first attempt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis.asyncio as redis

from helpdesk import keys
from helpdesk.delivery import REPLAY_FIELD
from infra.redis_client import await_reply, guard

LETTER_FIELDS = ("attempts", "error", "failed_at", "entry")
"""What the dead-letter entry adds to the event's own fields."""
PAGE = 500


@dataclass(frozen=True)
class DeadLetter:
    target: str
    letter_id: str
    event_id: str
    kind: str
    ticket_id: str
    attempts: int
    error: str
    failed_at: str

    def to_json(self) -> dict[str, object]:
        """What the command prints: ids, counts and the error; never the event's body."""
        return {
            "target": self.target,
            "letter_id": self.letter_id,
            "event_id": self.event_id,
            "kind": self.kind,
            "ticket_id": self.ticket_id,
            "attempts": self.attempts,
            "error": self.error,
            "failed_at": self.failed_at,
        }


async def list_dead_letters(client: redis.Redis, targets: Iterable[str]) -> list[DeadLetter]:
    found: list[DeadLetter] = []
    for target in targets:
        async with guard():
            entries = await await_reply(client.xrange(keys.dead_letters(target), count=PAGE))
        for letter_id, fields in entries:
            found.append(
                DeadLetter(
                    target=target,
                    letter_id=letter_id,
                    event_id=fields.get("event_id", ""),
                    kind=fields.get("kind", ""),
                    ticket_id=fields.get("ticket_id", ""),
                    attempts=int(fields.get("attempts") or 0),
                    error=fields.get("error", ""),
                    failed_at=fields.get("failed_at", ""),
                )
            )
    return found


async def replay(client: redis.Redis, target: str) -> int:
    """Move every dead letter of `target` back for delivery; returns how many."""
    moved = 0
    while True:
        async with guard():
            entries = await await_reply(client.xrange(keys.dead_letters(target), count=PAGE))
            if not entries:
                return moved
            pipe = client.pipeline(transaction=True)
            for letter_id, fields in entries:
                event = {k: v for k, v in fields.items() if k not in LETTER_FIELDS}
                pipe.xadd(keys.EVENTS, {**event, REPLAY_FIELD: target})
                pipe.xdel(keys.dead_letters(target), letter_id)
            await pipe.execute()
        moved += len(entries)
