"""The sample shop's order service on a real SQLite file in tmp_path, seeded for a fixed day,
through aiohttp's test client (pytest-aiohttp's `aiohttp_client`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from order_service.app import create_app

TOKEN = "order-service-test-token-" + "x" * 8
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)
TODAY = NOW.date()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "shop" / "orders.sqlite3"


@pytest.fixture
def make_app(db_path: Path) -> Callable[[], web.Application]:
    return lambda: create_app(db_path, TOKEN, clock=lambda: NOW)


@pytest.fixture
async def shop(aiohttp_client: Any, make_app: Callable[[], web.Application]) -> TestClient:
    """A client that sends the token."""
    client: TestClient = await aiohttp_client(make_app(), headers=AUTH)
    return client


@pytest.fixture
async def anonymous(aiohttp_client: Any, make_app: Callable[[], web.Application]) -> TestClient:
    """A client that sends no token."""
    client: TestClient = await aiohttp_client(make_app())
    return client


async def order(shop: TestClient, number: str) -> dict[str, Any]:
    response = await shop.get(f"/v1/orders/{number}")
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def refuse(response: Any, status: int, code: str) -> str:
    """Assert the API's error shape and return its message."""
    body = await response.json()
    assert (response.status, body["error"]) == (status, code), body
    assert set(body) == {"error", "message"} and body["message"].strip()
    return str(body["message"])
