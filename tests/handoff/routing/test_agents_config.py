"""The agents file: the sample is valid, and mistakes are all reported at once."""

from __future__ import annotations

import pytest

from handoff.routing.agents_config import (
    DEFAULT_AGENTS_PATH,
    AgentsConfigError,
    load_agents_config,
    parse_agents_config,
)
from handoff.routing.config import load_routing_config

TEAMS = sorted(load_routing_config().teams)


def test_the_sample_agents_cover_every_team() -> None:
    config = load_agents_config(DEFAULT_AGENTS_PATH, TEAMS)
    assert {team for agent in config.agents.values() for team in agent.teams} == set(TEAMS)
    assert [agent.id for agent in config.in_team("supervisors")] == ["dana"]
    assert "answered" in config.resolution_codes


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "agents": [
            {"id": "Maya!", "name": "Maya", "teams": ["billing"], "max_concurrent": 3},
            {"id": "sam", "name": "Sam", "teams": ["sales"], "max_concurrent": 0},
            {"id": "sam", "name": "Sam again", "teams": ["billing"], "max_concurrent": 2},
            {"id": "kim", "name": "Kim", "teams": [], "max_concurrent": 2, "token": "x"},
        ],
        "resolution_codes": ["Fixed it"],
    }
    with pytest.raises(AgentsConfigError) as raised:
        parse_agents_config(data, TEAMS)
    message = str(raised.value)
    for problem in (
        "agents[0].id='Maya!'",
        "'sales' is not a team",
        "agents[1].max_concurrent=0",
        "agents[2].id='sam' is used twice",
        "agents[3].teams must not be empty",
        "agents[3].token is not a known setting",
        "'Fixed it' must be a lower-case word",
    ):
        assert problem in message


def test_an_agent_has_a_role_and_a_wrong_one_is_refused() -> None:
    routing = load_routing_config()
    shipped = load_agents_config(DEFAULT_AGENTS_PATH, routing.teams)
    assert shipped.agents["dana"].role == "supervisor"
    assert shipped.agents["maya"].role == "agent"  # the default
    raw = {
        "agents": [
            {"id": "ann", "name": "Ann", "teams": ["billing"], "max_concurrent": 2, "role": "boss"}
        ],
        "resolution_codes": ["answered"],
    }
    with pytest.raises(AgentsConfigError, match="role='boss' must be one of agent, supervisor"):
        parse_agents_config(raw, routing.teams)


def test_a_content_editor_needs_no_team_and_an_agent_does() -> None:
    routing = load_routing_config()
    shipped = load_agents_config(DEFAULT_AGENTS_PATH, routing.teams)
    assert (shipped.agents["cleo"].role, shipped.agents["cleo"].teams) == ("content", frozenset())
    editor = {"id": "ed", "name": "Ed", "teams": [], "max_concurrent": 1, "role": "content"}
    parsed = parse_agents_config({"agents": [editor], "resolution_codes": ["answered"]}, TEAMS)
    assert parsed.agents["ed"].teams == frozenset()
    agent = editor | {"role": "agent"}
    with pytest.raises(AgentsConfigError, match="teams must not be empty"):
        parse_agents_config({"agents": [agent], "resolution_codes": ["answered"]}, TEAMS)
