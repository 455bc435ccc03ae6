from __future__ import annotations

import pytest

from service.settings import Settings, SettingsError


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "SERVICE_TOKEN": "short",
                "SERVICE_PORT": "http",
                "KB_ANSWER_THRESHOLD": "2",
                "REDIS_URL": "localhost:6379",
            }
        )
    message = str(caught.value)
    for name in ("SERVICE_TOKEN", "SERVICE_PORT", "KB_ANSWER_THRESHOLD", "REDIS_URL"):
        assert name in message


def test_defaults_listen_on_loopback_only() -> None:
    settings = Settings.from_env({"SERVICE_TOKEN": "t" * 32})
    assert settings.host == "127.0.0.1"
    assert settings.answer_threshold == 0.5
