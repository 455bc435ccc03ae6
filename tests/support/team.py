"""The team's side of an end-to-end test: the service's internal API (service token) and the
agent API with a real agent's token, and waiting for something to become true."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from handoff.routing.agents_config import load_agents_config
from handoff.routing.config import load_routing_config
from service.agents import issue_token
from service.settings import AgentCliSettings
from stack.supervisor import Stack


async def until(check: Any, what: str, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await _called(check):
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.1)


async def _called(check: Any) -> bool:
    result = check()
    return bool(await result) if asyncio.iscoroutine(result) else bool(result)


class Team:
    """The service's APIs: the internal one (service token) and the agent API."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.url = stack.config.service_url
        self.service = {"Authorization": f"Bearer {stack.config.service_token}"}

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> dict[str, Any]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            async with session.request(method, self.url + path, json=body, headers=headers) as r:
                answer: dict[str, Any] = await r.json()
                assert r.status == 200, answer
                return answer

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/handoff/conversations/{conversation_id}", self.service)

    async def handed_off(self, conversation_id: str, timeout: float = 60) -> dict[str, Any]:
        """The conversation once a person is to take it and its ticket is stored: a handoff
        first reserves the conversation ("waiting", a ticket id) and stores the ticket (team,
        priority...) a moment later."""
        state: dict[str, Any] = {}

        async def stored() -> bool:
            state.update(await self.conversation(conversation_id))
            return state["conversation_state"] in ("waiting", "agent") and "team" in state

        await until(stored, "the conversation was never handed off", timeout=timeout)
        return state

    async def agent_for(self, team: str) -> tuple[str, dict[str, str]]:
        """An agent of the team, with a fresh token (issued the way the CLI does it)."""
        settings = AgentCliSettings.from_env({"REDIS_URL": self.stack.config.redis.url})
        agents = load_agents_config(
            settings.agents_file, load_routing_config(settings.routing_file).teams
        )
        profile = next(a for a in agents.agents.values() if team in a.teams)
        token = await issue_token(settings, profile.id)
        return profile.name, {"Authorization": f"Bearer {token}"}
