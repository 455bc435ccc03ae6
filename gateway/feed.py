"""The console's live events: the ticket changes of `handoff:feed` that concern one signed-in
agent, written as a Server-Sent-Events stream.

Every ticket write adds a feed entry in its own transaction (handoff/store/tickets.py,
`feed_entry`: ids, team, status, owner, priority, transcript length; never what anyone wrote).
A stream starts at the feed's newest entry when the agent connects and forwards the entries of
the agent's teams (the ticket's team, or the team it just left) and of tickets they own or just
lost. Each stream reads with its own Redis connection (XREAD BLOCK would hold a shared one),
closed when the stream ends. The wire format:

    event: ready                  once, when the stream is reading (data: {"agent_id": ...})
    id: <entry id>
    event: ticket                 data: the feed entry as JSON (transcript_length a number)
    : heartbeat                   a comment when nothing happened for `heartbeat_seconds`
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis
from aiohttp import web

from handoff.store import keys as store_keys

FEED_FIELDS = (
    "kind",
    "ticket_id",
    "conversation_id",
    "team",
    "previous_team",
    "status",
    "agent_id",
    "previous_agent_id",
    "priority",
    "transcript_length",
)
READ_COUNT = 100
READER_NAME = "console-feed"  # CLIENT LIST shows each open stream's connection by this name


@dataclass(frozen=True)
class Viewer:
    """The signed-in agent a stream is for (from the service's GET /agent/me)."""

    agent_id: str
    teams: frozenset[str]

    @classmethod
    def from_me(cls, me: Mapping[str, Any]) -> Viewer:
        teams = me.get("teams")
        if not isinstance(me.get("id"), str) or not isinstance(teams, list):
            raise ValueError("GET /agent/me did not answer with an id and teams")
        return cls(agent_id=me["id"], teams=frozenset(str(team) for team in teams))


def concerns(viewer: Viewer, fields: Mapping[str, str]) -> bool:
    """Whether the agent may and should hear of this change: a ticket of their teams (now or
    just before a transfer or escalation), or one they own or just stopped owning."""
    if fields.get("team") in viewer.teams or fields.get("previous_team") in viewer.teams:
        return True
    return viewer.agent_id in (fields.get("agent_id"), fields.get("previous_agent_id"))


def ticket_event(entry_id: str, fields: Mapping[str, str]) -> bytes:
    data: dict[str, Any] = {name: fields[name] for name in FEED_FIELDS if name in fields}
    if "transcript_length" in data:
        data["transcript_length"] = int(data["transcript_length"])
    return f"id: {entry_id}\nevent: ticket\ndata: {json.dumps(data)}\n\n".encode()


def ready_event(viewer: Viewer) -> bytes:
    return f"event: ready\ndata: {json.dumps({'agent_id': viewer.agent_id})}\n\n".encode()


HEARTBEAT = b": heartbeat\n\n"


def open_reader(redis_url: str, heartbeat_seconds: float) -> redis.Redis:
    """A connection of one stream's own: its socket timeout outlasts the blocking read."""
    return redis.Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_connect_timeout=2.0,
        socket_timeout=heartbeat_seconds + 10.0,
        single_connection_client=True,
        client_name=READER_NAME,
    )


async def newest_entry_id(reader: redis.Redis) -> str:
    """Where a new stream starts: after the feed's newest entry ("0-0" for an empty feed)."""
    newest: Any = await reader.xrevrange(store_keys.FEED, count=1)
    return str(newest[0][0]) if newest else "0-0"


async def pump(
    request: web.Request,
    response: web.StreamResponse,
    reader: redis.Redis,
    viewer: Viewer,
    *,
    heartbeat_seconds: float,
    stream_seconds: float,
) -> None:
    """Forward the viewer's feed entries until the client leaves or `stream_seconds` pass (the
    console then reconnects, and its token is checked again). Raises ConnectionResetError when
    the client went away, and redis-py's errors when Redis does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + stream_seconds
    cursor = await newest_entry_id(reader)
    await response.write(ready_event(viewer))
    block_ms = max(1, int(heartbeat_seconds * 1000))
    while loop.time() < deadline:
        batches: Any = await reader.xread(
            {store_keys.FEED: cursor}, count=READ_COUNT, block=block_ms
        )
        if request.transport is None or request.transport.is_closing():
            raise ConnectionResetError("the console went away")
        if not batches:
            await response.write(HEARTBEAT)
            continue
        for _, entries in batches:
            for entry_id, fields in entries:
                cursor = entry_id
                if concerns(viewer, fields):
                    await response.write(ticket_event(entry_id, fields))
