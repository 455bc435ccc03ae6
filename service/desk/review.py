"""The QA review's use cases, one method each: keep a finished session's case and sample it for
review (`capture`, called by the outcome watchdog), the review queue, one conversation with the
decision record of every turn, a verdict, an agent scorecard and the scorecards with their
trends. Views call one method; what the review refuses is raised as the desk's errors, which
service/errors.py answers with a 4xx (NotFound 404, InvalidRequest 400, NotAllowed 403,
AlreadyReviewed 409).

The pure parts are in review/ (the case, verdicts, sampling, scorecards, replaying the policy);
the Redis store is review/store.py; the tickets come from the handoff store.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handoff.detection.decision import EscalationDecider
from handoff.lifecycle import Conflict, NotAllowed
from handoff.routing.agents_config import AgentProfile
from handoff.store import TicketStore
from infra.clock import Clock, iso_utc, utc_now
from metrics.verdicts import Verdict as MetricsVerdict
from outcomes.record import OutcomeRecord, Survey
from review.capture import case_from_tracker
from review.case import CaseFormatError, ReviewCase
from review.queue import QueueEntry, queue_entry
from review.replay import decisions
from review.sampling import SamplingRule, sampled_by
from review.scorecards import Scorecard, ScorecardError, agent_trend, parse_scorecard, team_summary
from review.store import ReviewStore
from review.verdicts import Verdict, VerdictError, parse_verdict
from service.desk.errors import InvalidRequest, NotFound

log = logging.getLogger(__name__)
SESSION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
SUPERVISOR = "supervisor"
QUEUE_LIMIT = 200


class AlreadyReviewed(Conflict):
    """The session already has a verdict, or the ticket a scorecard: nothing is stored twice."""


@dataclass(frozen=True)
class ReviewedConversation:
    case: ReviewCase
    decisions: list[dict[str, Any]]
    verdict: Verdict | None
    sample: QueueEntry | None


@dataclass
class ReviewDesk:
    store: ReviewStore
    tickets: TicketStore
    rules: tuple[SamplingRule, ...]
    decider: EscalationDecider
    """The shipped escalation decision: replayed over a case to show each turn's decision."""
    keep_unsampled: timedelta = timedelta(days=30)
    """How long a case nobody sampled stays reviewable (sampled and reviewed ones stay)."""
    clock: Clock = utc_now

    async def capture(
        self, record: OutcomeRecord, tracker: str | bytes | Mapping[str, Any]
    ) -> ReviewCase | None:
        """Keep the session's review case and queue it when the sampling rules pick it. Call
        it before the outcome record is written: it stores nothing twice, so a retry is safe.
        An unreadable tracker is logged and skipped (None); Redis errors propagate."""
        try:
            case = case_from_tracker(
                tracker,
                conversation_id=record.conversation_id,
                session=record.session,
                captured_at=iso_utc(self.clock()),
            )
        except CaseFormatError as error:
            log.warning("no review case for %s: %s", record.key, error)
            return None
        reasons = sampled_by(record, self.rules)
        sample = queue_entry(record, reasons, iso_utc(self.clock())) if reasons else None
        await self.store.save_case(case, record, sample, self.keep_unsampled)
        return case

    async def survey_answered(self, conversation_id: str, session: str, survey: Survey) -> bool:
        """A survey answered after the session's record was written: the session is sampled
        when the rules pick it now (a low CSAT or effort score). True when this queued it."""
        record = await self.store.record(f"{conversation_id}:{session}")
        if record is None:
            return False  # no case kept (or it expired): nothing to review
        answered = dataclasses.replace(record, survey=survey)
        reasons = sampled_by(answered, self.rules)
        if not reasons:
            return False
        return await self.store.queue_sample(queue_entry(answered, reasons, iso_utc(self.clock())))

    async def queue(self, limit: int = QUEUE_LIMIT) -> tuple[int, list[QueueEntry]]:
        return await self.store.queue(limit)

    async def conversation(self, conversation_id: str, session: str) -> ReviewedConversation:
        case = await self._case(conversation_id, session)
        return ReviewedConversation(
            case=case,
            decisions=[decision.to_dict() for decision in decisions(case, self.decider)],
            verdict=await self.store.verdict(case.key),
            sample=await self.store.sample(case.key),
        )

    async def give_verdict(
        self, reviewer: AgentProfile, conversation_id: str, session: str, body: Mapping[str, Any]
    ) -> Verdict:
        case = await self._case(conversation_id, session)
        try:
            verdict = parse_verdict(body, case, reviewer.id, iso_utc(self.clock()))
        except VerdictError as error:
            raise InvalidRequest(str(error)) from None
        if not await self.store.save_verdict(verdict):
            raise AlreadyReviewed(f"{conversation_id} session {session} already has a verdict")
        return verdict

    async def score_ticket(
        self, reviewer: AgentProfile, ticket_id: str, body: Mapping[str, Any]
    ) -> Scorecard:
        record = await self.tickets.get(ticket_id)
        if record is None:
            raise NotFound(f"no ticket {ticket_id}")
        if record.agent_id is None or record.is_open:
            raise InvalidRequest(f"ticket {ticket_id} was not handled to the end by an agent")
        try:
            card = parse_scorecard(
                body, ticket_id, record.agent_id, reviewer.id, iso_utc(self.clock())
            )
        except ScorecardError as error:
            raise InvalidRequest(str(error)) from None
        if not await self.store.save_scorecard(card):
            raise AlreadyReviewed(f"ticket {ticket_id} already has a scorecard")
        return card

    async def scorecards(self, agent: AgentProfile, agent_id: str | None) -> dict[str, Any]:
        """A supervisor sees anyone's (everyone's without `agent_id`); an agent only their own."""
        if agent.role != SUPERVISOR and agent_id not in (None, agent.id):
            raise NotAllowed("agents see only their own scorecards")
        if agent.role != SUPERVISOR:
            agent_id = agent.id
        cards = await self.store.scorecards(agent_id)
        if agent_id is not None:
            return {
                "agent_id": agent_id,
                "scorecards": [card.to_dict() for card in cards],
                "trend": agent_trend(cards),
            }
        return {"scorecards": [card.to_dict() for card in cards], **team_summary(cards)}

    # -- what the analytics read (service/desk/analytics.py's ReviewFigures) -------------------

    async def verdicts(self) -> Sequence[MetricsVerdict]:
        """The verdicts in the metrics' shape (over/under-escalation rates)."""
        return [
            MetricsVerdict(conversation_key=v.key, verdict=v.verdict, turn=v.turn)
            for v in await self.store.verdicts()
        ]

    async def qa_scores(self, start: datetime, end: datetime) -> Mapping[str, float]:
        """Each agent's mean scorecard score over the scorecards given in the window."""
        by_agent: dict[str, list[float]] = {}
        for card in await self.store.scorecards_between(start, end):
            by_agent.setdefault(card.agent_id, []).append(card.overall)
        return {agent: round(statistics.fmean(scores), 2) for agent, scores in by_agent.items()}

    async def _case(self, conversation_id: str, session: str) -> ReviewCase:
        if not SESSION.match(session):
            raise InvalidRequest(
                "session must be the session's start, e.g. 2026-03-14T09:20:00.000Z"
            )
        case = await self.store.case(f"{conversation_id}:{session}")
        if case is None:
            raise NotFound(f"no review case for {conversation_id} session {session}")
        return case
