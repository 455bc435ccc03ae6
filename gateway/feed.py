"""The console's live events: the ticket changes of the handoff's live feed that concern one
signed-in agent, written as a Server-Sent-Events stream.

Every ticket write adds a feed entry in its own transaction (handoff/store/ticket_writes.py,
`feed_entry`: ids, team, status, owner, priority, transcript length; never what anyone wrote).
A stream starts at the feed's newest entry when the agent connects and forwards the entries of
the agent's teams (the ticket's team, or the team it just left) and of tickets they own or just
lost. Each stream reads through a feed reader of its own (handoff/store/conversations.py: a
blocking read would hold a shared connection), closed when the stream ends. The wire format:

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

from aiohttp import web

from handoff.store.conversations import FeedReader

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


async def pump(
    request: web.Request,
    response: web.StreamResponse,
    reader: FeedReader,
    viewer: Viewer,
    *,
    stream_seconds: float,
) -> None:
    """Forward the viewer's feed entries until the client leaves or `stream_seconds` pass (the
    console then reconnects, and its token is checked again); a heartbeat whenever the reader
    waited its block for nothing. Raises ConnectionResetError when the client went away, and
    RedisUnavailable when Redis does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + stream_seconds
    cursor = await reader.newest()
    await response.write(ready_event(viewer))
    while loop.time() < deadline:
        entries = await reader.read(after=cursor)
        if request.transport is None or request.transport.is_closing():
            raise ConnectionResetError("the console went away")
        if not entries:
            await response.write(HEARTBEAT)
            continue
        for entry_id, fields in entries:
            cursor = entry_id
            if concerns(viewer, fields):
                await response.write(ticket_event(entry_id, fields))
