"""The gap topics' desk: unanswered questions recorded as they happen and grouped by meaning
(content/gap_topics.py, kept by content/topic_store.py), for the content team's topics list.

Three moments make a question unanswered, each recorded at once and put into its topic:

- a knowledge-base search without a confident answer (`record_miss`, from POST /kb/search: the
  query is masked there and masked again here);
- "that didn't help" on an answer (`record_not_helpful`, from POST /kb/feedback): the question
  that answer was for, read from the conversation's masked tracker in Redis;
- a new handoff ticket (`record_handoff`): the customer's need in their own words (masked, the
  ticket's "Wants"); the conversation's earlier questions are marked as ended in a handoff.

The vector of a question just searched is the one the search computed (RecentVectors): a miss
costs no second embedding. Recording never fails the caller: Redis down is logged and skipped.
`recluster` re-clusters the window; `topics` renders the list (largest first).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import redis.asyncio as redis

from content.gap_records import StoredQuestion, question_id_for
from content.gap_topics import Topic, cluster_questions
from content.topic_store import TopicStore
from handoff.privacy.redact import redact_text
from handoff.store import retention
from handoff.ticket.summary import customer_need
from handoff.ticket.transcript import TrackerFormatError
from handoff.ticket_record import TicketRecord
from infra.clock import Clock, iso_utc
from infra.redis_client import RedisUnavailable, await_reply, guard
from knowledge_base.embeddings import Embedder
from knowledge_base.index import Match
from knowledge_base.insights import Miss, normalise_question
from knowledge_base.library import KnowledgeBase
from knowledge_base.recent_vectors import RecentVectors
from outcomes import keys as outcome_keys
from outcomes.session import read_session
from service.desk.errors import NotFound

log = logging.getLogger(__name__)
EXAMPLES = 5
DAY_SECONDS = 86400.0
MAX_TEXT_CHARS = 1000


@dataclass
class GapTopicDesk:
    store: TopicStore
    redis: redis.Redis
    """The store's client (the desk closes it), also for reading trackers."""
    knowledge_base: KnowledgeBase
    embedder: Embedder
    """For customers' text (never cached on disk): the service's RecentVectors."""
    threshold: float
    """The answer threshold: the closest article is what a search at it ranks first."""
    clock: Clock

    async def record_miss(self, miss: Miss) -> bool:
        """A search without a confident answer (its query is masked already)."""
        return await self.record(
            miss.question,
            miss.conversation_id,
            "miss",
            (miss.closest_article_id, miss.closest_score),
        )

    async def record_handoff(self, record: TicketRecord) -> bool:
        """A new handoff: what the customer wanted, in their own words."""
        need = customer_need(record.ticket.customer_turns)
        if need is None:
            return False
        return await self.record(need.text, record.conversation_id, "handoff")

    async def record_not_helpful(self, conversation_id: str, article_id: str) -> bool:
        """Feedback "that didn't help": the question the article answered last in the
        conversation (from its masked tracker)."""
        try:
            async with guard():
                stored = await await_reply(self.redis.get(outcome_keys.tracker(conversation_id)))
            session = read_session(json.loads(stored)) if stored else None
        except (RedisUnavailable, ValueError, TrackerFormatError) as error:
            log.warning("no gap question for feedback in %s: %s", conversation_id, error)
            return False
        if session is None:
            return False
        shown = [a for a in session.articles if a.article_id == article_id and a.answered]
        turn = shown[-1].turn if shown else None
        asked = [t.text for t in session.turns if turn is not None and t.turn == turn]
        if not asked:
            return False
        closest = (article_id, shown[-1].score)
        return await self.record(asked[0], conversation_id, "not_helpful", closest)

    async def record(
        self,
        text: str,
        conversation_id: str,
        kind: str,
        closest: tuple[str | None, float | None] | None = None,
    ) -> bool:
        """Keep the (masked) question and put it into its topic; False when it was not kept
        (empty, asked before in the conversation, or a failure: logged, the caller's search,
        feedback or handoff goes on)."""
        try:
            return await self._record(text, conversation_id, kind, closest)
        except RedisUnavailable as error:
            log.error("could not keep an unanswered question for the gap topics: %s", error)
        except Exception:
            log.exception("could not keep an unanswered question for the gap topics")
        return False

    async def _record(
        self,
        text: str,
        conversation_id: str,
        kind: str,
        closest: tuple[str | None, float | None] | None,
    ) -> bool:
        masked = redact_text(text.strip())[:MAX_TEXT_CHARS]
        if not normalise_question(masked):
            return False
        if closest is None:
            closest = await asyncio.to_thread(self._closest, masked)
        vector = await self._vector(masked)
        question = StoredQuestion(
            question_id=question_id_for(conversation_id, normalise_question(masked)),
            text=masked,
            conversation_id=conversation_id,
            kind=kind,
            at=self.clock().timestamp(),
            closest_article_id=closest[0],
            closest_score=closest[1],
        )
        return (await self.store.add(question, vector)).added

    async def _vector(self, text: str) -> np.ndarray:
        """The text's vector: the one its search just computed when there is one."""
        if isinstance(self.embedder, RecentVectors):
            recalled = self.embedder.recalled(text)
            if recalled is not None:
                return recalled
        return (await asyncio.to_thread(self.embedder.embed, [text]))[0]

    def _closest(self, text: str) -> tuple[str | None, float | None]:
        """The published article a search ranks first for the text, and its score."""
        best = self._best(text)
        return (best.article.id, best.score) if best else (None, None)

    def _best(self, text: str) -> Match | None:
        return self.knowledge_base.state.index.search(text, self.threshold, limit=1).best

    async def recluster(self) -> dict[str, Any]:
        """A full re-clustering of the window's questions (content.gap_topics)."""
        now = self.clock().timestamp()
        topics = await self.store.recluster(now, cluster_questions)
        return {
            "reclustered_at": iso_utc(self.clock()),
            "questions": sum(topic.size for topic in topics),
            "topics": sum(1 for topic in topics if topic.size > 1),
            "unclustered": sum(1 for topic in topics if topic.size == 1),
        }

    async def topics(self, limit: int) -> dict[str, Any]:
        """The topics of more than one question, largest first (at most `limit`), and how many
        questions stand alone (`unclustered`)."""
        topics = await self.store.topics()
        questions = {q.question_id: q for q in await self.store.questions()}
        now = self.clock().timestamp()
        grouped, unclustered = [], 0
        for topic in topics:
            members = [questions[m] for m in topic.member_ids if m in questions]
            if len(members) > 1:
                grouped.append((topic, members))
            else:
                unclustered += len(members)
        shown = grouped[:limit]
        texts = [topic.representative.text for topic, _ in shown]
        closest = await asyncio.to_thread(lambda: [self._closest_json(text) for text in texts])
        return {
            "window_days": round(self.store.window.total_seconds() / DAY_SECONDS),
            "questions": len(questions),
            "topic_count": len(grouped),
            "topics": [
                topic_row(topic, members, now, article)
                for (topic, members), article in zip(shown, closest, strict=True)
            ],
            "unclustered": unclustered,
        }

    async def topic_questions(self, topic_id: str) -> list[str]:
        """A topic's questions (masked as kept), its representative first, then the newest;
        NotFound when the topic is gone (re-clustered, or its questions aged out)."""
        questions = {q.question_id: q for q in await self.store.questions()}
        for topic in await self.store.topics():
            if topic.topic_id == topic_id:
                members = sorted(
                    (questions[m] for m in topic.member_ids if m in questions),
                    key=lambda question: -question.at,
                )
                texts = [topic.representative.text, *(q.text for q in members)]
                return list(dict.fromkeys(texts))
        raise NotFound(f"no topic {topic_id}: re-clustered or aged out; reload the topics")

    def _closest_json(self, text: str) -> dict[str, Any] | None:
        best = self._best(text)
        if best is None:
            return None
        return {
            "article_id": best.article.id,
            "title": best.article.title,
            "score": best.score,
            "answers": best.score >= self.threshold,  # the gap is covered now
        }

    async def forget_customer_tickets(self, customer_id: str) -> int:
        """The questions of the conversations of a customer's tickets (the handoff's erasure,
        DELETE /handoff/customers/{id}; the full one is service/desk/privacy.py's)."""
        held = await retention.tickets_held(self.redis, customer_id, ())
        conversation_ids = {str(ticket["conversation_id"]) for ticket in held}
        return await self.store.forget_conversations(conversation_ids)

    async def close(self) -> None:
        await self.redis.aclose()


