"""The service asking a Shopify store instead of the sample order service (SHOP_CONNECTOR=shopify):
the real service and Redis against the local stand-in that checks Shopify's documented request
shapes (tests/support/shopify_standin.py). The same verification, policy and actions apply."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.order_fixtures import start_service
from tests.support.shopify_standin import TOKEN as SHOPIFY_TOKEN
from tests.support.shopify_standin import ShopifyStandin


@pytest.fixture
def standin() -> ShopifyStandin:
    return ShopifyStandin()


@pytest.fixture
async def shopify_service(
    aiohttp_client, aiohttp_server, service_env, standin, embedder, redis_client
):  # type: ignore[no-untyped-def]
    server = await aiohttp_server(standin.app())
    env = service_env | {
        "SHOP_CONNECTOR": "shopify",
        "SHOPIFY_SHOP": "halo-home",
        "SHOPIFY_ACCESS_TOKEN": SHOPIFY_TOKEN,
        "SHOPIFY_API_URL": str(server.make_url("")).rstrip("/"),
    }
    return await start_service(aiohttp_client, env, embedder)


async def test_an_order_on_shopify_is_verified_and_refunded_once(
    shopify_service: Any, standin: ShopifyStandin
) -> None:
    proof = {
        "conversation_id": "conv-s",
        "order_number": "1005",
        "email": "Ada.Lovelace@example.com",
    }
    verified = await (await shopify_service.post("/commerce/orders/verify", json=proof)).json()
    assert verified["verified"] is True
    order = verified["order"]
    assert (order["status"], order["shipment"]["status"]) == ("delivered", "delivered")
    assert order["refundable_cents"] == 18950  # 219.50 less the 30.00 already refunded
    wrong = proof | {"conversation_id": "conv-t", "email": "someone@example.com"}
    assert (await (await shopify_service.post("/commerce/orders/verify", json=wrong)).json()) == {
        "verified": False,
        "attempts_left": 4,
    }
    body = {"conversation_id": "conv-s", "order_number": "1005", "turn": 3, "reason": "cracked"}
    refund = body | {"amount_cents": 2500}
    first = await (await shopify_service.post("/commerce/orders/refund", json=refund)).json()
    again = await (await shopify_service.post("/commerce/orders/refund", json=refund)).json()
    assert first["decision"] == "issued" and again["refund"] == first["refund"]
    amounts = [r["refund"]["transactions"][0]["amount"] for r in standin.validated_refunds]
    assert amounts == ["25.00"], "asked twice, refunded once"
    assert all(r.path.startswith("/admin/api/2025-01/") for r in standin.requests)
