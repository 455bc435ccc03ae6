"""What the content team needs from conversations: unanswered questions and article feedback.

Shaped like Rasa's own stores: a small interface, one Redis implementation, a `create`
factory that opens and checks the connection with infra/redis_client.py; every Redis problem is
raised as `RedisUnavailable`. Keys live under `kb:`.
"""

from __future__ import annotations

import abc
import json
import re
from dataclasses import asdict, dataclass

from handoff.privacy.redact import redact_text
from infra import redis_client
from infra.redis_client import guard

UNANSWERED_COUNTS = "kb:unanswered:counts"  # sorted set: normalised question -> times asked
UNANSWERED_LOG = "kb:unanswered:log"  # stream of every miss, newest last
FEEDBACK = "kb:feedback:{article_id}"  # hash: helpful / not_helpful -> count
LOG_LENGTH = 10_000


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
    async def ping(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...


class RedisInsightStore(redis_client.OnOneConnection, InsightStore):
    async def record_miss(self, miss: Miss) -> None:
        # Masked here too, whoever the caller: normalising first would break card numbers up.
        question = redact_text(miss.question)
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.zincrby(UNANSWERED_COUNTS, 1, normalise_question(question))
            pipe.xadd(
                UNANSWERED_LOG,
                {"miss": json.dumps(asdict(miss) | {"question": question})},
                maxlen=LOG_LENGTH,
                approximate=True,
            )
            await pipe.execute()

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


async def create(
    redis_url: str, timeout_seconds: float = redis_client.TIMEOUT_SECONDS
) -> RedisInsightStore:
    """Connect to Redis and check it answers; raise RedisUnavailable when it does not."""
    return await RedisInsightStore.open(redis_url, timeout_seconds=timeout_seconds)
