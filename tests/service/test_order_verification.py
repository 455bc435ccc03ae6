"""A customer's order reaches the assistant only after the customer gives its email: the real
service, a real Redis and the real sample order service on a real port (seeded for a fixed day).
A wrong email and an unknown order look the same; failed attempts run out per conversation and
per order number; nothing about the customer is kept."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from order_service.app import create_app as create_shop
from order_service.seed_plans import CASES
from tests.conftest import PROJECT_ROOT, TOKEN

SHOP_TOKEN = "shop-token-for-the-service-tests-" + "q" * 4
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)
VERIFY = "/commerce/orders/verify"


@pytest.fixture
async def shop_url(aiohttp_server: Any, tmp_path: Path) -> str:
    shop = create_shop(tmp_path / "shop.sqlite3", SHOP_TOKEN, clock=lambda: NOW)
    return str((await aiohttp_server(shop)).make_url("")).rstrip("/")


async def _service(aiohttp_client: Any, env: dict[str, str], embedder: Any) -> Any:
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
    env = service_env | {"ORDER_SERVICE_URL": shop_url, "ORDER_SERVICE_TOKEN": SHOP_TOKEN}
    return await _service(aiohttp_client, env, embedder)


async def _shop_email(shop_url: str, number: str) -> str:
    import aiohttp

    headers = {"Authorization": f"Bearer {SHOP_TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{shop_url}/v1/orders/{number}") as response:
            return str((await response.json())["email"])


async def _verify(service: Any, number: str, email: str, conversation: str = "conv-1") -> Any:
    body = {"conversation_id": conversation, "order_number": number, "email": email}
    response = await service.post(VERIFY, json=body)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_the_right_email_opens_the_order_with_what_the_assistant_may_do(
    service: Any, shop_url: str, redis_client: Any
) -> None:
    number = CASES["delivered_recently"]
    email = await _shop_email(shop_url, number)
    answer = await _verify(service, number, f"  {email.upper()} ")
    assert answer["verified"] is True
    order = answer["order"]
    assert order["number"] == number and order["status"] == "delivered"
    assert order["shipment"]["tracking_url"].startswith("https://")
    assert order["return"]["eligible"] is True and order["return"]["window_ends"]
    assert order["cancellation"] == "already_delivered"
    assert order["refund_limit_cents"] == 10000
    assert "email" not in order and "customer_name" not in order
    stored = [key async for key in redis_client.scan_iter("commerce:*")]
    assert stored == ["commerce:verified:conv-1"]
    values = " ".join(await redis_client.smembers("commerce:verified:conv-1"))
    assert number not in values and email not in values  # a digest, no readable detail


async def test_a_wrong_email_and_an_unknown_order_answer_alike_and_attempts_run_out(
    service: Any, shop_url: str
) -> None:
    number = CASES["in_transit"]
    wrong = await _verify(service, number, "someone.else@example.com")
    unknown = await _verify(service, "HL-999999", "someone.else@example.com")
    assert wrong == {"verified": False, "attempts_left": 4}
    assert unknown == {"verified": False, "attempts_left": 3}
    for left in (2, 1):
        assert (await _verify(service, number, "x@example.com"))["attempts_left"] == left
    locked = await _verify(service, number, "x@example.com")
    assert locked["attempts_left"] == 0 and 3500 < locked["retry_after"] <= 3600
    right = await _verify(service, number, await _shop_email(shop_url, number))
    assert right["verified"] is False and right["attempts_left"] == 0  # even the right email
    other_chat = await _verify(service, number, await _shop_email(shop_url, number), "conv-2")
    assert other_chat["verified"] is True


async def test_guessing_one_orders_email_from_many_chats_runs_out_too(service: Any) -> None:
    number = CASES["high_value"]
    answers = [await _verify(service, number, "guess@example.com", f"conv-{n}") for n in range(11)]
    # each chat has 5 tries, the order number 10 a day across chats
    assert [a["attempts_left"] for a in answers[:10]] == [4, 4, 4, 4, 4, 4, 3, 2, 1, 0]
    assert answers[10]["attempts_left"] == 0 and answers[10]["retry_after"] > 3600


async def test_bad_input_is_refused_with_a_reason(service: Any) -> None:
    for body, words in [
        ({"conversation_id": "c", "order_number": "HL-1", "email": "no-at-sign"}, "email"),
        ({"conversation_id": "c", "order_number": "../x", "email": "a@b.c"}, "order_number"),
        ({"conversation_id": "c", "email": "a@b.c"}, "order_number"),
        ({"order_number": "HL-100231", "email": "a@b.c"}, "conversation_id"),
    ]:
        response = await service.post(VERIFY, json=body)
        assert response.status == 400 and words in (await response.json())["error"]


async def test_without_a_shop_or_with_the_shop_down_the_answer_is_503_and_nothing_is_counted(
    aiohttp_client: Any,
    service_env: dict[str, str],
    embedder: Any,
    unused_tcp_port: int,
    redis_client: Any,
) -> None:
    no_shop = await _service(aiohttp_client, service_env, embedder)
    response = await no_shop.post(
        VERIFY, json={"conversation_id": "c", "order_number": "HL-100231", "email": "a@b.c"}
    )
    assert response.status == 503 and "ORDER_SERVICE_URL" in (await response.json())["error"]
    down = service_env | {
        "ORDER_SERVICE_URL": f"http://127.0.0.1:{unused_tcp_port}",
        "ORDER_SERVICE_TOKEN": SHOP_TOKEN,
    }
    shop_down = await _service(aiohttp_client, down, embedder)
    response = await shop_down.post(
        VERIFY, json={"conversation_id": "c", "order_number": "HL-100231", "email": "a@b.c"}
    )
    assert response.status == 503 and "shop is unavailable" in (await response.json())["error"]
    assert [key async for key in redis_client.scan_iter("commerce:*")] == []


def test_a_shop_needs_both_its_address_and_a_long_token(service_env: dict[str, str]) -> None:
    from service.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="ORDER_SERVICE_URL and ORDER_SERVICE_TOKEN"):
        Settings.from_env(service_env | {"ORDER_SERVICE_URL": "http://127.0.0.1:8500"})
    with pytest.raises(SettingsError, match="ORDER_SERVICE_URL and ORDER_SERVICE_TOKEN"):
        Settings.from_env(service_env | {"ORDER_SERVICE_TOKEN": "short"})
    assert Settings.from_env(service_env).shop is None


async def test_a_wrong_shop_token_is_the_shops_trouble_not_a_failed_try(
    aiohttp_client: Any,
    service_env: dict[str, str],
    shop_url: str,
    embedder: Any,
    redis_client: Any,
) -> None:
    env = service_env | {"ORDER_SERVICE_URL": shop_url, "ORDER_SERVICE_TOKEN": "w" * 30}
    service = await _service(aiohttp_client, env, embedder)
    body = {"conversation_id": "c", "order_number": CASES["placed"], "email": "a@b.c"}
    response = await service.post(VERIFY, json=body)
    assert response.status == 503 and "refused our token" in (await response.json())["error"]
    assert [key async for key in redis_client.scan_iter("commerce:*")] == []
