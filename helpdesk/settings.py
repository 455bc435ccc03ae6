"""The help-desk sync's settings from the environment (infra/env.py's reader), read once at
start-up by the service (service/settings.py) and by `python -m helpdesk`:

    HELPDESK_MAX_ATTEMPTS       10    attempts before an event is dead-lettered
    HELPDESK_RETRY_SECONDS      5     back-off after the first failed attempt, doubled after each
    HELPDESK_MAX_RETRY_SECONDS  900   the longest back-off
    HELPDESK_TIMEOUT_SECONDS    10    one request's time limit
    HELPDESK_BLOCK_SECONDS      1     how long one read of new events waits
    HELPDESK_*                        the targets' secrets, under the names routing.yml gives

and its targets from the routing file's `helpdesk` section (`load_helpdesk_config`).
"""

from __future__ import annotations

from pathlib import Path

from handoff.routing.config import RoutingConfigError, load_routing_config
from helpdesk.config import SECRET_PREFIX, DeliverySettings, HelpdeskConfig, parse_helpdesk_config
from infra.env import EnvReader
from infra.yaml_config import load_yaml_config


def load_helpdesk_config(routing_file: Path) -> HelpdeskConfig:
    """The help desks of the routing file; RoutingConfigError names the file and lists every
    problem of the routing or of its `helpdesk` section."""
    teams = load_routing_config(routing_file).teams
    return load_yaml_config(
        routing_file,
        lambda document: parse_helpdesk_config(document, teams),
        "routing config",
        RoutingConfigError,
    )


def delivery_settings(read: EnvReader) -> DeliverySettings:
    number = read.number
    return DeliverySettings(
        max_attempts=int(number("HELPDESK_MAX_ATTEMPTS", "10", int, 1, 100)),
        retry_seconds=number("HELPDESK_RETRY_SECONDS", "5", float, 0.01, 3600),
        max_retry_seconds=number("HELPDESK_MAX_RETRY_SECONDS", "900", float, 0.01, 86400),
        timeout_seconds=number("HELPDESK_TIMEOUT_SECONDS", "10", float, 0.1, 120),
        block_seconds=number("HELPDESK_BLOCK_SECONDS", "1", float, 0.01, 30),
        secrets={k: v for k, v in read.env.items() if k.startswith(SECRET_PREFIX)},
    )
