"""Outcome records in Redis: the conversations Rasa marked active, the append-only stream of
records, and the surveys (keys: outcomes/keys.py).

- Rasa's tracker store marks a conversation active on every save (`ZADD outcomes:active`);
  the watchdog asks for the ones `idle` since a time and settles each.
- `write` is one Lua script: `SET outcomes:written:{conversation}:{session} NX` (kept as long
  as the records are), then `XADD outcomes:stream MAXLEN ~ max_records` of the record and
  `XTRIM MINID ~` (records older than the retention go), and `ZREM outcomes:active` unless the
  conversation was active again meanwhile. The session's state change and its record happen
  in one step: a retry, a crash between two steps or a second watchdog writes nothing twice.
- A survey is kept under `outcomes:survey:{conversation}:{session}` (one per session: a second
  raises `SecondSurvey`); the watchdog puts it in the record, and a survey saved after the
  record was written is appended to the stream as a `survey` entry instead, in the same
  script that stores it (and `write` appends one saved while the record was being decided).

Readers (the metrics' cache) page through the stream with `read(after_id, count)`, which gives
`OutcomeRecord`s and `LateSurvey`s in stream order and the cursor to pass next time; `fold`
merges them into a dict by record key. Stream entries: `kind` (outcome | survey), `key`
("{conversation}:{session}") and `record` or `survey` (JSON; no customer text).

Every method raises `RedisUnavailable` (infra/redis_client.py) when Redis cannot do it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as redis

from infra import redis_client
from infra.clock import iso_utc
from infra.redis_client import await_reply, guard
from outcomes import keys
from outcomes.record import OutcomeFormatError, OutcomeRecord, Survey
from outcomes.session import read_session
from outcomes.surveys import SecondSurvey

log = logging.getLogger(__name__)
RETENTION = timedelta(days=365)
MAX_RECORDS = 1_000_000
READ_COUNT = 1000
# KEYS: written, stream, active, survey. ARGV: record JSON, key, TTL seconds, max records,
# oldest stream id kept, conversation id, idle cutoff (Unix seconds), "1" when the record holds
# the saved survey. Returns 1 when this call wrote the record.
WRITE = """
local wrote = 0
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'outcome', 'key', ARGV[2],
    'record', ARGV[1])
  local survey = redis.call('GET', KEYS[4])
  if survey and ARGV[8] ~= '1' then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'survey', 'key', ARGV[2],
      'survey', survey)
  end
  redis.call('XTRIM', KEYS[2], 'MINID', '~', ARGV[5])
  wrote = 1
end
local score = redis.call('ZSCORE', KEYS[3], ARGV[6])
if score and tonumber(score) <= tonumber(ARGV[7]) then redis.call('ZREM', KEYS[3], ARGV[6]) end
return wrote
"""
# KEYS: survey, written, stream. ARGV: survey JSON, key, TTL seconds, max records.
# Returns 0 when the session already has a survey, 1 when kept for the record, 2 when appended.
SAVE_SURVEY = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) == false then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'survey', 'key', ARGV[2],
    'survey', ARGV[1])
  return 2
end
return 1
"""
# KEYS: active. ARGV: conversation id, idle cutoff. Removes it unless active again meanwhile.
FORGET = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""


@dataclass(frozen=True)
class LateSurvey:
    """A survey answered after its session's record was written (join it by `key`)."""

    conversation_id: str
    session: str
    survey: Survey
    saved_at: str

    @property
    def key(self) -> str:
        return f"{self.conversation_id}:{self.session}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LateSurvey:
        data = json.loads(text)
        return cls(**{**data, "survey": Survey(**data["survey"])})


StreamItem = OutcomeRecord | LateSurvey


