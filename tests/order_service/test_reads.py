"""Reading orders: the token, order numbers, and the order JSON a connector gets."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp.test_utils import TestClient

from order_service.seed_plans import CASES
from tests.order_service.conftest import TODAY, order, refuse

ORDER_KEYS = {
    "number", "email", "customer_name", "placed_at", "status", "currency", "total_cents",
    "refundable_cents", "items", "shipment", "returns", "refunds",
}  # fmt: skip
ITEM_KEYS = {"sku", "name", "quantity", "unit_price_cents", "final_sale", "kind"}
SHIPMENT_KEYS = {
    "carrier", "tracking_number", "tracking_url", "status", "shipped_at", "estimated_delivery",
    "delivered_at",
}  # fmt: skip


async def test_health_needs_no_token(anonymous: TestClient) -> None:
    response = await anonymous.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_orders_need_the_token(anonymous: TestClient) -> None:
    number = CASES["delivered_recently"]
    response = await anonymous.get(f"/v1/orders/{number}")
    assert "Bearer" in await refuse(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    for header in ("Bearer wrong-token-of-some-length-xxxxxxx", "Basic abc", "Bearer"):
        response = await anonymous.get(f"/v1/orders/{number}", headers={"Authorization": header})
        await refuse(response, 401, "unauthorized")
    response = await anonymous.post(f"/v1/orders/{number}/refunds", json={})
    await refuse(response, 401, "unauthorized")


async def test_unknown_and_malformed_order_numbers(shop: TestClient) -> None:
    response = await shop.get("/v1/orders/HL-999999")
    assert "HL-999999" in await refuse(response, 404, "order_not_found")
    for bad in ("HL-12345", "hl-100152", "HL-1001520", "100152", "HL-１２３４５６"):
        response = await shop.get(f"/v1/orders/{bad}")
        assert "HL-123456" in await refuse(response, 400, "invalid_order_number")


async def test_a_shipped_order(shop: TestClient) -> None:
    body = await order(shop, CASES["in_transit"])
    assert set(body) == ORDER_KEYS
    assert body["status"] == "shipped" and body["currency"] == "USD"
    assert body["email"].endswith("@example.com") and body["customer_name"]
    assert body["placed_at"].endswith("Z")
    assert [set(item) for item in body["items"]] == [ITEM_KEYS]
    assert body["total_cents"] == sum(i["quantity"] * i["unit_price_cents"] for i in body["items"])
    assert body["refundable_cents"] == body["total_cents"]
    shipment = body["shipment"]
    assert set(shipment) == SHIPMENT_KEYS
    assert shipment["status"] == "in_transit" and shipment["delivered_at"] is None
    assert shipment["tracking_url"].endswith(shipment["tracking_number"])
    assert date.fromisoformat(shipment["estimated_delivery"]) >= TODAY
    assert body["returns"] == [] and body["refunds"] == []


async def test_a_delivered_order(shop: TestClient) -> None:
    body = await order(shop, CASES["delivered_recently"])
    assert body["status"] == "delivered"
    delivered_at = body["shipment"]["delivered_at"]
    assert date.fromisoformat(delivered_at[:10]) == TODAY - timedelta(days=3)
    assert all(isinstance(item["final_sale"], bool) for item in body["items"])
    assert {item["kind"] for item in body["items"]} == {"device"}


async def test_an_order_with_a_refund_and_a_return(shop: TestClient) -> None:
    body = await order(shop, CASES["partly_refunded"])
    [refund] = body["refunds"]
    assert set(refund) == {"id", "amount_cents", "reason", "created_at"}
    assert body["refundable_cents"] == body["total_cents"] - refund["amount_cents"]
    [ret] = body["returns"]
    assert set(ret) == {"id", "created_at", "reason", "status", "items"}
    assert ret["status"] == "requested" and ret["items"] == [{"sku": "GLW-2PK", "quantity": 1}]


async def test_unknown_routes_and_methods_answer_json(shop: TestClient) -> None:
    await refuse(await shop.get("/v1/customers"), 404, "not_found")
    response = await shop.delete(f"/v1/orders/{CASES['placed']}")
    await refuse(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
