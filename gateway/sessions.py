"""The gateway's Redis state, all under `gateway:` (apart from Rasa's `tracker:`/`lock:`, the
knowledge base's `kb:` and the handoff's `handoff:`):

    gateway:session:{sha256(session id)}  hash    conversation_id, issued_at
    gateway:conversation:{conversation}   hash    outbox_cursor (last delivered outbox entry),
                                                  session (its session record's key: erasure),
                                                  queue_told (the queue outlook the waiting
                                                  customer last read, gateway/notices.py)
    gateway:offered:{conversation}        set     button payloads of the bot's last reply
    gateway:rate:{scope}:{sha256(key)}    hash    token bucket (tokens, at)

Two ids, on purpose:
- the **session id** is the widget's secret (192 random bits): whoever holds it is that
  customer. It lives only in the browser and, hashed, in the key of its session record; it is
  never sent to Rasa or the service and never logged.
- the **conversation id** (`conv-` and 80 random bits) names the conversation everywhere else:
  Rasa's sender id, `handoff:conversation:{id}`, tickets, the console, logs. Knowing it gives no
  way into the chat.

Rate-limit scopes (gateway/rate_limits.py): `session` (a conversation), `customer` (a verified
customer id), `address` (a client address's messages), `session_create` (a client address's new
sessions) and `console` (gateway/console.py). Their keys are hashed, so Redis holds no client
address or customer id in a key name.

A resume link (gateway/resume.py) gets a new session for the conversation it names
(`issue_for`): the conversation's `session` field then points to the new record and the previous
one is deleted, so only the newest device holds the chat.

Every key expires: sessions, cursors and offered payloads after the session TTL of inactivity,
buckets once they would be full again. `erase_conversation` removes a conversation's keys and
its session record (found through the conversation's `session` field, never by a search) for
an erasure request (service/desk/privacy.py). Every method raises `RedisUnavailable`
(infra/redis_client.py) when Redis cannot do it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis.asyncio as redis

from gateway.settings import RateLimit
from infra.redis_client import await_reply, guard

PREFIX = "gateway:"
SESSION_BYTES = 24  # 192 random bits
CONVERSATION_BYTES = 10  # 80 random bits: unique, not a secret
QUEUE_TOLD = "queue_told"
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


@dataclass(frozen=True)
class Session:
    session_id: str
    """The widget's secret."""
    conversation_id: str
    """What Rasa, the service and the team call this conversation."""
    resumed: bool


