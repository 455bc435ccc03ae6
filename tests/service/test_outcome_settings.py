"""The outcome settings: defaults, validation with the rest, and the customer-key secret."""

from __future__ import annotations

import pytest

from infra.env import SettingsError
from service.settings import Settings

TOKEN = "t" * 32


def test_defaults() -> None:
    outcomes = Settings.from_env({"SERVICE_TOKEN": TOKEN}).outcomes
    assert (outcomes.inactivity_seconds, outcomes.watchdog_interval) == (3600.0, 30.0)
    assert (outcomes.retention_days, outcomes.max_records) == (365, 1_000_000)


def test_bad_values_are_reported_with_the_rest() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "SERVICE_TOKEN": TOKEN,
                "OUTCOME_INACTIVITY_SECONDS": "0",
                "OUTCOME_WATCHDOG_INTERVAL": "often",
                "OUTCOME_RETENTION_DAYS": "0",
                "OUTCOME_STREAM_MAX_RECORDS": "10",
                "CUSTOMER_KEY_SECRET": "short",
                "KB_ANSWER_THRESHOLD": "2",
            }
        )
    for name in (
        "OUTCOME_INACTIVITY_SECONDS",
        "OUTCOME_WATCHDOG_INTERVAL",
        "OUTCOME_RETENTION_DAYS",
        "OUTCOME_STREAM_MAX_RECORDS",
        "CUSTOMER_KEY_SECRET",
        "KB_ANSWER_THRESHOLD",
    ):
        assert name in str(caught.value)


def test_the_customer_key_secret_is_its_own_or_derived_from_the_token() -> None:
    derived = Settings.from_env({"SERVICE_TOKEN": TOKEN}).outcomes.customer_key_secret
    again = Settings.from_env({"SERVICE_TOKEN": TOKEN}).outcomes.customer_key_secret
    other = Settings.from_env({"SERVICE_TOKEN": "u" * 32}).outcomes.customer_key_secret
    own = Settings.from_env({"SERVICE_TOKEN": TOKEN, "CUSTOMER_KEY_SECRET": "k" * 32})

    assert derived == again != other
    assert TOKEN.encode() not in derived
    assert own.outcomes.customer_key_secret == b"k" * 32
    assert "kkkk" not in repr(own)  # never printed with the settings
