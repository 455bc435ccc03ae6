"""The mails waiting to be sent and what became of each: a Redis Stream read by a consumer group
(the worker; several service replicas share it) and one hash of delivery states per ticket.

- `enqueue` adds a mail and its `queued` state in one script: a mail id the ticket already has
  is a no-op, so a caller that retries after a timeout, or two replicas doing the same write,
  queue one mail.
- The worker writes each attempt's state (`retrying`, `sent`, `failed`); the last one acks the
  stream entry and deletes it in the same script, so the stream holds only mails still to send.
- A state is only ever written over an existing one: after `forget_conversation` (erasure) a
  worker that was mid-way cannot bring a forgotten mail's state back.

The states are the vocabulary the ticket API and the console show: DELIVERY_STATES.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import Any, Literal

import redis.asyncio as redis
from redis.exceptions import ResponseError

from infra.clock import Clock, iso_utc, utc_now
from infra.redis_client import await_reply, guard
from mail import keys

MailKind = Literal["agent_reply", "transcript"]
MAIL_KINDS: tuple[MailKind, ...] = ("agent_reply", "transcript")
QUEUED, SENT, RETRYING, FAILED = "queued", "sent", "retrying", "failed"
DELIVERY_STATES = (QUEUED, SENT, RETRYING, FAILED)
FINAL_STATES = (SENT, FAILED)
PAGE = 500

# KEYS: the ticket's states, the outbox, the conversation's tickets.
# ARGV: mail id, queued state, ticket id, then the entry's field/value pairs.
KEEP_SECONDS = 90 * 86400
"""A ticket's delivery states (and a conversation's list of tickets with mail) expire this long
after their last change: the handoff's default retention of tickets, so they do not outlive
the tickets they describe (a failure may name the address)."""
ENQUEUE = f"""
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return false end
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('EXPIRE', KEYS[1], {KEEP_SECONDS})
redis.call('EXPIRE', KEYS[3], {KEEP_SECONDS})
return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
"""
# KEYS: the ticket's states, the outbox. ARGV: mail id, state, group, entry id ('' to keep it).
WRITE_STATE = f"""
local known = redis.call('HEXISTS', KEYS[1], ARGV[1])
if known == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], {KEEP_SECONDS})
end
if ARGV[4] ~= '' then
  redis.call('XACK', KEYS[2], ARGV[3], ARGV[4])
  redis.call('XDEL', KEYS[2], ARGV[4])