def topic_row(
    topic: Topic, members: Sequence[StoredQuestion], now: float, article: dict[str, Any] | None
) -> dict[str, Any]:
    """One topic as the content page shows it: its representative question, size, the trend
    (last 7 and 30 days), up to EXAMPLES other questions (newest first), how many ended in a
    handoff and the closest published article now."""
    newest = sorted(members, key=lambda question: -question.at)
    kinds = {kind: 0 for kind in ("miss", "not_helpful", "handoff")}
    for question in members:
        kinds[question.kind] = kinds.get(question.kind, 0) + 1
    return {
        "topic_id": topic.topic_id,
        "representative": topic.representative.text,
        "size": len(members),
        "last_7_days": sum(1 for q in members if now - q.at <= 7 * DAY_SECONDS),
        "last_30_days": sum(1 for q in members if now - q.at <= 30 * DAY_SECONDS),
        "examples": [q.text for q in newest if q.question_id != topic.representative.question_id][
            :EXAMPLES
        ],
        "kinds": kinds,
        "handoffs": sum(1 for q in members if q.kind == "handoff" or q.handed_off),
        "last_asked": iso_utc_seconds(newest[0].at),
        "closest_article": article,
    }


def iso_utc_seconds(timestamp: float) -> str:
    return iso_utc(datetime.fromtimestamp(timestamp, tz=timezone.utc))
