"""Running the service: its settings, its database kept across restarts, logs free of who the
customers are."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from infra.env import SettingsError
from order_service.__main__ import main
from order_service.app import create_app
from order_service.seed_plans import CASES, CUSTOMERS
from order_service.settings import DEFAULT_DATABASE, Settings
from tests.order_service.conftest import AUTH, TOKEN, order


def test_settings_from_the_environment() -> None:
    settings = Settings.from_env({"ORDER_SERVICE_TOKEN": TOKEN})
    assert (settings.host, settings.port, settings.database) == (
        "127.0.0.1",
        8500,
        DEFAULT_DATABASE,
    )
    assert TOKEN not in repr(settings)
    env = {"ORDER_SERVICE_TOKEN": TOKEN, "ORDER_SERVICE_PORT": "9100", "ORDER_SERVICE_DB": "x.db"}
    assert Settings.from_env(env).port == 9100 and Settings.from_env(env).database == Path("x.db")


def test_a_missing_or_short_token_and_a_bad_port_are_all_reported() -> None:
    with pytest.raises(SettingsError) as missing:
        Settings.from_env({"ORDER_SERVICE_PORT": "http"})
    assert "ORDER_SERVICE_TOKEN is not set" in str(missing.value)
    assert "ORDER_SERVICE_PORT" in str(missing.value)
    with pytest.raises(SettingsError, match="has 5 characters"):
        Settings.from_env({"ORDER_SERVICE_TOKEN": "short"})
    with pytest.raises(ValueError, match="at least 24"):
        create_app("unused.sqlite3", "short")


def test_the_command_exits_2_without_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORDER_SERVICE_TOKEN", raising=False)
    assert main() == 2
    assert "ORDER_SERVICE_TOKEN is not set" in capsys.readouterr().err


async def test_writes_outlive_a_restart_and_logs_name_no_customer(
    aiohttp_client: Any,
    make_app: Callable[[], web.Application],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    number = CASES["placed"]
    first = await aiohttp_client(make_app(), headers=AUTH)
    assert (await first.post(f"/v1/orders/{number}/cancellation")).status == 200
    await first.close()
    second = await aiohttp_client(make_app(), headers=AUTH)
    assert (await order(second, number))["status"] == "cancelled"
    assert number in caplog.text and caplog.text.count("seeded") == 1
    assert "hold released" in caplog.text and "refunded" not in caplog.text
    for name, email in CUSTOMERS:
        assert name not in caplog.text and email not in caplog.text


async def test_a_broken_database_is_a_json_500_not_a_crash(
    shop: TestClient, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await order(shop, CASES["placed"])  # the app is up and seeded
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TABLE refunds")
    response = await shop.get(f"/v1/orders/{CASES['placed']}")
    assert response.status == 500
    assert await response.json() == {
        "error": "internal_error",
        "message": "internal error; it has been logged",
    }
    assert "no such table: refunds" in caplog.text
