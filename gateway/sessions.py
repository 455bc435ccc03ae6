"""The gateway's Redis state, all under `gateway:` (apart from Rasa's `tracker:`/`lock:`, the
knowledge base's `kb:` and the handoff's `handoff:`):

    gateway:session:{session_id}       hash    issued_at, outbox_cursor (last delivered entry)
    gateway:offered:{session_id}       set     button payloads of the bot's last reply
    gateway:rate:{scope}:{key}         hash    token bucket (tokens, at)

Every key expires: sessions and offered payloads after the session TTL of inactivity, buckets
once they would be full again.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable

import redis.asyncio as redis

from gateway.settings import RateLimit
from handoff.store_base import await_reply

PREFIX = "gateway:"
SESSION_BYTES = 24  # 192 random bits
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")

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
    return f"{PREFIX}session:{session_id}"


def offered_key(session_id: str) -> str:
    return f"{PREFIX}offered:{session_id}"


def rate_key(scope: str, key: str) -> str:
    return f"{PREFIX}rate:{scope}:{key}"


class GatewayStore:
    def __init__(self, client: redis.Redis, session_ttl_seconds: int) -> None:
        self._redis = client
        self._ttl = session_ttl_seconds
        self._bucket = client.register_script(TOKEN_BUCKET)

    async def resume_or_issue(self, requested: object) -> tuple[str, bool]:
        """The client's session id when this gateway issued it and it has not expired (its TTL
        is renewed), else a new one. Returns (session_id, resumed)."""
        if isinstance(requested, str) and SESSION_ID.match(requested):
            key = session_key(requested)
            if await self._redis.expire(key, self._ttl):
                await self._redis.expire(offered_key(requested), self._ttl)
                return requested, True
        session_id = secrets.token_urlsafe(SESSION_BYTES)
        await await_reply(
            self._redis.hset(session_key(session_id), mapping={"issued_at": int(time.time())})
        )
        await self._redis.expire(session_key(session_id), self._ttl)
        return session_id, False

    async def is_issued(self, session_id: str) -> bool:
        return bool(await self._redis.exists(session_key(session_id)))

    async def offered(self, session_id: str) -> set[str]:
        members = await await_reply(self._redis.smembers(offered_key(session_id)))
        return {str(member) for member in members}

    async def set_offered(self, session_id: str, payloads: Iterable[str]) -> None:
        """The bot's last reply replaces what was offered before (no buttons: nothing)."""
        key = offered_key(session_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(key)
        payloads = list(payloads)
        if payloads:
            pipe.sadd(key, *payloads)
            pipe.expire(key, self._ttl)
        pipe.expire(session_key(session_id), self._ttl)
        await pipe.execute()

    async def outbox_cursor(self, session_id: str) -> str:
        cursor = await await_reply(self._redis.hget(session_key(session_id), "outbox_cursor"))
        return str(cursor or "0-0")

    async def set_outbox_cursor(self, session_id: str, entry_id: str) -> None:
        await await_reply(self._redis.hset(session_key(session_id), "outbox_cursor", entry_id))

    async def take(self, scope: str, key: str, limit: RateLimit) -> float:
        """Take one token from the bucket; 0.0 when allowed, else seconds until allowed."""
        allowed, retry = await self._bucket(
            keys=[rate_key(scope, key)],
            args=[limit.burst, limit.per_minute / 60.0, f"{time.time():.6f}", 1],
        )
        return 0.0 if int(allowed) == 1 else max(float(retry), 0.001)
