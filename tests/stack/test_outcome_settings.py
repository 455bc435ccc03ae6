"""The stack passes the outcome settings on to the service (the end-to-end tests shorten the
inactivity that ends a session this way)."""

from __future__ import annotations

from pathlib import Path

from stack.config import StackConfig
from stack.processes import rasa_spec, service_spec


def test_outcome_settings_reach_the_service_only(tmp_path: Path) -> None:
    env = {
        "OUTCOME_INACTIVITY_SECONDS": "2",
        "OUTCOME_WATCHDOG_INTERVAL": "0.5",
        "CUSTOMER_KEY_SECRET": "k" * 32,
        "SERVICE_TOKEN": "t" * 32,
        "CUSTOMER_SIGNING_SECRET": "s" * 32,
    }
    config = StackConfig.from_env(env, var_dir=tmp_path)

    service = service_spec(config).env
    assert service["OUTCOME_INACTIVITY_SECONDS"] == "2"
    assert service["OUTCOME_WATCHDOG_INTERVAL"] == "0.5"
    assert service["CUSTOMER_KEY_SECRET"] == "k" * 32
    assert "OUTCOME_INACTIVITY_SECONDS" not in rasa_spec(config).env