# KEYS: the buckets; ARGV: now (s), cost, then each bucket's burst and refill per second.
# Returns {allowed, retry_after}: every bucket pays, or none does (a refused request spends no
# token anywhere) and retry_after is when the emptiest one has enough again.
TOKEN_BUCKETS = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local levels = {}
local retry = 0
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[1 + 2 * i])
  local rate = tonumber(ARGV[2 + 2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or now
  levels[i] = math.min(burst, tokens + math.max(0, now - at) * rate)
  if levels[i] < cost then
    retry = math.max(retry, (cost - levels[i]) / rate)
  end
end
if retry > 0 then
  return {0, tostring(retry)}
end
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[1 + 2 * i])
  local rate = tonumber(ARGV[2 + 2 * i])
  redis.call('HSET', key, 'tokens', tostring(levels[i] - cost), 'at', tostring(now))
  redis.call('EXPIRE', key, math.ceil(burst / rate) + 1)
end
return {1, '0'}
"""


# KEYS: the conversation's hash, the new session record; ARGV: conversation id, issued_at, TTL,
# the session key prefix. The previous record (the hash's `session` field) is deleted in the
# same step, so two resumes at once still leave one live session. (It touches a key not in
# KEYS: fine on one Redis or Sentinel, not on Redis Cluster, which the gateway does not use.)
ISSUE_FOR = """
local previous = redis.call('HGET', KEYS[1], 'session')
if previous and previous ~= KEYS[2] and string.sub(previous, 1, #ARGV[4]) == ARGV[4] then
  redis.call('DEL', previous)
end
redis.call('HSET', KEYS[2], 'conversation_id', ARGV[1], 'issued_at', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], 'session', KEYS[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return previous and 1 or 0
"""


def session_key(session_id: str) -> str:
    """The session record's key: a hash of the secret, so Redis never holds the secret."""
    return f"{PREFIX}session:{hashlib.sha256(session_id.encode()).hexdigest()}"


def conversation_key(conversation_id: str) -> str:
    return f"{PREFIX}conversation:{conversation_id}"


def offered_key(conversation_id: str) -> str:
    return f"{PREFIX}offered:{conversation_id}"


def rate_key(scope: str, key: str) -> str:
    """A bucket's key; the address or customer id in it is hashed, never kept as is."""
    return f"{PREFIX}rate:{scope}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def new_conversation_id() -> str:
    return f"conv-{secrets.token_hex(CONVERSATION_BYTES)}"


class GatewayStore:
    def __init__(self, client: redis.Redis, session_ttl_seconds: int) -> None:
        self._redis = client
        self._ttl = session_ttl_seconds
        self._buckets = client.register_script(TOKEN_BUCKETS)
        self._issue_for = client.register_script(ISSUE_FOR)

    async def resume_or_issue(self, requested: object) -> Session:
        """The client's session when this gateway issued it and it has not expired (its TTL
        is renewed), else a new session with a new conversation."""
        return await self.resume(requested) or await self.issue()

    async def resume(self, requested: object) -> Session | None:
        """The client's session when this gateway issued it and it has not expired (its TTL is
        renewed); None otherwise."""
        if isinstance(requested, str) and SESSION_ID.match(requested):
            found = await self.conversation_id(requested)
            if found is not None:
                await self.touch(found, session_id=requested)
                return Session(requested, found, resumed=True)
        return None

    async def issue(self) -> Session:
        """A new session with a new conversation."""
        session = Session(
            secrets.token_urlsafe(SESSION_BYTES), new_conversation_id(), resumed=False
        )
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(
                session_key(session.session_id),
                mapping={"conversation_id": session.conversation_id, "issued_at": int(time.time())},
            )
            pipe.expire(session_key(session.session_id), self._ttl)
            # the way from the conversation to its session record, for an erasure
            pipe.hset(
                conversation_key(session.conversation_id),
                "session",
                session_key(session.session_id),
            )
            pipe.expire(conversation_key(session.conversation_id), self._ttl)
            await pipe.execute()
        return session

    async def issue_for(self, conversation_id: str) -> Session:
        """A new session for an existing conversation (a resume link, gateway/resume.py); the
        conversation's previous session record is deleted, so the widget that held it gets a
        new conversation at its next `session_request`."""
        session = Session(secrets.token_urlsafe(SESSION_BYTES), conversation_id, resumed=True)
        keys = [conversation_key(conversation_id), session_key(session.session_id)]
        args: list[str | int] = [conversation_id, int(time.time()), self._ttl, f"{PREFIX}session:"]
        async with guard():
            await self._issue_for(keys=keys, args=args)
        return session

    async def conversation_id(self, session_id: str) -> str | None:
        """The conversation of a live session; None for an unknown or expired one."""
        async with guard():
            found = await await_reply(self._redis.hget(session_key(session_id), "conversation_id"))
        return str(found) if found else None

    async def touch(self, conversation_id: str, *, session_id: str | None = None) -> bool:
        """Renew the TTL of the conversation's gateway keys (and of its session record). False
        when the session record is gone: a resume link reopened the conversation with a new
        session (`issue_for`), the customer's data was erased, or the session expired."""
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            if session_id is not None:
                pipe.expire(session_key(session_id), self._ttl)
            pipe.expire(conversation_key(conversation_id), self._ttl)
            pipe.expire(offered_key(conversation_id), self._ttl)
            renewed = await pipe.execute()
        return session_id is None or bool(renewed[0])

    async def offered(self, conversation_id: str) -> set[str]:
        async with guard():
            members = await await_reply(self._redis.smembers(offered_key(conversation_id)))
        return {str(member) for member in members}

    async def set_offered(self, conversation_id: str, payloads: Iterable[str]) -> None:
        """The bot's last reply replaces what was offered before (no buttons: nothing)."""
        key = offered_key(conversation_id)
        payloads = list(payloads)
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.delete(key)
            if payloads:
                pipe.sadd(key, *payloads)
                pipe.expire(key, self._ttl)
            await pipe.execute()

    async def outbox_cursor(self, conversation_id: str) -> str:
        """The last outbox entry delivered to the conversation ("0-0": none yet)."""
        async with guard():
            key = conversation_key(conversation_id)
            cursor = await await_reply(self._redis.hget(key, "outbox_cursor"))
        return str(cursor or "0-0")

    async def set_outbox_cursor(self, conversation_id: str, entry_id: str) -> None:
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(conversation_key(conversation_id), "outbox_cursor", entry_id)
            pipe.expire(conversation_key(conversation_id), self._ttl)
            await pipe.execute()

    async def queue_told(self, conversation_id: str) -> str | None:
        """The queue outlook last told as text (JSON, gateway/notices.QueueOutlook); None when
        the customer is not waiting or was told nothing yet."""
        async with guard():
            key = conversation_key(conversation_id)
            told = await await_reply(self._redis.hget(key, QUEUE_TOLD))
        return str(told) if told else None

    async def set_queue_told(self, conversation_id: str, told: str | None) -> None:
        """Keep what the customer was told about the queue (None: forget it, they stopped
        waiting)."""
        key = conversation_key(conversation_id)
        async with guard():
            if told is None:
                await await_reply(self._redis.hdel(key, QUEUE_TOLD))
                return
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(key, QUEUE_TOLD, told)
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def take(self, scope: str, key: str, limit: RateLimit) -> float:
        """Take one token from the bucket; 0.0 when allowed, else seconds until allowed."""
        return await self.take_all([(scope, key, limit)])

    async def take_all(self, buckets: Sequence[tuple[str, str, RateLimit]]) -> float:
        """Take one token from each (scope, key, limit) bucket, or from none when one is empty;
        0.0 when allowed, else seconds until all of them have a token."""
        args: list[str | int | float] = [f"{time.time():.6f}", 1]
        for _, _, limit in buckets:
            args += [limit.burst, limit.per_minute / 60.0]
        async with guard():
            allowed, retry = await self._buckets(
                keys=[rate_key(scope, key) for scope, key, _ in buckets], args=args
            )
        return 0.0 if int(allowed) == 1 else max(float(retry), 0.001)


async def erase_conversation(client: redis.Redis, conversation_id: str) -> int:
    """Delete the conversation's gateway keys and its session record (the widget's next
    `session_request` gets a new conversation); returns how many keys went. Idempotent."""
    async with guard():
        record = await await_reply(client.hget(conversation_key(conversation_id), "session"))
        names = [conversation_key(conversation_id), offered_key(conversation_id)]
        if isinstance(record, str) and record.startswith(f"{PREFIX}session:"):
            names.append(record)
        return int(await await_reply(client.delete(*names)))


async def session_issued_at(client: redis.Redis, conversation_id: str) -> int | None:
    """When the conversation's live session was issued (Unix seconds); None without one."""
    async with guard():
        record = await await_reply(client.hget(conversation_key(conversation_id), "session"))
        if not isinstance(record, str) or not record.startswith(f"{PREFIX}session:"):
            return None
        issued = await await_reply(client.hget(record, "issued_at"))
    return int(issued) if issued else None