class OutcomeStore(redis_client.OnOneConnection):
    def __init__(
        self, client: redis.Redis, retention: timedelta = RETENTION, max_records: int = MAX_RECORDS
    ) -> None:
        super().__init__(client)
        self.retention = retention
        self.max_records = max_records
        self._write = client.register_script(WRITE)
        self._save_survey = client.register_script(SAVE_SURVEY)
        self._forget = client.register_script(FORGET)

    async def idle(self, before: datetime, limit: int = 100) -> list[str]:
        """Conversations last active before `before`, the longest idle first."""
        async with guard():
            found = self._redis.zrangebyscore(keys.ACTIVE, "-inf", before.timestamp(), 0, limit)
            return list(await await_reply(found))

    async def tracker(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation as Rasa's tracker store keeps it (masked), or None."""
        async with guard():
            stored = await await_reply(self._redis.get(keys.tracker(conversation_id)))
        if stored is None:
            return None
        try:
            tracker = json.loads(stored)
        except ValueError:
            log.error("the tracker of %s is not JSON", conversation_id)
            return None
        return tracker if isinstance(tracker, dict) else None

    async def latest_session(self, conversation_id: str) -> str | None:
        """The key of the conversation's session a survey belongs to (None: no conversation)."""
        tracker = await self.tracker(conversation_id)
        session = read_session(tracker) if tracker is not None else None
        return session.key if session is not None else None

    async def write(
        self,
        record: OutcomeRecord,
        *,
        now: datetime,
        idle_before: datetime | None = None,
        holds_saved_survey: bool = False,
    ) -> bool:
        """Append the record once per session (False: it was written before) and stop watching
        the conversation unless it was active after `idle_before` (None: keep watching it, for
        an earlier session of a conversation that went on). `holds_saved_survey`: the record
        carries the survey saved for its session."""
        names = [
            keys.written(record.conversation_id, record.session),
            keys.STREAM,
            keys.ACTIVE,
            keys.survey(record.conversation_id, record.session),
        ]
        cutoff = idle_before.timestamp() if idle_before is not None else 0.0
        args: list[str | int] = [
            record.to_json(),
            record.key,
            self._ttl_seconds(),
            self.max_records,
            self._oldest_id(now),
            record.conversation_id,
            repr(cutoff),
            "1" if holds_saved_survey else "0",
        ]
        async with guard():
            return bool(await self._write(keys=names, args=args))

    async def is_written(self, conversation_id: str, session: str) -> bool:
        """Whether the session's record is written (within the retention)."""
        async with guard():
            found = await await_reply(self._redis.exists(keys.written(conversation_id, session)))
        return bool(found)

    async def forget(self, conversation_id: str, idle_before: datetime) -> bool:
        """Stop watching a conversation with nothing to record, unless active again since."""
        async with guard():
            args = [conversation_id, repr(idle_before.timestamp())]
            return bool(await self._forget(keys=[keys.ACTIVE], args=args))

    async def snooze(self, conversation_id: str, until: datetime) -> None:
        """Look at the conversation again once it is idle `until` (never earlier than its own
        latest activity; a conversation not watched stays so)."""
        later = {conversation_id: until.timestamp()}
        async with guard():
            await await_reply(self._redis.zadd(keys.ACTIVE, later, xx=True, gt=True))

    async def save_survey(
        self, conversation_id: str, session: str, survey: Survey, *, now: datetime
    ) -> bool:
        """Keep the session's survey (True: appended to the stream, its record being written
        already). Raises SecondSurvey when the session has one."""
        late = LateSurvey(conversation_id, session, survey, iso_utc(now))
        names = [
            keys.survey(conversation_id, session),
            keys.written(conversation_id, session),
            keys.STREAM,
        ]
        args: list[str | int] = [late.to_json(), late.key, self._ttl_seconds(), self.max_records]
        async with guard():
            outcome = int(await self._save_survey(keys=names, args=args))
        if outcome == 0:
            raise SecondSurvey(f"the session {session} of {conversation_id} has its survey")
        return outcome == 2

    async def saved_survey(self, conversation_id: str, session: str) -> Survey | None:
        async with guard():
            stored = await await_reply(self._redis.get(keys.survey(conversation_id, session)))
        return LateSurvey.from_json(stored).survey if stored else None

    async def read(
        self, after_id: str = "0-0", count: int = READ_COUNT
    ) -> tuple[list[StreamItem], str]:
        """Up to `count` stream entries after `after_id` ("0-0": from the start), oldest first,
        and the id to read after next time (`after_id` itself when there was nothing new).
        Unreadable entries are logged and skipped."""
        async with guard():
            rows: list[tuple[str, dict[str, str]]] = await await_reply(
                self._redis.xrange(keys.STREAM, f"({after_id}", "+", count=count)
            )
        items = [item for entry_id, fields in rows if (item := _item(entry_id, fields))]
        return items, rows[-1][0] if rows else after_id

    def _ttl_seconds(self) -> int:
        return int(self.retention.total_seconds())

    def _oldest_id(self, now: datetime) -> str:
        return f"{int((now - self.retention).timestamp() * 1000)}-0"


def fold(records: MutableMapping[str, OutcomeRecord], items: Iterable[StreamItem]) -> None:
    """Merge stream items into records by key: a late survey goes into its record (one whose
    record is no longer kept is dropped)."""
    for item in items:
        if isinstance(item, OutcomeRecord):
            records[item.key] = item
        elif item.key in records:
            records[item.key] = replace(records[item.key], survey=item.survey)


async def append_many(client: redis.Redis, records: Sequence[OutcomeRecord]) -> None:
    """Append records as they are, in one pipeline, without the per-session check: for
    generated data (benchmarks, demos), never for live conversations."""
    async with guard():
        pipe = client.pipeline(transaction=False)
        for record in records:
            fields = {"kind": "outcome", "key": record.key, "record": record.to_json()}
            pipe.xadd(keys.STREAM, fields)  # type: ignore[arg-type]
        await pipe.execute()


async def create(
    redis_url: str,
    *,
    retention: timedelta = RETENTION,
    max_records: int = MAX_RECORDS,
    timeout_seconds: float = redis_client.TIMEOUT_SECONDS,
) -> OutcomeStore:
    """Connect to Redis and check it answers; raise RedisUnavailable when it does not."""
    client = await redis_client.connect_checked(redis_url, timeout_seconds=timeout_seconds)
    return OutcomeStore(client, retention, max_records)


def _item(entry_id: str, fields: dict[str, str]) -> StreamItem | None:
    try:
        if fields.get("kind") == "outcome":
            return OutcomeRecord.from_json(fields["record"])
        if fields.get("kind") == "survey":
            return LateSurvey.from_json(fields["survey"])
    except (KeyError, TypeError, ValueError, OutcomeFormatError) as error:
        log.error("outcome stream entry %s is unreadable: %s", entry_id, error)
        return None
    log.error("outcome stream entry %s has an unknown kind", entry_id)
    return None
