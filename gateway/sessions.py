"""The gateway's Redis state, all under `gateway:` (apart from Rasa's `tracker:`/`lock:`, the
knowledge base's `kb:` and the handoff's `handoff:`):

    gateway:session:{sha256(session id)}  hash    conversation_id, issued_at
    gateway:conversation:{conversation}   hash    outbox_cursor (last delivered outbox entry)
    gateway:offered:{conversation}        set     button payloads of the bot's last reply
    gateway:rate:{scope}:{key}            hash    token bucket (tokens, at)

Two ids, on purpose:
- the **session id** is the widget's secret (192 random bits): whoever holds it is that
  customer. It lives only in the browser and, hashed, in the key of its session record; it is
  never sent to Rasa or the service and never logged.
- the **conversation id** (`conv-` and 80 random bits) names the conversation everywhere else:
  Rasa's sender id, `handoff:conversation:{id}`, tickets, the console, logs. Knowing it gives no
  way into the chat.

Every key expires: sessions, cursors and offered payloads after the session TTL of inactivity,
buckets once they would be full again. Every method raises `RedisUnavailable`
(infra/redis_client.py) when Redis cannot do it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

import redis.asyncio as redis

from gateway.settings import RateLimit
from infra.redis_client import await_reply, guard

PREFIX = "gateway:"
SESSION_BYTES = 24  # 192 random bits
CONVERSATION_BYTES = 10  # 80 random bits: unique, not a secret
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


@dataclass(frozen=True)
class Session:
    session_id: str
    """The widget's secret."""
    conversation_id: str
    """What Rasa, the service and the team call this conversation."""
    resumed: bool


# KEYS[1] bucket; ARGV: burst, refill per second, now (s), cost. Returns {allowed, retry_after}.
TOKEN_BUCKET = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {allowed, tostring(retry)}
"""


def session_key(session_id: str) -> str:
    """The session record's key: a hash of the secret, so Redis never holds the secret."""
    return f"{PREFIX}session:{hashlib.sha256(session_id.encode()).hexdigest()}"


def conversation_key(conversation_id: str) -> str:
    return f"{PREFIX}conversation:{conversation_id}"


def offered_key(conversation_id: str) -> str:
    return f"{PREFIX}offered:{conversation_id}"


def rate_key(scope: str, key: str) -> str:
    return f"{PREFIX}rate:{scope}:{key}"


def new_conversation_id() -> str:
    return f"conv-{secrets.token_hex(CONVERSATION_BYTES)}"


class GatewayStore:
    def __init__(self, client: redis.Redis, session_ttl_seconds: int) -> None:
        self._redis = client
        self._ttl = session_ttl_seconds
        self._bucket = client.register_script(TOKEN_BUCKET)

    async def resume_or_issue(self, requested: object) -> Session:
        """The client's session when this gateway issued it and it has not expired (its TTL
        is renewed), else a new session with a new conversation."""
        if isinstance(requested, str) and SESSION_ID.match(requested):
            found = await self.conversation_id(requested)
            if found is not None:
                await self.touch(found, session_id=requested)
                return Session(requested, found, resumed=True)
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
            await pipe.execute()
        return session

    async def conversation_id(self, session_id: str) -> str | None:
        """The conversation of a live session; None for an unknown or expired one."""
        async with guard():
            found = await await_reply(self._redis.hget(session_key(session_id), "conversation_id"))
        return str(found) if found else None

    async def touch(self, conversation_id: str, *, session_id: str | None = None) -> None:
        """Renew the TTL of the conversation's gateway keys (and of its session record)."""
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            if session_id is not None:
                pipe.expire(session_key(session_id), self._ttl)
            pipe.expire(conversation_key(conversation_id), self._ttl)
            pipe.expire(offered_key(conversation_id), self._ttl)
            await pipe.execute()

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

    async def take(self, scope: str, key: str, limit: RateLimit) -> float:
        """Take one token from the bucket; 0.0 when allowed, else seconds until allowed."""
        async with guard():
            allowed, retry = await self._bucket(
                keys=[rate_key(scope, key)],
                args=[limit.burst, limit.per_minute / 60.0, f"{time.time():.6f}", 1],
            )
        return 0.0 if int(allowed) == 1 else max(float(retry), 0.001)
