"""The content team's Redis: agents' suggestions and the log of what editors did to articles.

Keys live under `content:`. Every Redis problem is raised as `RedisUnavailable`
(infra/redis_client.py's guard).

- Suggestions (content/suggestions.py): one JSON per suggestion in the hash
  `content:suggestions`, ordered newest first by the sorted set `content:suggestions:at`; one
  per ticket (the id comes from the ticket's), at most MAX_SUGGESTIONS (the oldest go first).
  `forget_conversations` removes a customer's (their erasure, service/desk/privacy.py).
- The audit log `content:audit` (a stream, trimmed to about AUDIT_LENGTH entries): who
  published an article or drafted one from a suggestion, when, and which version.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import redis.asyncio as redis

from content.suggestions import Suggestion
from infra.redis_client import await_reply, guard

SUGGESTIONS = "content:suggestions"  # hash: suggestion id -> Suggestion JSON
SUGGESTIONS_AT = "content:suggestions:at"  # sorted set: suggestion id -> when (Unix seconds)
AUDIT = "content:audit"  # stream: one entry per publish or draft
PUBLISH_LOCK = "content:publish:{article_id}"  # one publish of an article at a time
MAX_SUGGESTIONS = 500
AUDIT_LENGTH = 10_000
# KEYS: suggestions, order. ARGV: id, JSON, at (s), most kept. Adds it unless it is there,
# then drops the oldest beyond the bound; 1 when added.
ADD_SUGGESTION = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, extra - 1)
  redis.call('ZREM', KEYS[2], unpack(oldest))
  redis.call('HDEL', KEYS[1], unpack(oldest))
end
return 1
"""


class ContentStore:
    """Suggestions and the audit log, on a Redis client the caller owns."""

    def __init__(self, client: redis.Redis, max_suggestions: int = MAX_SUGGESTIONS) -> None:
        self._redis = client
        self.max_suggestions = max_suggestions
        self._add = client.register_script(ADD_SUGGESTION)

    async def add_suggestion(self, suggestion: Suggestion, at: float) -> bool:
        """Keep the suggestion unless its ticket gave one already; True when it was added."""
        args: list[str | int] = [
            suggestion.id,
            suggestion.to_json(),
            repr(at),
            self.max_suggestions,
        ]
        async with guard():
            added = await self._add(keys=[SUGGESTIONS, SUGGESTIONS_AT], args=args)
        return bool(added)

    async def suggestions(self, limit: int) -> list[Suggestion]:
        """The newest `limit` suggestions, newest first."""
        async with guard():
            ids = await await_reply(self._redis.zrevrange(SUGGESTIONS_AT, 0, limit - 1))
            stored = await await_reply(self._redis.hmget(SUGGESTIONS, ids)) if ids else []
        return [Suggestion.from_json(text) for text in stored if text]

    async def suggestion(self, suggestion_id: str) -> Suggestion | None:
        async with guard():
            stored = await await_reply(self._redis.hget(SUGGESTIONS, suggestion_id))
        return Suggestion.from_json(stored) if stored else None

    async def save_suggestion(self, suggestion: Suggestion) -> None:
        """Store a changed suggestion (its draft's id) if it is still kept."""
        async with guard():
            kept = await await_reply(self._redis.zscore(SUGGESTIONS_AT, suggestion.id))
            if kept is not None:
                text = suggestion.to_json()
                await await_reply(self._redis.hset(SUGGESTIONS, suggestion.id, text))

    async def forget_conversations(self, conversation_ids: Collection[str]) -> int:
        """Delete the suggestions of these conversations; how many went."""
        wanted = set(conversation_ids)
        if not wanted:
            return 0
        async with guard():
            stored: dict[str, str] = await await_reply(self._redis.hgetall(SUGGESTIONS))
            gone = [
                suggestion_id
                for suggestion_id, text in stored.items()
                if Suggestion.from_json(text).conversation_id in wanted
            ]
            if gone:
                pipe = self._redis.pipeline(transaction=True)
                pipe.hdel(SUGGESTIONS, *gone)
                pipe.zrem(SUGGESTIONS_AT, *gone)
                await pipe.execute()
        return len(gone)

    async def suggestions_of(self, conversation_ids: Collection[str]) -> list[Suggestion]:
        """These conversations' suggestions (a customer's access request)."""
        wanted = set(conversation_ids)
        async with guard():
            stored: dict[str, str] = await await_reply(self._redis.hgetall(SUGGESTIONS))
        found = [Suggestion.from_json(text) for text in stored.values()]
        return [suggestion for suggestion in found if suggestion.conversation_id in wanted]

    async def audit(self, entry: dict[str, str]) -> None:
        async with guard():
            fields: Any = entry
            await self._redis.xadd(AUDIT, fields, maxlen=AUDIT_LENGTH, approximate=True)

    async def audit_entries(self, limit: int) -> list[dict[str, str]]:
        """The newest `limit` entries of the audit log, newest first."""
        async with guard():
            rows = await await_reply(self._redis.xrevrange(AUDIT, count=limit))
        return [{"id": entry_id, **fields} for entry_id, fields in rows]
