"""Retention and erasure for the help-desk sync: when tickets are deleted (handoff/store/
retention.py: closed past the retention period, or a customer's erasure), their events still
waiting in `helpdesk:events`, their dead letters and their desk ids go too. Events already
delivered are the help desk's to keep or erase (they are its records now)."""

from __future__ import annotations

from collections.abc import Collection

import redis.asyncio as redis

from helpdesk import keys
from infra.redis_client import await_reply

PAGE = 1000


async def forget_tickets(client: redis.Redis, ticket_ids: Collection[str]) -> None:
    """Delete what the sync keeps of these tickets (call inside infra's `guard`). The targets
    are the consumer groups on the stream."""
    if not ticket_ids or not await await_reply(client.exists(keys.EVENTS)):
        return
    groups = await client.xinfo_groups(keys.EVENTS)
    targets = [str(g["name"]).removeprefix(keys.GROUP_PREFIX) for g in groups]
    for stream in (keys.EVENTS, *(keys.dead_letters(target) for target in targets)):
        await _delete_entries(client, stream, ticket_ids)
    for target in targets:
        await client.hdel(keys.remote_ids(target), *ticket_ids)


async def _delete_entries(client: redis.Redis, stream: str, ticket_ids: Collection[str]) -> None:
    start = "-"
    while True:
        entries = await await_reply(client.xrange(stream, min=start, count=PAGE))
        doomed = [entry_id for entry_id, fields in entries if fields.get("ticket_id") in ticket_ids]
        if doomed:
            await client.xdel(stream, *doomed)
        if len(entries) < PAGE:
            return
        start = "(" + entries[-1][0]