end
return known
"""


class MailFormatError(ValueError):
    """A stream entry that is not a mail (written by hand, or by another version)."""


@dataclass(frozen=True)
class OutgoingMail:
    """One mail to send. `mail_id` is the caller's stable id for it, unique within the ticket
    (e.g. the reply's message id), so enqueueing it again is harmless."""

    mail_id: str
    ticket_id: str
    conversation_id: str
    kind: MailKind
    to: str
    subject: str
    body: str
    reply_to: str

    @classmethod
    def from_message(
        cls,
        message: EmailMessage,
        *,
        mail_id: str,
        ticket_id: str,
        conversation_id: str,
        kind: MailKind,
    ) -> OutgoingMail:
        """The outbox record of a mail from mail.compose (From is the worker's MAIL_FROM)."""
        return cls(
            mail_id=mail_id,
            ticket_id=ticket_id,
            conversation_id=conversation_id,
            kind=kind,
            to=str(message["To"]),
            subject=str(message["Subject"]),
            body=message.get_content(),
            reply_to=str(message["Reply-To"]),
        )

    def to_fields(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> OutgoingMail:
        try:
            mail = cls(**{name: fields[name] for name in cls.__dataclass_fields__})  # type: ignore[arg-type]
        except KeyError as error:
            raise MailFormatError(f"a mail entry without {error}") from error
        if mail.kind not in MAIL_KINDS:
            raise MailFormatError(f"a mail entry of unknown kind {mail.kind!r}")
        return mail


@dataclass(frozen=True)
class DeliveryState:
    """What became of one mail, for the agent: `state` (DELIVERY_STATES), how many attempts
    were made, the last error in plain words ('' when none), when the state last changed and
    when the next attempt is due ('' when none); times ISO 8601 UTC."""

    state: str
    kind: str
    attempts: int
    last_error: str
    at: str
    queued_at: str
    next_attempt_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeliveryState:
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**fields)


class MailOutbox:
    """The outbox on one Redis client (not owned: the caller closes it)."""

    def __init__(self, client: redis.Redis, clock: Clock = utc_now) -> None:
        self._redis = client
        self._clock = clock

    async def enqueue(self, mail: OutgoingMail) -> bool:
        """Queue `mail`; False when the ticket already has a mail with this id (nothing done).
        Raises RedisUnavailable."""
        now = iso_utc(self._clock())
        state = DeliveryState(QUEUED, mail.kind, 0, "", now, now)
        pairs = [item for pair in mail.to_fields().items() for item in pair]
        async with guard():
            added = await await_reply(
                self._redis.eval(
                    ENQUEUE,
                    3,
                    keys.states(mail.ticket_id),
                    keys.OUTBOX,
                    keys.tickets(mail.conversation_id),
                    mail.mail_id,
                    json.dumps(state.to_json()),
                    mail.ticket_id,
                    *pairs,
                )
            )
        return added is not None

    async def states(self, ticket_id: str) -> dict[str, DeliveryState]:
        """Mail id -> delivery state of every mail of the ticket, oldest first."""
        async with guard():
            raw = await await_reply(self._redis.hgetall(keys.states(ticket_id)))
        found = {
            mail_id: DeliveryState.from_json(json.loads(text)) for mail_id, text in raw.items()
        }
        return dict(sorted(found.items(), key=lambda item: (item[1].queued_at, item[0])))

    async def state(self, mail: OutgoingMail) -> DeliveryState | None:
        """One mail's state; None when it is not known (never queued, or forgotten)."""
        async with guard():
            text = await await_reply(self._redis.hget(keys.states(mail.ticket_id), mail.mail_id))
        return None if text is None else DeliveryState.from_json(json.loads(text))

    async def write_state(
        self, mail: OutgoingMail, state: DeliveryState, entry_id: str = ""
    ) -> bool:
        """Record `state` for a mail still known (False: forgotten meanwhile, nothing written);
        with `entry_id`, the mail is done: its stream entry is acknowledged and deleted."""
        async with guard():
            known = await await_reply(
                self._redis.eval(
                    WRITE_STATE,
                    2,
                    keys.states(mail.ticket_id),
                    keys.OUTBOX,
                    mail.mail_id,
                    json.dumps(state.to_json()),
                    keys.GROUP,
                    entry_id,
                )
            )
        return bool(known)

    async def drop_entry(self, entry_id: str) -> None:
        """Acknowledge and delete an entry that is not to be sent (not a mail, or forgotten)."""
        async with guard():
            pipe: Any = self._redis.pipeline(transaction=True)
            pipe.xack(keys.OUTBOX, keys.GROUP, entry_id)
            pipe.xdel(keys.OUTBOX, entry_id)
            await pipe.execute()

    async def forget_conversation(self, conversation_id: str) -> int:
        """Erasure: delete the conversation's mails still to send and every delivery state of
        its tickets; returns how many mails were known. Mails already sent are the customer's."""
        async with guard():
            ticket_ids = await await_reply(self._redis.smembers(keys.tickets(conversation_id)))
            forgotten = 0
            for ticket_id in ticket_ids:
                forgotten += int(await await_reply(self._redis.hlen(keys.states(ticket_id))))
            await self._redis.delete(
                keys.tickets(conversation_id), *(keys.states(t) for t in ticket_ids)
            )
            await self._delete_entries(conversation_id)
        return forgotten

    async def _delete_entries(self, conversation_id: str) -> None:
        start = "-"
        while True:
            entries = await await_reply(self._redis.xrange(keys.OUTBOX, min=start, count=PAGE))
            doomed = [
                entry_id
                for entry_id, fields in entries
                if fields.get("conversation_id") == conversation_id
            ]
            if doomed:
                try:
                    await self._redis.xack(keys.OUTBOX, keys.GROUP, *doomed)
                except ResponseError as error:  # no group yet: nothing pending to ack
                    if "NOGROUP" not in str(error):
                        raise
                await self._redis.xdel(keys.OUTBOX, *doomed)
            if len(entries) < PAGE:
                return
            start = "(" + entries[-1][0]
