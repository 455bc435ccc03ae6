"""Delivery to one target through its consumer group on `helpdesk:events`: at least once, with
retries and back-off, dead letters after the last attempt, restart-safe.

- New events: `XREADGROUP ... >` (blocking up to `block_seconds`). An event for another team,
  or replayed for another target, is acknowledged and skipped. An event is acknowledged
  (`XACK`) only after the target answered 2xx to every request it needs.
- Retries: a failed event stays in the group's pending list, where Redis counts its deliveries.
  Each step looks at the pending list (`XPENDING`) and takes back (`XCLAIM`, which counts one
  more delivery) every event idle for longer than its back-off, `retry_seconds * 2**(n-1)` after
  the n-th attempt (at most `max_retry_seconds`); another consumer's event only once it has also
  been idle longer than a request may take, so one still in flight is not sent twice by two
  live processes.
- Dead letters: an event whose `max_attempts`-th attempt failed, or that the target refused
  for good (a 4xx but 408/409/425/429: sending.py), goes to `helpdesk:dead:{target}` with its
  attempts and last error, acknowledged in the same MULTI (dead_letters.py replays).
- Restarts and replicas: the pending list is in Redis, not in the process. Killed mid-way, a
  process leaves its events pending; the next one (or another replica; consumers share a
  group's work) retries them after the back-off. A request that reached the target before the
  kill is sent again with the same `Idempotency-Key`, so a receiver that honours it does it
  once.

No ordering is promised between a retried event and later ones; each event carries its `at`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import ResponseError

from helpdesk import keys
from helpdesk.config import DeliverySettings, Target
from helpdesk.events import EventFormatError, HelpdeskEvent
from helpdesk.sending import DeliveryFailed
from infra.clock import Clock, iso_utc, utc_now
from infra.redis_client import RedisUnavailable, await_reply, guard

log = logging.getLogger(__name__)

READ_COUNT = 50
PENDING_PAGE = 100
IN_FLIGHT_MARGIN_SECONDS = 1.0
"""Beyond the request timeout, how long another consumer's event must be idle to be taken."""
GONE_CONSUMER_SECONDS = 3600
REPLAY_FIELD = "target"
"""Set on an event replayed from dead letters: only that target delivers it again."""

DELIVERED, RETRY, DEAD_LETTERED = "delivered", "retry", "dead_lettered"
DELIVERY_RESULTS = (DELIVERED, RETRY, DEAD_LETTERED)
"""What one attempt came to (the service counts them for Prometheus)."""

Deliver = Callable[[HelpdeskEvent], Awaitable[None]]
OnResult = Callable[[str, str], None]
"""Told (target name, one of DELIVERY_RESULTS) after each attempt."""


