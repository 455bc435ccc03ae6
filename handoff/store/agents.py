"""Agents' live state in Redis: presence, open chats (their load) and API token hashes.

Who the agents are (name, teams, capacity) comes from the agents file
(handoff/routing/agents_config.py); Redis keeps only what changes. A token is stored as its SHA-256:
the token itself is shown once by the CLI that issues it and never stored or logged. Issuing a
new token revokes the agent's previous one. `absent_since` is when the agent last left (went
away or offline from online or from never having said); away -> offline keeps it, online drops
it: the grace period before their waiting chats are requeued counts from there. Keys:
handoff:agent:{id} (hash),
handoff:agent:{id}:tickets (set of open ticket ids), handoff:agent_tokens (hash from token
hash to agent id).
"""

from __future__ import annotations

import abc
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import redis.asyncio as redis

from handoff.routing.assignment import Presence
from handoff.store import keys as keys
from handoff.vocabulary import AGENT_PRESENCES
from infra.redis_client import guard


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AgentState:
    presence: Presence
    open_tickets: frozenset[str]
    last_assigned_at: datetime | None = None
    presence_at: str | None = None
    absent_since: datetime | None = None
    """When the agent left (away or offline), None while online or when they never said."""

    @property
    def load(self) -> int:
        return len(self.open_tickets)


class AgentStore(abc.ABC):
    @abc.abstractmethod
    async def set_presence(self, agent_id: str, presence: Presence, now: datetime) -> None: ...

    @abc.abstractmethod
    async def states(self, agent_ids: list[str]) -> dict[str, AgentState]: ...

    @abc.abstractmethod
    async def mark_assigned(self, agent_id: str, now: datetime) -> None: ...

    @abc.abstractmethod
    async def issue_token(self, agent_id: str) -> str: ...

    @abc.abstractmethod
    async def agent_for_token(self, token: str) -> str | None: ...


class RedisAgentStore(AgentStore):
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    async def set_presence(self, agent_id: str, presence: Presence, now: datetime) -> None:
        if presence not in AGENT_PRESENCES:
            raise ValueError(f"presence must be one of {', '.join(AGENT_PRESENCES)}")
        key = keys.agent(agent_id)
        async with guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(key, mapping={"presence": presence, "presence_at": now.isoformat()})
            if presence == "online":
                pipe.hdel(key, "absent_since")
            else:
                pipe.hsetnx(key, "absent_since", now.isoformat())
            await pipe.execute()

    async def states(self, agent_ids: list[str]) -> dict[str, AgentState]:
        """Every asked agent's state; an agent never seen is offline with no chats."""
        async with guard():
            pipe = self._redis.pipeline(transaction=False)
            for agent_id in agent_ids:
                pipe.hgetall(keys.agent(agent_id))
                pipe.smembers(keys.agent_tickets(agent_id))
            rows = await pipe.execute()
        states = {}
        for index, agent_id in enumerate(agent_ids):
            fields, open_tickets = rows[2 * index], rows[2 * index + 1]
            presence = fields.get("presence", "offline")
            assigned, absent = fields.get("last_assigned_at"), fields.get("absent_since")
            states[agent_id] = AgentState(
                presence=presence if presence in AGENT_PRESENCES else "offline",
                open_tickets=frozenset(open_tickets),
                last_assigned_at=datetime.fromisoformat(assigned) if assigned else None,
                presence_at=fields.get("presence_at"),
                absent_since=datetime.fromisoformat(absent) if absent else None,
            )
        return states

    async def mark_assigned(self, agent_id: str, now: datetime) -> None:
        async with guard():
            await self._redis.hset(keys.agent(agent_id), "last_assigned_at", now.isoformat())

    async def issue_token(self, agent_id: str) -> str:
        """A new random token for the agent (returned once); the previous one stops working."""
        token = secrets.token_urlsafe(32)
        async with guard():
            previous = await self._redis.hget(keys.agent(agent_id), "token_sha256")
            pipe = self._redis.pipeline(transaction=True)
            if previous:
                pipe.hdel(keys.AGENT_TOKENS, previous)
            pipe.hset(keys.AGENT_TOKENS, token_hash(token), agent_id)
            pipe.hset(keys.agent(agent_id), "token_sha256", token_hash(token))
            await pipe.execute()
        return token

    async def agent_for_token(self, token: str) -> str | None:
        async with guard():
            agent_id = await self._redis.hget(keys.AGENT_TOKENS, token_hash(token))
        return str(agent_id) if agent_id else None
