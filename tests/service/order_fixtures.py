"""The order tests' world (tests/service/test_order_verification.py, test_order_actions.py):
the real service on a real Redis, with the real sample order service on a real port, seeded for
a fixed day (NOW). tests/service/conftest.py makes the fixtures visible to the tests."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from order_service.app import create_app as create_shop
from tests.conftest import PROJECT_ROOT, TOKEN

SHOP_TOKEN = "shop-token-for-the-service-tests-" + "q" * 4
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)
VERIFY = "/commerce/orders/verify"


@pytest.fixture
async def shop_server(aiohttp_server: Any, tmp_path: Path) -> Any:
    """The sample order service (a TestServer: a test may close it to take the shop down)."""
    shop = create_shop(tmp_path / "shop.sqlite3", SHOP_TOKEN, clock=lambda: NOW)
    return await aiohttp_server(shop)


@pytest.fixture
def shop_url(shop_server: Any) -> str:
    return str(shop_server.make_url("")).rstrip("/")


async def start_service(aiohttp_client: Any, env: dict[str, str], embedder: Any) -> Any:
    """The service's TestClient (carrying the service token) on the fixed clock."""
    from service.app import create_app
    from service.settings import Settings

    settings = Settings.from_env(env)
    app = create_app(settings, embedder_factory=lambda: embedder, clock=lambda: NOW)
    return await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def service_env(redis_url: str, articles_dir: Path) -> dict[str, str]:
    return {
        "SERVICE_TOKEN": TOKEN,
        "REDIS_URL": redis_url,
        "KB_ARTICLES_DIR": str(articles_dir),
        "KB_EMBEDDING_CACHE_DIR": str(PROJECT_ROOT / "var" / "cache" / "embeddings"),
    }


@pytest.fixture
async def service(aiohttp_client, service_env, shop_url, embedder, redis_client):  # type: ignore[no-untyped-def]
    """The service pointed at the sample order service."""
    env = service_env | {"ORDER_SERVICE_URL": shop_url, "ORDER_SERVICE_TOKEN": SHOP_TOKEN}
    return await start_service(aiohttp_client, env, embedder)


async def shop_order(shop_url: str, number: str) -> dict[str, Any]:
    """The order as the shop itself has it (its own API, not the service's)."""
    import aiohttp

    headers = {"Authorization": f"Bearer {SHOP_TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{shop_url}/v1/orders/{number}") as response:
            assert response.status == 200, await response.text()
            order: dict[str, Any] = await response.json()
            return order


async def shop_email(shop_url: str, number: str) -> str:
    return str((await shop_order(shop_url, number))["email"])


async def verify(service: Any, number: str, email: str, conversation: str = "conv-1") -> Any:
    body = {"conversation_id": conversation, "order_number": number, "email": email}
    response = await service.post(VERIFY, json=body)
    assert response.status == 200, await response.text()
    return await response.json()
