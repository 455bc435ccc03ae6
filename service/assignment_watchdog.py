"""The assignment watchdog: a background task that keeps assignment following the agents
(service/desk/assignment.py; docs/handoff.md, "Assignment that follows the agents").

Every `SLA_WATCHDOG_INTERVAL` seconds (the SLA watchdog's pace) it

- requeues the chats, waiting for a reply, of agents away or offline for longer than
  `HANDOFF_REQUEUE_AFTER_SECONDS` (0: never), with the customer told;
- offers waiting tickets to online agents with a free slot (a team's opening hour with agents
  already online; an offer lost when Redis failed right after a slot was freed).

Each requeue and each assignment is one transaction on the ticket that checks the ticket is still
as expected (still the absent agent's and unanswered; still waiting), and the customer's notice is
in the same MULTI: however many service replicas run this, a chat is requeued and told once, and
a ticket is assigned once.
"""

from __future__ import annotations

from datetime import timedelta

from service.desk import HandoffDesk
from service.watch_loop import every


async def run(desk: HandoffDesk, interval: float, grace: timedelta) -> None:
    """Until cancelled: one `tick` every `interval` seconds."""
    await every(interval, lambda: tick(desk, grace), "assignment watchdog")


async def tick(desk: HandoffDesk, grace: timedelta) -> tuple[int, int]:
    """Requeue, then offer; returns (chats requeued, tickets assigned)."""
    requeued = await desk.requeue_absent(grace)
    assigned = await desk.fill_free_slots()
    return requeued, assigned
