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
- otherwise it decides the outcome (outcomes/classify.py) with the session's saved survey and
  writes it once (outcomes/store.py); a session with nothing to record (a widget opened and
  closed) is just no longer watched.

Any number of service replicas may run it: a session's record is written once whoever gets
there first, and a conversation active again meanwhile stays watched.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from handoff.store import TicketStore
from infra.clock import Clock
from infra.redis_client import RedisUnavailable
from outcomes.classify import classify, must_wait, session_tickets
from outcomes.session import read_session
from outcomes.store import OutcomeStore

log = logging.getLogger(__name__)
BATCH = 100
"""Conversations settled per tick at most (the longest idle first)."""


@dataclass(frozen=True)
class OutcomeWatchdog:
    outcomes: OutcomeStore
    tickets: TicketStore
    clock: Clock
    inactivity: timedelta
    customer_key_secret: bytes

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
        """Write the conversation's session record if it is over; 1 when this call wrote it."""
        tracker = await self.outcomes.tracker(conversation_id)
        session = read_session(tracker) if tracker is not None else None
        if tracker is None or session is None:
            await self.outcomes.forget(conversation_id, cutoff)
            return 0
        current = (await self.tickets.conversation(conversation_id)).get("ticket_id")
        ticket_ids = list(dict.fromkeys([*session.ticket_ids, *([current] if current else [])]))
        tickets = session_tickets(session, await self.tickets.many(ticket_ids))
        if must_wait(tickets, now, self.inactivity):
            await self.outcomes.snooze(conversation_id, now)
            return 0
        survey = await self.outcomes.saved_survey(conversation_id, session.key)
        record = classify(
            tracker,
            tickets,
            conversation_id=conversation_id,
            now=now,
            customer_key_secret=self.customer_key_secret,
            survey=survey,
        )
        if record is None:
            await self.outcomes.forget(conversation_id, cutoff)
            return 0
        wrote = await self.outcomes.write(
            record, now=now, idle_before=cutoff, holds_saved_survey=survey is not None
        )
        if wrote:
            log.info("outcome of %s recorded: %s", conversation_id, record.outcome)
        return int(wrote)


async def run(watchdog: OutcomeWatchdog, interval: float) -> None:
    """Until cancelled: settle idle conversations every `interval` seconds."""
    task = asyncio.current_task()
    while True:
        try:
            await watchdog.tick()
        except RedisUnavailable as error:
            log.warning("outcome watchdog: %s; trying again in %.1f s", error, interval)
        except Exception:  # a bug must not stop every future record: log it, keep watching
            log.exception("outcome watchdog: unexpected error; trying again in %.1f s", interval)
        if task is not None and task.cancelling():
            raise asyncio.CancelledError  # see service/sla_watchdog.py: stop as asked
        await asyncio.sleep(interval)
