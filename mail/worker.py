"""The mail sender: what the service runs (service/app.py), or `python -m mail send` alone. One
consumer of the group `senders` on `mail:outbox` per process; replicas share the mails.

The pattern of helpdesk/delivery.py, for mail:
- New mails: `XREADGROUP ... >` (blocking up to MAIL_BLOCK_SECONDS), sent one after another.
- Retries: a mail that failed stays in the group's pending list, where Redis counts its
  deliveries (the attempts). Each step takes back (`XCLAIM`) every pending mail idle longer than
  its back-off, MAIL_RETRY_SECONDS doubled after each attempt up to MAIL_MAX_RETRY_SECONDS;
  another consumer's mail only once it has been idle longer than one send may take, so a mail
  in flight in a live replica is not sent twice.
- States: `retrying` with the last error in plain words (sending.py) and the next attempt's
  time; `failed` after MAIL_MAX_ATTEMPTS, or at once when the server refuses the recipient or
  the message for good (5xx); `sent`. The last two end the mail: state, ack and deletion of the
  entry in one script (outbox.py).
- Restarts: the pending list is in Redis. A process killed or stopped leaves its mails pending;
  the next one (or another replica) takes them back after the back-off. A mail the server had
  taken just before the kill, but whose `sent` was not yet written, goes out again with the
  same Message-ID (compose.message_id_for): SMTP has no idempotency key, this is the one window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta

import redis.asyncio as redis
from redis.exceptions import ResponseError

from infra.clock import Clock, iso_utc, utc_now
from infra.redis_client import (
    RedisUnavailable,
    await_reply,
    connect_checked,
    connect_reader,
    guard,
)
from mail import keys
from mail.outbox import (
    FAILED,
    FINAL_STATES,
    RETRYING,
    SENT,
    DeliveryState,
    MailFormatError,
    MailOutbox,
    OutgoingMail,
)
from mail.sending import SendFailed, send_mail
from mail.settings import MailSettings

log = logging.getLogger(__name__)

READ_COUNT = 10
PENDING_PAGE = 100
IN_FLIGHT_MARGIN_SECONDS = 1.0
"""Beyond MAIL_TIMEOUT_SECONDS, how long another consumer's mail must be idle to be taken."""
GONE_CONSUMER_SECONDS = 3600

OnState = Callable[[OutgoingMail, DeliveryState], Awaitable[None]]
"""Told every new delivery state (the service pushes it to the console)."""


