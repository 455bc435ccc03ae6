"""The audit log of the actions on orders: every attempt to cancel, return or refund and what
came of it, one entry each in the Redis stream `commerce:audit` (XADD, trimmed to about
AUDIT_LENGTH entries), read newest first with filters.

An entry says who (`actor`), when (`at`, ISO UTC from the injected clock), in which conversation
and turn, what (`action`, `order_number`, `amount_cents` for refunds) and the result (`result`,
`detail`: the refusal code, or the refund's or the return's id). Never an email, a name, card
data or the customer's own words (the reason they gave goes to the shop, not here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis
from redis.asyncio.client import Pipeline

from infra.clock import Clock, iso_utc
from infra.redis_client import await_reply, guard

AUDIT_STREAM = "commerce:audit"
AUDIT_LENGTH = 100_000
"""About this many entries are kept (MAXLEN ~): the oldest go first."""
ACTIONS = ("cancel", "return", "refund")
RESULTS = ("done", "refused", "issued", "needs_approval", "unavailable")
READ_BATCH = 1000
"""Entries read from the stream per round trip while filtering."""


@dataclass(frozen=True)
class AuditEntry:
    conversation_id: str
    action: str  # one of ACTIONS
    order_number: str
    turn: int
    result: str  # one of RESULTS
    detail: str = ""
    amount_cents: int | None = None
    replayed: bool = False
    """The same action (conversation, turn, order) asked again: its first answer, nothing new."""
    actor: str = "assistant"

    def fields(self, at: str) -> dict[str, str]:
        fields = {
            "at": at,
            "actor": self.actor,
            "conversation_id": self.conversation_id,
            "turn": str(self.turn),
            "action": self.action,
            "order_number": self.order_number,
            "result": self.result,
            "detail": self.detail,
        }
        if self.amount_cents is not None:
            fields["amount_cents"] = str(self.amount_cents)
        if self.replayed:
            fields["replayed"] = "true"
        return fields


def audit_number(number: str) -> str:
    """How the log writes an order number, so a filter finds it however it was typed."""
    return number.strip().upper()


class OrderAudit:
    def __init__(self, redis_client: redis.Redis, clock: Clock) -> None:
        self.redis = redis_client
        self.clock = clock

    def add(self, pipe: Pipeline, entry: AuditEntry) -> None:
        """Queue the entry on a pipeline (written with what it records, in one transaction)."""
        fields: Any = entry.fields(iso_utc(self.clock()))
        pipe.xadd(AUDIT_STREAM, fields, maxlen=AUDIT_LENGTH, approximate=True)

    async def record(self, entry: AuditEntry) -> None:
        async with guard(), self.redis.pipeline(transaction=False) as pipe:
            self.add(pipe, entry)
            await pipe.execute()

    async def entries(
        self,
        order_number: str | None = None,
        conversation_id: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Up to `limit` entries, newest first, of the order and/or the conversation given.
        A filter reads the stream back from its newest entry, a batch at a time, until enough
        match (at most the whole stream, AUDIT_LENGTH entries)."""
        wanted = {"order_number": audit_number(order_number) if order_number else None}
        wanted["conversation_id"] = conversation_id
        found: list[dict[str, Any]] = []
        newest = "+"
        async with guard():
            while len(found) < limit:
                batch = await await_reply(
                    self.redis.xrevrange(AUDIT_STREAM, max=newest, min="-", count=READ_BATCH)
                )
                found += [
                    _entry(entry_id, fields)
                    for entry_id, fields in batch
                    if all(value in (None, fields.get(name)) for name, value in wanted.items())
                ]
                if len(batch) < READ_BATCH:
                    break
                newest = f"({batch[-1][0]}"
        return found[:limit]


def _entry(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": entry_id, **fields}
    for number in ("turn", "amount_cents"):
        if number in entry:
            entry[number] = int(entry[number])
    if "replayed" in entry:
        entry["replayed"] = entry["replayed"] == "true"
    return entry
