"""The bot image's entry point gives Rasa's stores the Redis that REDIS_URL names, as `make run`
does, and never prints the password of a URL it refuses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("redis_env", ROOT / "deploy/docker/redis_env.py")
assert spec is not None and spec.loader is not None
redis_env = importlib.util.module_from_spec(spec)
spec.loader.exec_module(redis_env)


def test_rasa_gets_host_port_db_and_password_from_redis_url() -> None:
    env = redis_env.rasa_redis_env({"REDIS_URL": "redis://:s%40cret@redis-master:6380/2"})
    assert (env["REDIS_HOST"], env["REDIS_PORT"], env["REDIS_DB"]) == ("redis-master", "6380", "2")
    assert env["REDIS_PASSWORD"] == "s@cret"


def test_without_redis_url_the_environment_is_left_as_it_is() -> None:
    assert redis_env.rasa_redis_env({"REDIS_HOST": "x"}) == {"REDIS_HOST": "x"}


def test_a_refused_url_stops_the_start_without_showing_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "rediss://:hunter2-secret@redis:6379/0")
    assert redis_env.main(["rasa", "run"]) == 2
    error = capsys.readouterr().err
    assert "REDIS_URL must look like redis://" in error
    assert "hunter2" not in error
