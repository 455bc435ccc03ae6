"""The QA review's Redis store: review cases, the review queue, verdicts and agent scorecards,
all under `review:` (apart from Rasa's `tracker:`, the handoff's `handoff:`, the outcomes'
`outcomes:`):

    review:case:{conversation}:{session}   string  the review case JSON (masked); sampled or
                                                   reviewed cases are kept, others expire
    review:record:{conversation}:{session} string  its outcome record JSON (no customer text),
                                                   kept as long as the case: a survey answered
                                                   later can still get the session sampled
    review:sample:{conversation}:{session} string  the queue entry JSON (why it was sampled)
    review:queue                           zset    sampled sessions not yet reviewed, score
                                                   sampled at (Unix seconds)
    review:verdict:{conversation}:{session} string the verdict JSON (one per session)
    review:verdicts                        zset    reviewed sessions, score reviewed at
    review:scorecard:{ticket_id}           string  the scorecard JSON (one per ticket)
    review:scorecards                      zset    scored tickets, score scored at
    review:agent:{agent_id}:scorecards     zset    the agent's scored tickets, score scored at

Every write is one atomic step (a transaction or a Lua script) that stores nothing twice: a
second case, sample, verdict or scorecard for the same key changes nothing and says so. The
store's base class `ReviewStore` is the whole contract; `create` opens the Redis one
(infra/redis_client.py: explicit timeouts, errors raised as `RedisUnavailable`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from datetime import datetime, timedelta

import redis.asyncio as redis

from infra.redis_client import OnOneConnection, await_reply, guard
from outcomes.record import OutcomeRecord
from review.case import ReviewCase
from review.queue import QueueEntry
from review.scorecards import Scorecard
from review.verdicts import Verdict

PREFIX = "review:"
QUEUE = PREFIX + "queue"
VERDICTS = PREFIX + "verdicts"
SCORECARDS = PREFIX + "scorecards"
MAX_LISTED = 500

# KEYS: verdict, verdicts, queue, case, record; ARGV: verdict json, session key, time
SAVE_VERDICT = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('PERSIST', KEYS[4])
redis.call('PERSIST', KEYS[5])
return 1
"""
# KEYS: sample, queue, case, record; ARGV: sample json, session key, time
QUEUE_SAMPLE = """
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[2])
redis.call('PERSIST', KEYS[3])
redis.call('PERSIST', KEYS[4])
return 1
"""
# KEYS: scorecard, scorecards, agent's scorecards; ARGV: scorecard json, ticket id, time
SAVE_SCORECARD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
return 1
"""


def case_key(key: str) -> str:
    return f"{PREFIX}case:{key}"


def record_key(key: str) -> str:
    return f"{PREFIX}record:{key}"


def sample_key(key: str) -> str:
    return f"{PREFIX}sample:{key}"


def verdict_key(key: str) -> str:
    return f"{PREFIX}verdict:{key}"


def scorecard_key(ticket_id: str) -> str:
    return f"{PREFIX}scorecard:{ticket_id}"


def agent_scorecards_key(agent_id: str) -> str:
    return f"{PREFIX}agent:{agent_id}:scorecards"


def _seconds(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


class ReviewStore(abc.ABC):
    @abc.abstractmethod
    async def save_case(
        self,
        case: ReviewCase,
        record: OutcomeRecord,
        sample: QueueEntry | None,
        keep_unsampled: timedelta,
    ) -> bool:
        """Keep the case and its outcome record (for good when sampled, else for
        `keep_unsampled`) and queue the sample; False when the session's case was already kept
        (nothing changes)."""

    @abc.abstractmethod
    async def case(self, key: str) -> ReviewCase | None: ...

    @abc.abstractmethod
    async def record(self, key: str) -> OutcomeRecord | None:
        """The outcome record kept with the session's case."""

    @abc.abstractmethod
    async def queue_sample(self, sample: QueueEntry) -> bool:
        """Queue a session sampled after its case was kept (a late survey), keeping its case and
        record for good; False when it was already sampled or has no case (nothing changes)."""

    @abc.abstractmethod
    async def queue(self, limit: int) -> tuple[int, list[QueueEntry]]:
        """How many sessions wait for review, and the oldest `limit` of them."""

    @abc.abstractmethod
    async def sample(self, key: str) -> QueueEntry | None: ...

    @abc.abstractmethod
    async def save_verdict(self, verdict: Verdict) -> bool:
        """Store the session's verdict, take it off the queue and keep its case for good;
        False when the session already has one (nothing changes)."""

    @abc.abstractmethod
    async def verdict(self, key: str) -> Verdict | None: ...

    @abc.abstractmethod
    async def verdicts(self, limit: int = MAX_LISTED) -> list[Verdict]:
        """The most recent verdicts, newest first."""

    @abc.abstractmethod
    async def save_scorecard(self, card: Scorecard) -> bool:
        """False when the ticket already has a scorecard (nothing changes)."""

    @abc.abstractmethod
    async def scorecards(self, agent_id: str | None, limit: int = MAX_LISTED) -> list[Scorecard]:
        """The most recent scorecards of one agent (or everyone's), newest first."""

    @abc.abstractmethod
    async def scorecards_between(
        self, start: datetime, end: datetime, limit: int = 10 * MAX_LISTED
    ) -> list[Scorecard]:
        """Everyone's scorecards scored from `start` up to (not including) `end`."""


