"""Assignment that follows the agents (docs/handoff.md, "Assignment that follows the agents").

- `offer_waiting`: an agent who comes online or frees a slot (resolve, hand back, transfer or
  escalate away) takes the waiting tickets of their teams, most urgent first and, within a
  priority, oldest first (the queues' order), until their slots are full or nothing they can
  take waits. Each is assigned the way `place` assigns a new ticket (status `assigned` by the
  assistant, the customer told "X joined the chat"), and only in a team's open hours: a closed
  team's tickets wait for its shift, as new ones do. The status history says why ("assigned to
  maya (maya came online)").
- `fill_free_slots`: the same for every online agent with room, least loaded first, one ticket
  each per round; the assignment watchdog runs it. It catches the hour a team opens with its
  agents already online, and an offer lost when Redis failed between a freed slot and the offer.
- `requeue_absent`: an agent away or offline for longer than the grace period
  (`HANDOFF_REQUEUE_AFTER_SECONDS`) gives up the chats whose customer waits for their reply
  (the customer's message is the latest, `TicketRecord.awaits_agent_reply`): each goes back to
  its team's queue at its place, the customer is told (outbox `requeued`), and it is placed
  again: to a colleague online with room, else it waits (offline, with a follow-up promise,
  when nobody with the skill is online or the team is closed).

Every move is one transition of handoff/lifecycle.py run by the store in WATCH/MULTI on the ticket
(and, for an assignment, the agent's open chats), with what the customer is told in the same
MULTI: two agents freeing slots at once never get the same ticket (one EXEC wins, the other sees
it assigned and takes the next), nobody goes over capacity, and a requeue happens once however
many service replicas run the watchdog.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from handoff import lifecycle
from handoff.routing.agents_config import AgentProfile
from handoff.routing.assignment import NEVER, absent_too_long
from handoff.store import AtCapacity
from handoff.store.agents import AgentState
from handoff.ticket_record import RecordFormatError, TicketRecord
from handoff.vocabulary import REQUEUED
from infra.redis_client import RedisUnavailable
from service.desk.base import DeskBase

log = logging.getLogger(__name__)
CANDIDATES = 10
"""Queue heads read at once: the ones ahead may be taken by someone else meanwhile."""
READ_ATTEMPTS = 3
SWEEP_REASON = "a free slot found by the assignment watchdog"


class Assignment(DeskBase):
    async def offer_waiting(self, agent_id: str, why: str) -> list[TicketRecord]:
        """The waiting tickets the agent takes now, in the order they took them (none when
        they are not online, full, or nothing of their open teams waits)."""
        profile = self.agents.agents.get(agent_id)
        taken: list[TicketRecord] = []
        while profile is not None and len(taken) < profile.max_concurrent:
            record = await self._take_next(profile, why)
            if record is None:
                break
            taken.append(record)
        return taken

    async def offer_after(self, agent: AgentProfile, why: str) -> None:
        """`offer_waiting` after an agent's action that already succeeded: a Redis failure here
        is logged, not answered (the assignment watchdog offers the ticket at its next tick)."""
        try:
            taken = await self.offer_waiting(agent.id, why)
        except RedisUnavailable as error:
            log.warning("no waiting ticket offered to %s (%s): %s", agent.id, why, error)
            return
        for record in taken:
            log.info("ticket %s assigned to %s: %s", record.ticket_id, agent.id, why)

    async def fill_free_slots(self) -> int:
        """Offer waiting tickets to every online agent with room; returns how many were
        taken."""
        taken = 0
        for _ in range(sum(p.max_concurrent for p in self.agents.agents.values())):
            room = await self._agents_with_room()
            if not room or not await self._anything_for(room):
                break
            took = [await self._take_next(profile, SWEEP_REASON) for profile in room]
            if not any(took):
                break
            taken += sum(1 for record in took if record is not None)
        return taken

    async def requeue_absent(self, grace: timedelta) -> int:
        """Requeue the waiting-for-reply chats of agents absent for longer than `grace`
        (zero: never); returns how many this call requeued."""
        if grace <= timedelta(0):
            return 0
        now = self.now()
        states = await self.store.agents.states(list(self.agents.agents))
        requeued = 0
        for agent_id, state in states.items():
            if state.presence == "online" or not state.open_tickets:
                continue
            try:
                records = await self.store.tickets.many(sorted(state.open_tickets))
            except RecordFormatError as error:  # one unreadable chat must not stop the others'
                log.error("%s's chats cannot be checked for a requeue: %s", agent_id, error)
                continue
            for record in records:
                if (
                    record.agent_id == agent_id
                    and record.awaits_agent_reply
                    and absent_too_long(
                        state.presence, state.absent_since, record.assigned_at, now, grace
                    )
                ):
                    requeued += await self._requeue(record, agent_id, state, grace, now)
        return requeued

    async def _take_next(self, profile: AgentProfile, why: str) -> TicketRecord | None:
        """The next waiting ticket the agent can take, assigned to them; None when they are
        not online, are full, or nothing of their open teams waits."""
        for _ in range(READ_ATTEMPTS):
            now = self.now()
            state = (await self.store.agents.states([profile.id]))[profile.id]
            teams = self._open_teams(profile, now)
            if state.presence != "online" or state.load >= profile.max_concurrent or not teams:
                return None
            candidates = await self.store.tickets.queue_heads(teams, CANDIDATES)
            if not candidates:
                return None
            for ticket_id in candidates:
                try:
                    return await self.assign_to(
                        ticket_id,
                        profile.id,
                        profile.max_concurrent,
                        now,
                        why=why,
                        teams=profile.teams,
                    )
                except AtCapacity:
                    return None
                except (lifecycle.Conflict, LookupError):
                    continue  # taken, moved or gone meanwhile: the next one
                except RecordFormatError as error:
                    log.error("waiting ticket %s cannot be offered: %s", ticket_id, error)
        return None

    def _open_teams(self, profile: AgentProfile, now: datetime) -> list[str]:
        return sorted(
            team
            for team in profile.teams
            if team in self.routing.teams and self.routing.teams[team].schedule.is_open(now)
        )

    async def _agents_with_room(self) -> list[AgentProfile]:
        """Online agents with a free slot, least loaded first (as `choose_agent` ranks them)."""
        profiles = list(self.agents.agents.values())
        states = await self.store.agents.states([profile.id for profile in profiles])
        room = [
            profile
            for profile in profiles
            if states[profile.id].presence == "online"
            and states[profile.id].load < profile.max_concurrent
        ]

        def load(profile: AgentProfile) -> tuple[float, int, datetime, str]:
            state = states[profile.id]
            share = state.load / profile.max_concurrent
            return share, state.load, state.last_assigned_at or NEVER, profile.id

        return sorted(room, key=load)

    async def _anything_for(self, room: list[AgentProfile]) -> bool:
        now = self.now()
        teams = sorted({team for profile in room for team in self._open_teams(profile, now)})
        return bool(teams) and bool(await self.store.tickets.queue_heads(teams, 1))

    async def _requeue(
        self,
        record: TicketRecord,
        agent_id: str,
        state: AgentState,
        grace: timedelta,
        now: datetime,
    ) -> int:
        """One chat back to its team's queue with the customer told, then placed again; 0 when
        it was answered, moved or requeued (by another replica) meanwhile."""
        seconds = round(grace.total_seconds())
        why = (
            f"requeued: {agent_id} has been {state.presence} for longer than {seconds} s "
            "and the customer is waiting for a reply"
        )

        def requeue(current: TicketRecord) -> TicketRecord:
            return lifecycle.requeue(current, agent_id, why, now=now)

        def told(current: TicketRecord) -> dict[str, str]:
            return self.agent_event(REQUEUED, current, agent_id, team=current.team)

        try:
            requeued = await self.store.tickets.update(record.ticket_id, requeue, outbox=told)
        except (LookupError, lifecycle.Conflict):
            return 0
        log.info(
            "ticket %s requeued to team %s: %s is %s",
            record.ticket_id,
            requeued.team,
            agent_id,
            state.presence,
        )
        await self.place(requeued, now)
        return 1
