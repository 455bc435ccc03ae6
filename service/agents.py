"""Agent tokens: `python -m service.agents issue-token AGENT_ID`.

Prints a new random token once; Redis keeps only its SHA-256 (handoff:agent_tokens), and the
agent's previous token stops working. The agent must be in the agents file (AGENTS_FILE,
default handoff/routing/agents.yml). Uses REDIS_URL (default the project's Redis, 127.0.0.1:6479).
`issue_token` is importable for tests and tools.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from handoff import store as handoff_store
from handoff.routing.agents_config import AgentsConfigError, load_agents_config
from handoff.routing.config import RoutingConfigError, load_routing_config
from helpdesk.enqueue import queue_events
from helpdesk.forget import forget_tickets
from infra.env import SettingsError
from infra.redis_client import RedisUnavailable
from service.settings import AgentCliSettings


class UnknownAgent(LookupError):
    """The agent id is not in the agents file."""


async def issue_token(settings: AgentCliSettings, agent_id: str) -> str:
    """A new token for a known agent (its hash stored in Redis, the old token revoked)."""
    routing = load_routing_config(settings.routing_file)
    agents = load_agents_config(settings.agents_file, routing.teams)
    if agent_id not in agents.agents:
        known = ", ".join(sorted(agents.agents))
        raise UnknownAgent(f"no agent {agent_id!r} in {settings.agents_file} (agents: {known})")
    store = await handoff_store.create(
        settings.redis_url, queue_events=queue_events, forget_tickets=forget_tickets
    )
    try:
        return await store.agents.issue_token(agent_id)
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.agents", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue-token", help="print a new API token for an agent")
    issue.add_argument("agent_id")
    arguments = parser.parse_args(argv)
    try:
        settings = AgentCliSettings.from_env(os.environ)
        token = asyncio.run(issue_token(settings, arguments.agent_id))
    except (
        SettingsError,
        AgentsConfigError,
        RoutingConfigError,
        UnknownAgent,
        RedisUnavailable,
    ) as error:
        print(error, file=sys.stderr)
        return 2
    print(token)
    print(
        f"Give this token to {arguments.agent_id}; it is shown only now. "
        "Issuing another one revokes it.",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
