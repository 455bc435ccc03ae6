"""The outcome watchdog: a background task that ends idle conversation sessions with their
outcome record (docs/escalation-management.md, "Sessions and outcomes").

Rasa's tracker store marks a conversation active on every save (`outcomes:active`). Every
`OUTCOME_WATCHDOG_INTERVAL` seconds the watchdog takes the conversations idle longer than
`OUTCOME_INACTIVITY_SECONDS` and settles each:

- it reads the masked tracker Rasa stored (`tracker:{id}`) and the session's tickets (the ones
  the tracker names, and the conversation's current one);
- while a person still owes the customer an answer (an agent has the chat, or the customer
  waits in a queue in open hours and wrote to it recently) it looks again one inactivity
  later; the hand-back to the assistant marks the conversation active again anyway;
- otherwise it decides the outcome (outcomes/classify.py) with the session's saved survey,
  lets the QA review keep the session's case (`ReviewDesk.capture`, service/desk/review.py)
  and writes the record once (outcomes/store.py); a session with nothing to record (a widget
  opened and closed) is just no longer watched;
- a conversation that came back after Rasa's session expiry has several sessions: the earlier
  ones are over and are written too (once each, whenever the conversation is settled).

Any number of service replicas may run it: a session's record is written once whoever gets
there first, and a conversation active again meanwhile stays watched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from handoff.store import TicketStore
from handoff.ticket_record import TicketRecord
from infra.clock import Clock
from infra.redis_client import RedisUnavailable
from outcomes.classify import classify_session, must_wait, session_tickets
from outcomes.record import OutcomeRecord
from outcomes.session import Session, read_sessions
from outcomes.store import OutcomeStore
from service.watch_loop import every

log = logging.getLogger(__name__)
BATCH = 100
"""Conversations settled per tick at most (the longest idle first)."""


class CaseCapture(Protocol):
    """The QA review's hook (service/desk/review.py `ReviewDesk.capture`): keep the finished
    session's review case and sample it, before its record is written (safe to repeat)."""

    async def capture(self, record: OutcomeRecord, tracker: Mapping[str, Any]) -> object: ...


@dataclass(frozen=True)
class OutcomeWatchdog:
    outcomes: OutcomeStore
    tickets: TicketStore
    clock: Clock
    inactivity: timedelta
    customer_key_secret: bytes
    review: CaseCapture | None = None
    on_recorded: Callable[[str], None] | None = None
    """Told each written record's outcome (the Prometheus counter)."""

    async def tick(self) -> int:
        """Settle the conversations idle now; returns how many records this call wrote."""
        now = self.clock()
        cutoff = now - self.inactivity
        written = 0
        for conversation_id in await self.outcomes.idle(cutoff, BATCH):
            try:
                written += await self.settle(conversation_id, now, cutoff)
            except ValueError as error:  # an unreadable tracker, ticket or record
                # one unreadable conversation must not block the others: it is left out
                log.error("outcome of %s cannot be recorded: %s", conversation_id, error)
                await self.outcomes.forget(conversation_id, cutoff)
        return written

    async def settle(self, conversation_id: str, now: datetime, cutoff: datetime) -> int:
        """Write the records of the conversation's sessions that are over; returns how many
        this call wrote. Every session but the latest is over (a later one started); the
        latest is, unless a person still owes the customer an answer."""
        tracker = await self.outcomes.tracker(conversation_id)
        sessions = read_sessions(tracker) if tracker is not None else []
        if tracker is None or not sessions:
            await self.outcomes.forget(conversation_id, cutoff)
            return 0
        current = (await self.tickets.conversation(conversation_id)).get("ticket_id")
        named = [ticket_id for session in sessions for ticket_id in session.ticket_ids]
        ticket_ids = list(dict.fromkeys([*named, *([current] if current else [])]))
        tickets = await self.tickets.many(ticket_ids)
        latest = sessions[-1]
        if must_wait(session_tickets(latest, tickets), now, self.inactivity):
            await self.outcomes.snooze(conversation_id, now)
            sessions = sessions[:-1]
        written = 0
        for session in sessions:
            last = session is latest
            if await self.outcomes.is_written(conversation_id, session.key):
                if last:  # active again after its record: nothing more to write
                    await self.outcomes.forget(conversation_id, cutoff)
                continue
            written += await self._record(
                conversation_id, tracker, session, tickets, now, cutoff, last
            )
        return written

    async def _record(
        self,
        conversation_id: str,
        tracker: Mapping[str, Any],
        session: Session,
        tickets: list[TicketRecord],
        now: datetime,
        cutoff: datetime,
        latest: bool,
    ) -> int:
        """Write one session's record, its review case first (after the latest session, stop
        watching the conversation)."""
        survey = await self.outcomes.saved_survey(conversation_id, session.key)
        record = classify_session(
            session,
            tickets,
            conversation_id=conversation_id,
            now=now,
            customer_key_secret=self.customer_key_secret,
            survey=survey,
        )
        if record is None:
            if latest:
                await self.outcomes.forget(conversation_id, cutoff)
            return 0
        await self._capture(record, tracker)
        wrote = await self.outcomes.write(
            record,
            now=now,
            idle_before=cutoff if latest else None,
            holds_saved_survey=survey is not None,
        )
        if wrote:
            log.info("outcome of %s recorded: %s", conversation_id, record.outcome)
            if self.on_recorded is not None:
                self.on_recorded(record.outcome)
        return int(wrote)

    async def _capture(self, record: OutcomeRecord, tracker: Mapping[str, Any]) -> None:
        """The review case; a bug there is logged and never costs the outcome record."""
        if self.review is None:
            return
        try:
            await self.review.capture(record, tracker)
        except RedisUnavailable:
            raise
        except Exception:
            log.exception("review case of %s not kept", record.key)


async def run(watchdog: OutcomeWatchdog, interval: float) -> None:
    """Until cancelled: settle idle conversations every `interval` seconds."""
    await every(interval, watchdog.tick, "outcome watchdog")