@dataclass
class MailWorker:
    """One consumer; `start` opens it, `stop` closes everything it opened."""

    settings: MailSettings
    client: redis.Redis
    reader: redis.Redis
    consumer: str
    on_state: OnState | None = None
    clock: Clock = utc_now
    task: asyncio.Task[None] | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(
        cls,
        redis_url: str,
        settings: MailSettings,
        on_state: OnState | None = None,
        *,
        clock: Clock = utc_now,
    ) -> MailWorker:
        """Prepare the consumer group and start sending; raises RedisUnavailable (leaving
        nothing open); ValueError when SMTP_HOST is not set (no mail is sent at all)."""
        if not settings.sending:
            raise ValueError("SMTP_HOST is not set: there is no mail server to send through")
        client = await connect_checked(redis_url)
        reader = connect_reader(redis_url, block_seconds=settings.block_seconds)
        name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        worker = cls(settings, client, reader, name, on_state, clock)
        try:
            await worker.prepare()
        except BaseException:
            await worker.stop()
            raise
        worker.task = asyncio.create_task(worker.run())
        log.info("mail: sending through %s:%d", settings.smtp_host, settings.smtp_port)
        return worker

    @property
    def outbox(self) -> MailOutbox:
        return MailOutbox(self.client, self.clock)

    async def stop(self) -> None:
        """Finish the mail in hand (a mail cut off mid-way would be sent again by the next
        worker), then close; cancelled only if that takes longer than a send and a read."""
        self.stopping.set()
        if self.task is not None:
            grace = self.settings.timeout_seconds + self.settings.block_seconds + 1
            done, _ = await asyncio.wait([self.task], timeout=grace)
            if not done:
                self.task.cancel()
                done, _ = await asyncio.wait([self.task], timeout=grace)
            if not done:  # a cancellation swallowed below us: do not hang the shutdown
                log.warning("mail: the sender did not stop within %.1f s", 2 * grace)
        await self.reader.aclose()
        await self.client.aclose()

    async def prepare(self) -> None:
        """Create the group (from the stream's start: mails queued before any worker ran are
        sent too) and forget consumers long gone with nothing pending."""
        async with guard():
            try:
                await self.client.xgroup_create(keys.OUTBOX, keys.GROUP, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise
            for consumer in await self.client.xinfo_consumers(keys.OUTBOX, keys.GROUP):
                idle = int(consumer["idle"]) / 1000
                if not int(consumer["pending"]) and idle > GONE_CONSUMER_SECONDS:
                    await self.client.xgroup_delconsumer(keys.OUTBOX, keys.GROUP, consumer["name"])

    async def step(self) -> int:
        """Retry what is due, then read new mails; returns how many were sent."""
        sent = await self.retry_due()
        return sent + await self.read_new()

    async def read_new(self) -> int:
        block = max(int(self.settings.block_seconds * 1000), 1)
        async with guard():
            answer = await await_reply(
                self.reader.xreadgroup(
                    keys.GROUP, self.consumer, {keys.OUTBOX: ">"}, count=READ_COUNT, block=block
                )
            )
        sent = 0
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                if self.stopping.is_set():  # read but not tried: pending, for the next worker
                    break
                sent += await self._attempt(entry_id, fields, attempts=1)
        return sent

    async def retry_due(self) -> int:
        """Take back and send again every pending mail whose back-off has passed."""
        async with guard():
            pending = await self.client.xpending_range(
                keys.OUTBOX, keys.GROUP, min="-", max="+", count=PENDING_PAGE
            )
        sent = 0
        for item in pending:
            if self.stopping.is_set():
                break
            attempts = int(item["times_delivered"])
            wait = self.settings.retry_after(attempts)
            if item["consumer"] != self.consumer:
                wait = max(wait, self.settings.timeout_seconds + IN_FLIGHT_MARGIN_SECONDS)
            if int(item["time_since_delivered"]) < wait * 1000:
                continue
            async with guard():
                claimed = await await_reply(
                    self.client.xclaim(
                        keys.OUTBOX,
                        keys.GROUP,
                        self.consumer,
                        min_idle_time=int(wait * 1000),
                        message_ids=[item["message_id"]],
                    )
                )
            for entry_id, fields in claimed:
                if fields is None:  # deleted meanwhile (an erasure): nothing to send
                    await self.outbox.drop_entry(entry_id)
                    continue
                sent += await self._attempt(entry_id, fields, attempts=attempts + 1)
        return sent

    async def _attempt(self, entry_id: str, fields: dict[str, str], *, attempts: int) -> int:
        """One attempt at one mail; 1 when it was sent."""
        try:
            mail = OutgoingMail.from_fields(fields)
        except MailFormatError as error:
            log.error("mail: entry %s dropped: %s", entry_id, error)
            await self.outbox.drop_entry(entry_id)
            return 0
        known = await self.outbox.state(mail)
        if known is None or known.state in FINAL_STATES:  # forgotten (erasure), or done
            await self.outbox.drop_entry(entry_id)
            return 0
        now = self.clock()
        try:
            await send_mail(self.settings, mail, now)
        except SendFailed as error:
            final = error.permanent or attempts >= self.settings.max_attempts
            later = now + timedelta(seconds=self.settings.retry_after(attempts))
            state = replace(
                known,
                state=FAILED if final else RETRYING,
                attempts=attempts,
                last_error=str(error),
                at=iso_utc(now),
                next_attempt_at="" if final else iso_utc(later),
            )
            log.warning(
                "mail %s of ticket %s: %s (attempt %d of %d, %s)",
                mail.mail_id,
                mail.ticket_id,
                error.log_text(mail.to),
                attempts,
                self.settings.max_attempts,
                "failed" if final else "will retry",
            )
            await self._record(mail, state, entry_id if final else "")
            return 0
        done = replace(
            known, state=SENT, attempts=attempts, at=iso_utc(self.clock()), next_attempt_at=""
        )
        await self._record(mail, done, entry_id)
        return 1

    async def _record(self, mail: OutgoingMail, state: DeliveryState, entry_id: str) -> None:
        known = await self.outbox.write_state(mail, state, entry_id)
        if not known or self.on_state is None:
            return
        try:
            await self.on_state(mail, state)
        except Exception:
            log.exception("mail: on_state failed for mail %s", mail.mail_id)

    async def run(self) -> None:
        """Until stopped: one step after another. Redis down is a warning, a bug a logged
        traceback; either way the loop goes on after a pause. A group that vanished (Redis
        flushed or restarted empty) is created again."""
        task = asyncio.current_task()
        pause = self.settings.block_seconds
        while not self.stopping.is_set():
            try:
                await self.step()
                continue
            except RedisUnavailable as error:
                if "NOGROUP" in str(error.__cause__):
                    with contextlib.suppress(RedisUnavailable):
                        await self.prepare()
                        continue
                log.warning("mail: %s; trying again in %.1f s", error, pause)
            except Exception:
                log.exception("mail: unexpected error")
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), pause)
