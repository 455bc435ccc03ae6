"""The agents file (handoff/routing/agents.yml by default): who the agents are and how they close.

`parse_agents_config` is pure and reports every problem at once (infra/config_checks.py);
`load_agents_config` reads the file (infra/yaml_config.py). Agents' skills are team ids of
routing.yml, so the file is checked against the routing config. Tokens are never in this file:
`python -m service.agents issue-token AGENT_ID` makes one and keeps only its hash in Redis.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from handoff.vocabulary import ROLES, TICKET_ROLES
from infra.config_checks import Checker
from infra.yaml_config import load_yaml_config

DEFAULT_AGENTS_PATH = Path(__file__).with_name("agents.yml")
AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RESOLUTION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class AgentsConfigError(ValueError):
    """The agents file is missing values or has invalid ones; the message lists them all."""


@dataclass(frozen=True)
class AgentProfile:
    id: str
    name: str
    teams: frozenset[str]
    max_concurrent: int
    role: str = "agent"
    """One of handoff.vocabulary.ROLES: `supervisor` may open the dashboard and the QA review."""


@dataclass(frozen=True)
class AgentsConfig:
    agents: Mapping[str, AgentProfile]
    resolution_codes: tuple[str, ...]

    def in_team(self, team: str) -> list[AgentProfile]:
        return [agent for agent in self.agents.values() if team in agent.teams]


def load_agents_config(path: Path, teams: Collection[str]) -> AgentsConfig:
    return load_yaml_config(
        path, lambda data: parse_agents_config(data, teams), "agents file", AgentsConfigError
    )


def parse_agents_config(data: object, teams: Collection[str]) -> AgentsConfig:
    check = Checker("agents file", AgentsConfigError)
    root = check.mapping(data, "agents file")
    check.known(root, ("agents", "resolution_codes"), "")
    agents: dict[str, AgentProfile] = {}
    raw_agents = root.get("agents")
    if not isinstance(raw_agents, list) or not raw_agents:
        check.add("agents must be a non-empty list")
        raw_agents = []
    for position, raw in enumerate(raw_agents):
        agent = _agent(check, raw, f"agents[{position}]", teams)
        if agent is not None and agent.id in agents:
            check.add(f"agents[{position}].id={agent.id!r} is used twice")
        elif agent is not None:
            agents[agent.id] = agent
    codes = check.texts(root.get("resolution_codes"), "resolution_codes", required=True)
    for code in codes:
        if not RESOLUTION_CODE.match(code):
            check.add(f"resolution_codes: {code!r} must be a lower-case word with underscores")
    check.raise_problems()
    return AgentsConfig(agents=agents, resolution_codes=tuple(codes))


def _agent(check: Checker, raw: object, name: str, teams: Collection[str]) -> AgentProfile | None:
    spec = check.mapping(raw, name)
    check.known(spec, ("id", "name", "teams", "max_concurrent", "role"), f"{name}.")
    agent_id = spec.get("id")
    if not isinstance(agent_id, str) or not AGENT_ID.match(agent_id):
        check.add(f"{name}.id={agent_id!r} must be lower-case letters, digits, - or _")
        return None
    role = _role(check, spec.get("role", "agent"), f"{name}.role")
    # the content team works on articles, not tickets: no team needed
    skills = check.texts(spec.get("teams"), f"{name}.teams", required=role in TICKET_ROLES)
    for team in skills:
        if team not in teams:
            check.add(f"{name}.teams: {team!r} is not a team of routing.yml ({', '.join(teams)})")
    return AgentProfile(
        id=agent_id,
        name=check.text(spec.get("name"), f"{name}.name"),
        teams=frozenset(skills),
        max_concurrent=check.whole(spec.get("max_concurrent"), f"{name}.max_concurrent", 1, 50),
        role=role,
    )


def _role(check: Checker, role: object, name: str) -> str:
    if role not in ROLES:
        check.add(f"{name}={role!r} must be one of {', '.join(ROLES)}")
        return "agent"
    return str(role)