class RedisReviewStore(OnOneConnection, ReviewStore):
    def __init__(self, client: redis.Redis) -> None:
        super().__init__(client)
        self._save_verdict = client.register_script(SAVE_VERDICT)
        self._save_scorecard = client.register_script(SAVE_SCORECARD)
        self._queue_sample = client.register_script(QUEUE_SAMPLE)

    async def save_case(
        self,
        case: ReviewCase,
        record: OutcomeRecord,
        sample: QueueEntry | None,
        keep_unsampled: timedelta,
    ) -> bool:
        expiry = None if sample else max(1, int(keep_unsampled.total_seconds()))
        async with guard():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(case_key(case.key), case.to_json(), nx=True, ex=expiry)
                pipe.set(record_key(case.key), record.to_json(), nx=True, ex=expiry)
                if sample is not None:
                    pipe.set(sample_key(case.key), sample.to_json(), nx=True)
                    pipe.zadd(QUEUE, {case.key: _seconds(sample.sampled_at)}, nx=True)
                results = await pipe.execute()
        return bool(results[0])

    async def case(self, key: str) -> ReviewCase | None:
        async with guard():
            text = await await_reply(self._redis.get(case_key(key)))
        return ReviewCase.from_json(text) if text else None

    async def record(self, key: str) -> OutcomeRecord | None:
        async with guard():
            text = await await_reply(self._redis.get(record_key(key)))
        return OutcomeRecord.from_json(text) if text else None

    async def queue_sample(self, sample: QueueEntry) -> bool:
        keys = [sample_key(sample.key), QUEUE, case_key(sample.key), record_key(sample.key)]
        async with guard():
            queued = await self._queue_sample(
                keys=keys, args=[sample.to_json(), sample.key, _seconds(sample.sampled_at)]
            )
        return bool(queued)

    async def queue(self, limit: int) -> tuple[int, list[QueueEntry]]:
        async with guard():
            total = await await_reply(self._redis.zcard(QUEUE))
            keys = await await_reply(self._redis.zrange(QUEUE, 0, max(0, limit - 1)))
            texts = await self._values(keys, sample_key)
        return int(total), [QueueEntry.from_json(text) for text in texts]

    async def sample(self, key: str) -> QueueEntry | None:
        async with guard():
            text = await await_reply(self._redis.get(sample_key(key)))
        return QueueEntry.from_json(text) if text else None

    async def save_verdict(self, verdict: Verdict) -> bool:
        keys = [
            verdict_key(verdict.key),
            VERDICTS,
            QUEUE,
            case_key(verdict.key),
            record_key(verdict.key),
        ]
        async with guard():
            saved = await self._save_verdict(
                keys=keys, args=[verdict.to_json(), verdict.key, _seconds(verdict.at)]
            )
        return bool(saved)

    async def verdict(self, key: str) -> Verdict | None:
        async with guard():
            text = await await_reply(self._redis.get(verdict_key(key)))
        return Verdict.from_json(text) if text else None

    async def verdicts(self, limit: int = MAX_LISTED) -> list[Verdict]:
        async with guard():
            keys = await await_reply(self._redis.zrevrange(VERDICTS, 0, max(0, limit - 1)))
            texts = await self._values(keys, verdict_key)
        return [Verdict.from_json(text) for text in texts]

    async def save_scorecard(self, card: Scorecard) -> bool:
        keys = [scorecard_key(card.ticket_id), SCORECARDS, agent_scorecards_key(card.agent_id)]
        async with guard():
            saved = await self._save_scorecard(
                keys=keys, args=[card.to_json(), card.ticket_id, _seconds(card.at)]
            )
        return bool(saved)

    async def scorecards(self, agent_id: str | None, limit: int = MAX_LISTED) -> list[Scorecard]:
        index = agent_scorecards_key(agent_id) if agent_id else SCORECARDS
        async with guard():
            tickets = await await_reply(self._redis.zrevrange(index, 0, max(0, limit - 1)))
            texts = await self._values(tickets, scorecard_key)
        return [Scorecard.from_json(text) for text in texts]

    async def scorecards_between(
        self, start: datetime, end: datetime, limit: int = 10 * MAX_LISTED
    ) -> list[Scorecard]:
        async with guard():
            tickets = await await_reply(
                self._redis.zrangebyscore(
                    SCORECARDS, start.timestamp(), f"({end.timestamp()}", start=0, num=limit
                )
            )
            texts = await self._values(tickets, scorecard_key)
        return [Scorecard.from_json(text) for text in texts]

    async def _values(self, ids: list[str], key_of: Callable[[str], str]) -> list[str]:
        """The stored texts of the ids an index listed, in its order; ids whose value has
        expired since are left out."""
        if not ids:
            return []
        texts = await await_reply(self._redis.mget([key_of(each) for each in ids]))
        return [text for text in texts if text]


async def create(url: str) -> RedisReviewStore:
    """The Redis review store, its connection checked (RedisUnavailable otherwise)."""
    return await RedisReviewStore.open(url)
