"""Bodies the API refuses before it looks at an order: not JSON, not an object, too large."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from order_service.parsing import MAX_BODY_BYTES
from order_service.seed_plans import CASES
from tests.order_service.conftest import order, refuse

RETURNS = f"/v1/orders/{CASES['delivered_recently']}/returns"
JSON = {"Content-Type": "application/json"}


async def test_non_json_bodies_are_refused_with_a_reason(shop: TestClient) -> None:
    cases = {
        "not valid JSON": (b"{items: [}", JSON),
        "JSON object": (b'[{"sku": "SEN-CAM", "quantity": 1}]', JSON),
        "Content-Type: application/json": (b'{"items": []}', {"Content-Type": "text/plain"}),
        "UTF-8": (b'{"reason": "\xff"}', JSON),
        "not valid JSON ": (b'{"amount_cents": NaN}', JSON),
        "nests deeper": (b'{"items": ' + b"[" * 40 + b"]" * 40 + b"}", JSON),
    }
    for message, (data, headers) in cases.items():
        response = await shop.post(RETURNS, data=data, headers=headers)
        assert message.strip() in await refuse(response, 400, "invalid_json")
    response = await shop.post(RETURNS)
    await refuse(response, 400, "invalid_json")


async def test_an_oversized_body_is_refused_before_it_is_read(shop: TestClient) -> None:
    reason = "x" * (MAX_BODY_BYTES + 1)
    body = {"items": [{"sku": "SEN-CAM", "quantity": 1}], "reason": reason}
    response = await shop.post(RETURNS, json=body)
    assert str(MAX_BODY_BYTES) in await refuse(response, 413, "body_too_large")
    assert (await order(shop, CASES["delivered_recently"]))["returns"] == []
