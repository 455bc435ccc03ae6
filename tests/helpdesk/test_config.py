"""The `helpdesk` section of routing.yml: what it accepts, every problem listed at once, and
secrets from the environment only."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from handoff.routing.config import DEFAULT_ROUTING_PATH, RoutingConfigError, parse_routing_config
from helpdesk.config import (
    DeliverySettings,
    HelpdeskConfig,
    MissingSecret,
    credentials,
    parse_helpdesk_config,
)
from helpdesk.settings import delivery_settings
from infra.env import EnvReader
from infra.yaml_config import load_yaml_config
from tests.helpdesk.receivers import SECRETS, targets_section

BASE: dict[str, Any] = load_yaml_config(
    DEFAULT_ROUTING_PATH, lambda data: data, "routing", ValueError
)


def helpdesk_of(document: dict[str, Any]) -> HelpdeskConfig:
    """The help desks of a routing document, as the service reads them."""
    return parse_helpdesk_config(document, parse_routing_config(document).teams)


def routing_with(section: object) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["helpdesk"] = section
    return data


def test_the_shipped_routing_file_has_no_target() -> None:
    assert helpdesk_of(BASE).targets == ()


def test_targets_are_read_per_team_with_their_kind_settings() -> None:
    config = helpdesk_of(routing_with(targets_section("http://desk", ["billing"])))
    assert [(t.name, t.kind) for t in config.targets] == [
        ("zendesk-main", "zendesk"),
        ("chatwoot-main", "chatwoot"),
        ("events-webhook", "webhook"),
    ]
    assert config.teams == frozenset({"billing"})
    zendesk = config.target("zendesk-main")
    assert zendesk.custom_fields == {"escalation_reason": 360001, "escalation_type": 360002}
    assert (config.target("chatwoot-main").account_id, config.target("chatwoot-main").inbox_id) == (
        3,
        7,
    )
    assert credentials(zendesk, SECRETS) == {
        "email_env": SECRETS["HELPDESK_ZENDESK_EMAIL"],
        "token_env": SECRETS["HELPDESK_ZENDESK_TOKEN"],
    }


def test_every_problem_of_the_section_is_listed_at_once() -> None:
    section = {
        "targets": {
            "Bad Name": {"kind": "fax", "teams": ["nobody"], "url": "ftp://x"},
            "cw": {
                "kind": "chatwoot",
                "teams": ["billing"],
                "url": "https://cw",
                "token_env": "TOKEN",
            },
            "zd": {
                "kind": "zendesk",
                "teams": ["billing"],
                "url": "https://zd",
                "email_env": "HELPDESK_E",
                "token_env": "HELPDESK_T",
                "custom_fields": {"mood": 1},
                "inbox_id": 3,
            },
        }
    }
    with pytest.raises(RoutingConfigError) as raised:
        helpdesk_of(routing_with(section))
    text = str(raised.value)
    for problem in (
        "helpdesk.targets.Bad Name: a target name is lower case",
        "helpdesk.targets.Bad Name.kind='fax' must be one of zendesk, chatwoot, webhook",
        "helpdesk.targets.Bad Name.teams: 'nobody' is not a team",
        "helpdesk.targets.Bad Name.url='ftp://x' must be an http(s) address",
        "helpdesk.targets.cw.token_env='TOKEN' must name a variable starting with HELPDESK_",
        "helpdesk.targets.cw.account_id=None must be a whole number",
        "helpdesk.targets.zd.custom_fields.mood is not one of",
        "helpdesk.targets.zd.inbox_id is not a known setting",
    ):
        assert problem in text


def test_a_missing_or_short_secret_stops_the_start_with_its_name() -> None:
    config = helpdesk_of(routing_with(targets_section("http://desk", ["billing"])))
    with pytest.raises(MissingSecret, match="set HELPDESK_ZENDESK_EMAIL, HELPDESK_ZENDESK_TOKEN"):
        credentials(config.target("zendesk-main"), {})
    short = {"HELPDESK_WEBHOOK_SECRET": "short"}
    with pytest.raises(MissingSecret, match="at least 24 characters"):
        credentials(config.target("events-webhook"), short)


def test_delivery_settings_come_from_the_environment_with_a_doubling_back_off() -> None:
    read = EnvReader(
        {"HELPDESK_RETRY_SECONDS": "2", "HELPDESK_MAX_RETRY_SECONDS": "10", "OTHER": "x", **SECRETS}
    )
    settings = delivery_settings(read)
    read.raise_problems()
    assert [settings.retry_after(n) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]
    assert set(SECRETS) <= set(settings.secrets) and "OTHER" not in settings.secrets
    assert "zd-token" not in repr(settings)
    assert DeliverySettings().max_attempts == 10
