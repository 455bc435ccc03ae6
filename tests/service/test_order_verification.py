"""A customer's order reaches the assistant only after the customer gives its email: the real
service, a real Redis and the real sample order service on a real port (seeded for a fixed day).
A wrong email and an unknown order look the same; failed attempts run out per conversation and
per order number; nothing about the customer is kept."""

from __future__ import annotations

from typing import Any

import pytest

from order_service.seed_plans import CASES
from tests.service.order_fixtures import SHOP_TOKEN, VERIFY, shop_email, start_service, verify


async def test_the_right_email_opens_the_order_with_what_the_assistant_may_do(
    service: Any, shop_url: str, redis_client: Any
) -> None:
    number = CASES["delivered_recently"]
    email = await shop_email(shop_url, number)
    answer = await verify(service, number, f"  {email.upper()} ")
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
    wrong = await verify(service, number, "someone.else@example.com")
    unknown = await verify(service, "HL-999999", "someone.else@example.com")
    assert wrong == {"verified": False, "attempts_left": 4}
    assert unknown == {"verified": False, "attempts_left": 3}
    for left in (2, 1):
        assert (await verify(service, number, "x@example.com"))["attempts_left"] == left
    locked = await verify(service, number, "x@example.com")
    assert locked["attempts_left"] == 0 and 3500 < locked["retry_after"] <= 3600
    right = await verify(service, number, await shop_email(shop_url, number))
    assert right["verified"] is False and right["attempts_left"] == 0  # even the right email
    other_chat = await verify(service, number, await shop_email(shop_url, number), "conv-2")
    assert other_chat["verified"] is True


async def test_guessing_one_orders_email_from_many_chats_runs_out_too(service: Any) -> None:
    number = CASES["high_value"]
    answers = [await verify(service, number, "guess@example.com", f"conv-{n}") for n in range(11)]
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
    no_shop = await start_service(aiohttp_client, service_env, embedder)
    response = await no_shop.post(
        VERIFY, json={"conversation_id": "c", "order_number": "HL-100231", "email": "a@b.c"}
    )
    assert response.status == 503 and "ORDER_SERVICE_URL" in (await response.json())["error"]
    down = service_env | {
        "ORDER_SERVICE_URL": f"http://127.0.0.1:{unused_tcp_port}",
        "ORDER_SERVICE_TOKEN": SHOP_TOKEN,
    }
    shop_down = await start_service(aiohttp_client, down, embedder)
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
    service = await start_service(aiohttp_client, env, embedder)
    body = {"conversation_id": "c", "order_number": CASES["placed"], "email": "a@b.c"}
    response = await service.post(VERIFY, json=body)
    assert response.status == 503 and "refused our token" in (await response.json())["error"]
    assert [key async for key in redis_client.scan_iter("commerce:*")] == []


async def test_a_signed_in_customer_opens_their_own_orders_without_typing_the_email(
    service: Any, shop_url: str, redis_client: Any
) -> None:
    """The signed claim's email (remembered as a digest) proves the customer's own order; another
    customer's order fails like a wrong email and counts; no claim means nothing is counted."""
    mine, theirs = CASES["delivered_recently"], CASES["in_transit"]
    claim = {"conversation_id": "conv-claim", "email": (await shop_email(shop_url, mine)).upper()}
    assert (await service.post("/commerce/customers/email", json=claim)).status == 200
    stored = [key async for key in redis_client.scan_iter("commerce:claimed:*")]
    (kept,) = [await redis_client.get(key) for key in stored]
    assert "@" not in str(kept) and "example" not in str(kept)  # a digest only
    by_claim = {"conversation_id": "conv-claim", "by_customer_claim": True}
    proved = await (await service.post(VERIFY, json=by_claim | {"order_number": mine})).json()
    assert proved["verified"] is True and proved["order"]["number"] == mine
    other = await (await service.post(VERIFY, json=by_claim | {"order_number": theirs})).json()
    assert other == {"verified": False, "attempts_left": 4}
    anonymous = by_claim | {"conversation_id": "conv-anon", "order_number": mine}
    assert (await (await service.post(VERIFY, json=anonymous)).json()) == {
        "verified": False,
        "claim": "none",
    }
    both = by_claim | {"order_number": mine, "email": claim["email"]}
    refused = await service.post(VERIFY, json=both)
    assert refused.status == 400 and "either email or by_customer_claim" in await refused.text()
