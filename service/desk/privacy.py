"""A customer's rights over what we hold: an access request (export as JSON) and erasure, each
leaving an audit entry without personal data. docs/privacy.md lists every kind of data, where
it lives, how long it is kept and how erasure finds it.

A customer is the verified customer id (signed claims) and their conversations. The
conversations come from indexes kept as the data is written, never from a search of Redis:
the privacy index Rasa's tracker store maintains (`privacy:customer:{digest}`,
handoff/privacy/customer_index.py) and the customer's tickets (`handoff:customer:{id}`). For
each conversation:

- Rasa: `tracker:{id}`, its masking marker `masked_tracker:{id}`, its lock, its mark in
  `outcomes:active`;
- the gateway: the conversation's keys and its session record (gateway/sessions.py);
- the handoff: tickets, conversation state, outbox, feed entries (handoff/store/retention.py);
- the knowledge base's unanswered-question log and counts (knowledge_base/insights.py);
- the content team's suggestions made from the customer's tickets (content/store.py);
- the gap topics' unanswered questions, out of their topics too (content/topic_store.py);
- per session (from the tracker and the outcome stream): the survey, the written mark, the QA
  review's case, record, sample and verdict; the outcome stream's records and late surveys;
- the QA scorecards of the customer's tickets (`review:scorecard:{ticket}`, a reviewer's note
  may speak of the customer), out of the team's and the agent's scorecard lists;
- the order desk's per-conversation keys (orders proved, the signed-in email's digest, held
  refund, failed attempts). `commerce:audit` stays: it holds order numbers and amounts, which
  the shop keeps anyway, and no customer text.

The outcome stream is read once in pages (it is capped, `OUTCOME_STREAM_MAX_RECORDS`); the
rest are direct key reads. Erasure is idempotent (a second one finds nothing and counts 0).
Afterwards Redis is asked to rewrite its append-only file (BGREWRITEAOF), so the erased values
leave the disk too rather than waiting for the next automatic rewrite.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection
from typing import Any

import redis.asyncio as redis
from redis.exceptions import ResponseError

from content.store import ContentStore
from content.topic_store import TopicStore
from gateway import sessions as gateway_sessions
from handoff.privacy import customer_index
from handoff.store import retention
from helpdesk.forget import forget_tickets
from infra import redis_client
from infra.clock import Clock, iso_utc
from infra.redis_client import await_reply, guard
from knowledge_base.insights import InsightStore
from mail.outbox import MailOutbox
from outcomes import keys as outcome_keys
from outcomes.classify import customer_key
from review import store as review_keys
from service.desk.privacy_export import conversation_export, session_keys

log = logging.getLogger(__name__)
STREAM_PAGE = 1000
AUDIT_LENGTH = 100_000
REWRITE_WAIT_SECONDS = 5.0


def conversation_keys(conversation_id: str) -> list[str]:
    """Keys named by the conversation id alone (Rasa's, the order desk's)."""
    tracker = outcome_keys.tracker(conversation_id)
    return [
        tracker,
        "masked_" + tracker,  # the tracker store's masking marker (its marker_key)
        f"lock:{conversation_id}",  # Rasa's Redis lock store
        f"commerce:verified:{conversation_id}",
        f"commerce:claimed:{conversation_id}",
        f"commerce:approval:{conversation_id}",
        f"commerce:failures:conversation:{conversation_id}",
    ]


def session_keys_of(conversation_id: str, session: str) -> list[str]:
    """Keys named by one session ("{conversation}:{session}")."""
    key = f"{conversation_id}:{session}"
    return [
        outcome_keys.survey(conversation_id, session),
        outcome_keys.written(conversation_id, session),
        review_keys.case_key(key),
        review_keys.record_key(key),
        review_keys.sample_key(key),
        review_keys.verdict_key(key),
    ]


class PrivacyDesk(redis_client.OnOneConnection):
    def __init__(
        self,
        client: redis.Redis,
        insights: InsightStore,
        customer_key_secret: bytes,
        clock: Clock,
        *,
        rewrite_aof: bool = True,
    ) -> None:
        super().__init__(client)
        self.insights = insights
        self.customer_key_secret = customer_key_secret
        self.clock = clock
        self.rewrite_aof = rewrite_aof
        self.content = ContentStore(client)  # agents' answers kept as suggestions

    async def conversations(self, customer_id: str) -> list[str]:
        """The customer's conversation ids: the privacy index and their tickets'."""
        async with guard():
            indexed = await await_reply(
                self._redis.smembers(customer_index.customer_conversations(customer_id))
            )
        tickets = await retention.tickets_held(self._redis, customer_id, ())
        return sorted(set(indexed) | {str(ticket["conversation_id"]) for ticket in tickets})

    async def export(self, customer_id: str, *, by: str) -> dict[str, Any]:
        """Everything held about the customer, as stored (masked where it is masked)."""
        conversation_ids = await self.conversations(customer_id)
        outcomes = await self._outcome_entries(conversation_ids)
        parts = [await self._conversation(cid, outcomes) for cid in conversation_ids]
        misses = await self.insights.misses_of(conversation_ids)
        held = {
            "customer_id": customer_id,
            "exported_at": iso_utc(self.clock()),
            "conversations": parts,
            "tickets": await retention.tickets_held(self._redis, customer_id, conversation_ids),
            "unanswered_questions": [
                {"question": m.question, "conversation_id": m.conversation_id, "at": m.at}
                for m in misses
            ],
            "suggestions": [
                {"question": s.question, "answer": s.answer, "at": s.at}
                for s in await self.content.suggestions_of(conversation_ids)
            ],
            "gap_questions": [
                {
                    "question": q.text,
                    "kind": q.kind,
                    "conversation_id": q.conversation_id,
                    "at": q.at,
                }
                for q in await TopicStore(self._redis).questions_of(conversation_ids)
            ],
        }
        await self._audit("export", customer_id, by, {"conversations": len(parts)})
        return held

    async def erase(self, customer_id: str, *, by: str) -> dict[str, Any]:
        """Remove everything held about the customer; the counts by kind (all 0 the second
        time) and whether Redis's append-only file is being rewritten."""
        conversation_ids = await self.conversations(customer_id)
        outcomes = await self._outcome_entries(conversation_ids)
        sessions = {cid: await self._sessions(cid, outcomes) for cid in conversation_ids}
        held = await retention.tickets_held(self._redis, customer_id, conversation_ids)
        counts = {
            "conversations": len(conversation_ids),
            "scorecards": await self._erase_scorecards([str(t["ticket_id"]) for t in held]),
            "tickets": await retention.erase_customer(self._redis, customer_id, forget_tickets)
            + await retention.erase_conversations(self._redis, conversation_ids, forget_tickets),
            "unanswered_questions": await self.insights.forget_conversations(conversation_ids),
            "suggestions": await self.content.forget_conversations(conversation_ids),
            "gap_questions": await TopicStore(self._redis).forget_conversations(conversation_ids),
            "mails": await self._forget_mails(conversation_ids),
            "outcome_entries": await self._delete_entries(outcomes),
            "keys": 0,
        }
        for conversation_id in conversation_ids:
            counts["keys"] += await self._erase_conversation(
                conversation_id, sessions[conversation_id]
            )
        async with guard():
            index = customer_index.customer_conversations(customer_id)
            counts["keys"] += int(await await_reply(self._redis.delete(index)))
        await self._audit("erase", customer_id, by, counts)
        log.info("erased a customer's data: %s", counts)
        return {**counts, "aof_rewrite": await self._rewrite_aof()}

    async def _forget_mails(self, conversation_ids: list[str]) -> int:
        """Follow-up mails not sent yet (they hold the address) and their delivery states."""
        outbox = MailOutbox(self._redis)
        return sum([await outbox.forget_conversation(cid) for cid in conversation_ids])

    async def _conversation(
        self, conversation_id: str, outcomes: dict[str, list[tuple[str, dict[str, str]]]]
    ) -> dict[str, Any]:
        tracker = await self._tracker(conversation_id)
        async with guard():
            surveys = {}
            for session in await self._sessions(conversation_id, outcomes, tracker):
                stored = await await_reply(
                    self._redis.get(outcome_keys.survey(conversation_id, session))
                )
                if stored:
                    surveys[session] = json.loads(stored).get("survey", {})
            proved = await await_reply(self._redis.scard(f"commerce:verified:{conversation_id}"))
            email = await await_reply(self._redis.exists(f"commerce:claimed:{conversation_id}"))
        records = [
            json.loads(fields["record"])
            for _, fields in outcomes.get(conversation_id, [])
            if fields.get("kind") == "outcome" and "record" in fields
        ]
        facts = {
            "session_issued_at": await gateway_sessions.session_issued_at(
                self._redis, conversation_id
            ),
            "orders_proved": int(proved),  # kept as digests of the order numbers
            "signed_in_email_on_file": bool(email),  # kept as a digest for a day
        }
        return conversation_export(conversation_id, tracker, surveys, records, facts)

    async def _tracker(self, conversation_id: str) -> dict[str, Any] | None:
        async with guard():
            stored = await await_reply(self._redis.get(outcome_keys.tracker(conversation_id)))
        try:
            tracker = json.loads(stored) if stored else None
        except ValueError:
            return None
        return tracker if isinstance(tracker, dict) else None

    async def _sessions(
        self,
        conversation_id: str,
        outcomes: dict[str, list[tuple[str, dict[str, str]]]],
        tracker: dict[str, Any] | None = None,
    ) -> list[str]:
        """The conversation's session keys: from its tracker and its outcome entries."""
        tracker = tracker or await self._tracker(conversation_id)
        found = set(session_keys(tracker))
        prefix = conversation_id + ":"
        for _, fields in outcomes.get(conversation_id, []):
            found.add(fields.get("key", prefix)[len(prefix) :])
        return sorted(session for session in found if session)

    async def _outcome_entries(
        self, conversation_ids: Collection[str]
    ) -> dict[str, list[tuple[str, dict[str, str]]]]:
        """The outcome stream's entries of these conversations, by conversation (one pass)."""
        wanted = set(conversation_ids)
        found: dict[str, list[tuple[str, dict[str, str]]]] = {}
        start = "-"
        while wanted:
            async with guard():
                page: list[tuple[str, dict[str, str]]] = await await_reply(
                    self._redis.xrange(outcome_keys.STREAM, min=start, count=STREAM_PAGE)
                )
            for entry_id, fields in page:
                key = fields.get("key", "")  # "{conversation}:{session}"
                owner = next((c for c in wanted if key.startswith(c + ":")), None)
                if owner is not None:
                    found.setdefault(owner, []).append((entry_id, fields))
            if len(page) < STREAM_PAGE:
                break
            start = "(" + page[-1][0]
        return found

    async def _delete_entries(self, outcomes: dict[str, list[tuple[str, dict[str, str]]]]) -> int:
        entry_ids = [entry_id for entries in outcomes.values() for entry_id, _ in entries]
        if not entry_ids:
            return 0
        async with guard():
            return int(await await_reply(self._redis.xdel(outcome_keys.STREAM, *entry_ids)))

    async def _erase_scorecards(self, ticket_ids: list[str]) -> int:
        """The QA scorecards of the customer's tickets (a reviewer's note may speak of them),
        out of the team's and the agent's lists too; returns how many went."""
        erased = 0
        async with guard():
            for ticket_id in ticket_ids:
                stored = await await_reply(self._redis.get(review_keys.scorecard_key(ticket_id)))
                if not stored:
                    continue
                agent_id = _agent_of(stored)
                pipe = self._redis.pipeline(transaction=True)
                pipe.delete(review_keys.scorecard_key(ticket_id))
                pipe.zrem(review_keys.SCORECARDS, ticket_id)
                if agent_id:
                    pipe.zrem(review_keys.agent_scorecards_key(agent_id), ticket_id)
                deleted, *_ = await pipe.execute()
                erased += int(deleted)
        return erased

    async def _erase_conversation(self, conversation_id: str, sessions: list[str]) -> int:
        names = conversation_keys(conversation_id)
        for session in sessions:
            names += session_keys_of(conversation_id, session)
        members = [f"{conversation_id}:{session}" for session in sessions]
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.delete(*names)
            pipe.zrem(outcome_keys.ACTIVE, conversation_id)
            if members:
                pipe.zrem(review_keys.QUEUE, *members)
                pipe.zrem(review_keys.VERDICTS, *members)
            deleted, *_ = await pipe.execute()
        return int(deleted) + await gateway_sessions.erase_conversation(
            self._redis, conversation_id
        )

    async def _audit(self, action: str, customer_id: str, by: str, counts: dict[str, Any]) -> None:
        """One entry in `privacy:audit`: when, what, who, a keyed digest of the customer id
        (the one outcome records carry) and counts; no personal data."""
        entry: dict[Any, Any] = {
            "at": iso_utc(self.clock()),
            "action": action,
            "by": by,
            "customer_key": customer_key(customer_id, self.customer_key_secret) or "",
            "counts": json.dumps(counts, sort_keys=True),
        }
        async with guard():
            await self._redis.xadd(
                customer_index.AUDIT, entry, maxlen=AUDIT_LENGTH, approximate=True
            )

    async def _rewrite_aof(self) -> str:
        """Ask Redis to rewrite its append-only file (the erased writes leave the disk):
        `started`, `off` (no AOF), `busy` (a rewrite still running after a few seconds: the
        next one removes them), `refused` (a managed Redis that does not allow it)."""
        if not self.rewrite_aof:
            return "off"
        async with guard():
            for _ in range(int(REWRITE_WAIT_SECONDS / 0.1)):
                info = await self._redis.info("persistence")
                if not int(info.get("aof_enabled", 0)):
                    return "off"
                if not int(info.get("aof_rewrite_in_progress", 0)):
                    try:
                        await self._redis.bgrewriteaof()
                    except ResponseError as error:
                        log.warning("Redis refused to rewrite its append-only file: %s", error)
                        return "refused"
                    return "started"
                await asyncio.sleep(0.1)
        return "busy"


def _agent_of(stored_scorecard: str | bytes) -> str | None:
    try:
        card = json.loads(stored_scorecard)
    except ValueError:
        return None
    agent_id = card.get("agent_id") if isinstance(card, dict) else None
    return agent_id if isinstance(agent_id, str) else None