class TargetDelivery:
    """The consumer `consumer` of target `target`'s group; `reader` is a client for blocking
    reads (infra.redis_client.connect_reader), `client` one for ordinary commands."""

    def __init__(
        self,
        target: Target,
        deliver: Deliver,
        client: redis.Redis,
        reader: redis.Redis,
        settings: DeliverySettings,
        consumer: str,
        clock: Clock = utc_now,
        on_result: OnResult | None = None,
    ) -> None:
        self.target = target
        self._on_result = on_result
        self._deliver = deliver
        self._redis = client
        self._reader = reader
        self._settings = settings
        self.consumer = consumer
        self._group = keys.group(target.name)
        self._clock = clock

    async def prepare(self) -> None:
        """Create the target's group (at the stream's end: a new target starts from now)."""
        async with guard():
            try:
                await self._redis.xgroup_create(keys.EVENTS, self._group, id="$", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise
            # consumers of processes long gone, with nothing pending, are only clutter
            for consumer in await self._redis.xinfo_consumers(keys.EVENTS, self._group):
                idle = int(consumer["idle"]) / 1000
                if not int(consumer["pending"]) and idle > GONE_CONSUMER_SECONDS:
                    await self._redis.xgroup_delconsumer(keys.EVENTS, self._group, consumer["name"])

    async def step(self) -> int:
        """Retry what is due, then read new events (blocking up to block_seconds); returns
        how many events were delivered."""
        delivered = await self.retry_due()
        return delivered + await self.read_new()

    async def read_new(self) -> int:
        block = max(int(self._settings.block_seconds * 1000), 1)
        async with guard():
            answer = await await_reply(
                self._reader.xreadgroup(
                    self._group, self.consumer, {keys.EVENTS: ">"}, count=READ_COUNT, block=block
                )
            )
        delivered = 0
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                delivered += await self._attempt(entry_id, fields, attempts=1)
        return delivered

    async def retry_due(self) -> int:
        """Take back and retry every pending event whose back-off has passed."""
        async with guard():
            pending = await self._redis.xpending_range(
                keys.EVENTS, self._group, min="-", max="+", count=PENDING_PAGE
            )
        delivered = 0
        for item in pending:
            attempts = int(item["times_delivered"])
            wait = self._settings.retry_after(attempts)
            if item["consumer"] != self.consumer:
                wait = max(wait, self._settings.timeout_seconds + IN_FLIGHT_MARGIN_SECONDS)
            if int(item["time_since_delivered"]) < wait * 1000:
                continue
            async with guard():
                claimed = await await_reply(
                    self._redis.xclaim(
                        keys.EVENTS,
                        self._group,
                        self.consumer,
                        min_idle_time=int(wait * 1000),
                        message_ids=[item["message_id"]],
                    )
                )
            for entry_id, fields in claimed:
                if fields is None:  # trimmed away meanwhile: nothing left to send
                    await self._ack(entry_id)
                    continue
                delivered += await self._attempt(entry_id, fields, attempts=attempts + 1)
        return delivered

    async def _attempt(self, entry_id: str, fields: dict[str, str], *, attempts: int) -> int:
        """One delivery attempt; 1 when delivered."""
        if not self._wants(fields):
            await self._ack(entry_id)
            return 0
        try:
            event = HelpdeskEvent.from_fields(fields)
            await self._deliver(event)
        except EventFormatError as error:
            await self._dead_letter(entry_id, fields, attempts, str(error))
            return 0
        except DeliveryFailed as error:
            if error.permanent or attempts >= self._settings.max_attempts:
                await self._dead_letter(entry_id, fields, attempts, str(error))
            else:
                self._tell(RETRY)
                retry = self._settings.retry_after(attempts)
                log.warning(
                    "help desk: %s (event %s, attempt %d of %d; next in %.1f s)",
                    error,
                    fields.get("event_id"),
                    attempts,
                    self._settings.max_attempts,
                    retry,
                )
            return 0
        await self._ack(entry_id)
        self._tell(DELIVERED)
        return 1

    def _tell(self, result: str) -> None:
        if self._on_result is not None:
            self._on_result(self.target.name, result)

    def _wants(self, fields: dict[str, str]) -> bool:
        replayed_for = fields.get(REPLAY_FIELD)
        if replayed_for:
            return replayed_for == self.target.name
        return any(team in self.target.teams for team in fields.get("teams", "").split())

    async def _ack(self, entry_id: str) -> None:
        async with guard():
            await await_reply(self._redis.xack(keys.EVENTS, self._group, entry_id))

    async def _dead_letter(
        self, entry_id: str, fields: dict[str, str], attempts: int, error: str
    ) -> None:
        log.error(
            "help desk: event %s dead-lettered for %s after %d attempts: %s",
            fields.get("event_id"),
            self.target.name,
            attempts,
            error,
        )
        letter = {k: v for k, v in fields.items() if k != REPLAY_FIELD}
        letter.update(
            attempts=str(attempts), error=error, failed_at=iso_utc(self._clock()), entry=entry_id
        )
        async with guard():
            pipe: Any = self._redis.pipeline(transaction=True)
            pipe.xadd(keys.dead_letters(self.target.name), letter)
            pipe.xack(keys.EVENTS, self._group, entry_id)
            await pipe.execute()
        self._tell(DEAD_LETTERED)

    async def run(self) -> None:
        """Until cancelled: one step after another. Redis down is a warning and a bug a logged
        traceback; either way the loop goes on after a pause."""
        task = asyncio.current_task()
        pause = self._settings.block_seconds
        while True:
            try:
                await self.step()
                continue
            except RedisUnavailable as error:
                log.warning(
                    "help desk %s: %s; trying again in %.1f s", self.target.name, error, pause
                )
            except Exception:
                log.exception("help desk %s: unexpected error", self.target.name)
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(pause)


async def trim(client: redis.Redis) -> int:
    """Drop the entries every target's group is past (neither unread nor pending); with no
    group at all, every entry. Returns how many entries went."""
    async with guard():
        if not await await_reply(client.exists(keys.EVENTS)):
            return 0
        groups: list[dict[str, Any]] = await client.xinfo_groups(keys.EVENTS)
        floors = []
        for group in groups:
            floors.append(str(group["last-delivered-id"]))
            if int(group["pending"]):
                summary = await client.xpending(keys.EVENTS, group["name"])
                floors.append(str(summary["min"]))
        if not groups:
            return int(await await_reply(client.xtrim(keys.EVENTS, maxlen=0, approximate=False)))
        floor = min(floors, key=_entry_order)
        return int(await await_reply(client.xtrim(keys.EVENTS, minid=floor, approximate=False)))


def _entry_order(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)
