"""The help-desk events of a ticket write, queued inside the write's own MULTI: a write and its
events are stored together or not at all. `queue_events` is the store's `QueueEvents`
(handoff/store/ticket_writes.py), given to it where it is opened (service/app.py); the store
itself imports nothing of the sync.

Only teams with a target get events: a small Lua script, queued in the same MULTI, adds the
entry to `helpdesk:events` only when one of the event's teams is in `helpdesk:teams`, the set
the service publishes from routing.yml at start-up (`publish_teams`). So with no target
configured nothing is kept (no transcript copied anywhere), and the gateway, which writes a
customer's messages through the same store, needs no help-desk configuration of its own. The
stream has no length cap: an entry stays until every target's consumer group is past it
(delivery.py trims), so a help desk that is down for a while loses nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import redis.asyncio as redis

from handoff.ticket_record import TicketRecord
from helpdesk import keys
from helpdesk.events import events_of
from infra.redis_client import guard

# KEYS: helpdesk:teams, helpdesk:events. ARGV: the event's teams (space-separated), then the
# entry's field/value pairs. Adds the entry when one of the teams has a target.
ENQUEUE = """
for team in string.gmatch(ARGV[1], '%S+') do
  if redis.call('SISMEMBER', KEYS[1], team) == 1 then
    return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
  end
end
return false
"""


def queue_events(pipe: Any, old: TicketRecord | None, new: TicketRecord) -> None:
    """Inside MULTI: queue the help-desk events of this write (kept only for teams with a
    target)."""
    for event in events_of(old, new):
        fields = event.to_fields()
        pairs = [item for pair in fields.items() for item in pair]
        pipe.eval(ENQUEUE, 2, keys.TEAMS, keys.EVENTS, fields["teams"], *pairs)


async def publish_teams(client: redis.Redis, teams: Collection[str]) -> None:
    """Make `teams` the teams whose writes are enqueued (all at once)."""
    async with guard():
        pipe = client.pipeline(transaction=True)
        pipe.delete(keys.TEAMS)
        if teams:
            pipe.sadd(keys.TEAMS, *sorted(teams))
        await pipe.execute()
