"""What the content team needs from conversations: unanswered questions and article feedback.

Shaped like Rasa's own stores: a small interface, one Redis implementation, a `create`
factory that opens and checks the connection with infra/redis_client.py; every Redis problem is
raised as `RedisUnavailable`. Keys live under `kb:`.

Unanswered questions are kept `UNANSWERED_RETENTION_DAYS`: each miss trims the log's older
entries and drops the counted questions nobody asked since (`kb:unanswered:last` says when each
was last asked). A customer's misses are found in the log by conversation id (one pass over the
capped log) for an access request (`misses_of`) or an erasure (`forget_conversations`, which
also takes them out of the counts).
"""

from __future__ import annotations

import abc
import json
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from handoff.privacy.redact import redact_text
from infra import redis_client
from infra.redis_client import guard

UNANSWERED_COUNTS = "kb:unanswered:counts"  # sorted set: normalised question -> times asked
UNANSWERED_LOG = "kb:unanswered:log"  # stream of every miss, newest last
UNANSWERED_LAST = "kb:unanswered:last"  # sorted set: normalised question -> last asked (s)
FEEDBACK = "kb:feedback:{article_id}"  # hash: helpful / not_helpful -> count
LOG_LENGTH = 10_000
LOG_PAGE = 1000
UNANSWERED_RETENTION_DAYS = 90
EXPIRED_PER_MISS = 100  # questions dropped per recorded miss at most: each write stays short
# KEYS: counts, last, log. ARGV: normalised question, asked at (s), cutoff (s), log entry JSON,
# log length, oldest log id kept, most questions to drop.
RECORD_MISS = """
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'miss', ARGV[4])
redis.call('XTRIM', KEYS[3], 'MINID', '~', ARGV[6])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3], 'LIMIT', 0, ARGV[7])
if #old > 0 then
  redis.call('ZREM', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
return #old
"""
# KEYS: counts, last. ARGV: normalised questions, one per erased miss.
UNCOUNT = """
for _, question in ipairs(ARGV) do
  local left = redis.call('ZINCRBY', KEYS[1], -1, question)
  if tonumber(left) <= 0 then
    redis.call('ZREM', KEYS[1], question)
    redis.call('ZREM', KEYS[2], question)
  end
end
return #ARGV
"""


@dataclass(frozen=True)
class Miss:
    question: str
    conversation_id: str
    closest_article_id: str | None
    closest_score: float | None
    at: float


@dataclass(frozen=True)
class UnansweredQuestion:
    question: str
    times_asked: int


def normalise_question(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s'-]", " ", text.lower())).strip()


class InsightStore(abc.ABC):
    @abc.abstractmethod
    async def record_miss(self, miss: Miss) -> None: ...

    @abc.abstractmethod
    async def top_unanswered(self, limit: int) -> list[UnansweredQuestion]: ...

    @abc.abstractmethod
    async def record_feedback(self, article_id: str, helpful: bool) -> None: ...

    @abc.abstractmethod
    async def feedback_counts(self, article_ids: list[str]) -> dict[str, dict[str, int]]: ...

    @abc.abstractmethod
    async def misses_of(self, conversation_ids: Collection[str]) -> list[Miss]:
        """The recorded misses of these conversations (as stored: masked), oldest first."""

    @abc.abstractmethod
    async def forget_conversations(self, conversation_ids: Collection[str]) -> int:
        """Delete these conversations' misses and uncount their questions; how many went."""

    @abc.abstractmethod
    async def ping(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...


class RedisInsightStore(redis_client.OnOneConnection, InsightStore):
    def __init__(
        self, client: Any, retention: timedelta = timedelta(days=UNANSWERED_RETENTION_DAYS)
    ) -> None:
        super().__init__(client)
        self.retention = retention
        self._record = client.register_script(RECORD_MISS)
        self._uncount = client.register_script(UNCOUNT)

    async def record_miss(self, miss: Miss) -> None:
        # Masked here too, whoever the caller: normalising first would break card numbers up.
        question = redact_text(miss.question)
        cutoff = miss.at - self.retention.total_seconds()
        args: list[str | int | float] = [
            normalise_question(question),
            repr(miss.at),
            repr(cutoff),
            json.dumps(asdict(miss) | {"question": question}),
            LOG_LENGTH,
            f"{max(0, int(cutoff * 1000))}-0",
            EXPIRED_PER_MISS,
        ]
        async with guard():
            await self._record(keys=[UNANSWERED_COUNTS, UNANSWERED_LAST, UNANSWERED_LOG], args=args)

    async def misses_of(self, conversation_ids: Collection[str]) -> list[Miss]:
        return [miss for _, miss in await self._entries_of(set(conversation_ids))]

    async def forget_conversations(self, conversation_ids: Collection[str]) -> int:
        found = await self._entries_of(set(conversation_ids))
        if not found:
            return 0
        async with guard():
            await self._redis.xdel(UNANSWERED_LOG, *[entry_id for entry_id, _ in found])
            questions = [normalise_question(miss.question) for _, miss in found]
            await self._uncount(keys=[UNANSWERED_COUNTS, UNANSWERED_LAST], args=questions)
        return len(found)

    async def _entries_of(self, conversation_ids: set[str]) -> list[tuple[str, Miss]]:
        """One pass over the capped log: the entries of these conversations."""
        found: list[tuple[str, Miss]] = []
        start = "-"
        while conversation_ids:
            async with guard():
                page: list[tuple[str, dict[str, str]]] = await self._redis.xrange(  # type: ignore[assignment]
                    UNANSWERED_LOG, min=start, count=LOG_PAGE
                )
            for entry_id, fields in page:
                miss = _miss(fields.get("miss"))
                if miss is not None and miss.conversation_id in conversation_ids:
                    found.append((entry_id, miss))
            if len(page) < LOG_PAGE:
                break
            start = "(" + page[-1][0]
        return found

    async def top_unanswered(self, limit: int) -> list[UnansweredQuestion]:
        async with guard():
            rows: list[tuple[str, float]] = await self._redis.zrevrange(  # type: ignore[assignment]
                UNANSWERED_COUNTS, 0, limit - 1, withscores=True
            )
        return [UnansweredQuestion(str(question), int(count)) for question, count in rows]

    async def record_feedback(self, article_id: str, helpful: bool) -> None:
        field = "helpful" if helpful else "not_helpful"
        async with guard():
            await self._redis.hincrby(FEEDBACK.format(article_id=article_id), field, 1)

    async def feedback_counts(self, article_ids: list[str]) -> dict[str, dict[str, int]]:
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            for article_id in article_ids:
                pipe.hgetall(FEEDBACK.format(article_id=article_id))
            rows = await pipe.execute()
        return {
            article_id: {
                "helpful": int(row.get("helpful", 0)),
                "not_helpful": int(row.get("not_helpful", 0)),
            }
            for article_id, row in zip(article_ids, rows, strict=True)
        }


def _miss(text: str | None) -> Miss | None:
    try:
        return Miss(**json.loads(text or ""))
    except (ValueError, TypeError):
        return None  # an entry this version cannot read is no one's miss


async def create(
    redis_url: str, timeout_seconds: float = redis_client.TIMEOUT_SECONDS
) -> RedisInsightStore:
    """Connect to Redis and check it answers; raise RedisUnavailable when it does not."""
    return await RedisInsightStore.open(redis_url, timeout_seconds=timeout_seconds)
