"""Cancelling before and after shipping (no refund: nothing is charged before shipping); asking
for a return, and the shop's three refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aiohttp.test_utils import TestClient

from order_service.seed_plans import CASES
from tests.order_service.conftest import NOW, order, refuse


def cancel_path(case: str) -> str:
    return f"/v1/orders/{CASES[case]}/cancellation"


def returns_path(case: str) -> str:
    return f"/v1/orders/{CASES[case]}/returns"


async def test_cancel_before_shipping_refunds_nothing(shop: TestClient, db_path: Path) -> None:
    # the card is charged only when the order ships: cancelling releases the hold, no refund
    before = await order(shop, CASES["placed"])
    assert before["total_cents"] > 0 and before["refundable_cents"] == 0
    response = await shop.post(cancel_path("placed"), json={"reason": "ordered twice"})
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "cancelled" and body["refundable_cents"] == 0
    assert body["refunds"] == [] and body["total_cents"] == before["total_cents"]
    assert await order(shop, CASES["placed"]) == body
    with sqlite3.connect(db_path) as db:
        query = "SELECT COUNT(*) FROM refunds WHERE order_number = ?"
        assert db.execute(query, (CASES["placed"],)).fetchone()[0] == 0
    response = await shop.post(cancel_path("placed"))
    assert "already cancelled" in await refuse(response, 409, "already_cancelled")
    assert (await order(shop, CASES["placed"]))["refunds"] == []


async def test_cancel_with_a_label_voids_it_and_takes_no_body(shop: TestClient) -> None:
    response = await shop.post(cancel_path("label_created"))
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "cancelled" and body["shipment"] is None
    assert body["refunds"] == [] and body["refundable_cents"] == 0
    response = await shop.post(cancel_path("label_created"))
    await refuse(response, 409, "already_cancelled")


async def test_a_cancellation_reason_is_still_checked(shop: TestClient) -> None:
    for bad in ({"reason": ""}, {"reason": "x" * 501}, {"reason": 5}, {"note": "hi"}):
        response = await shop.post(cancel_path("placed"), json=bad)
        await refuse(response, 400, "invalid_request")
    assert (await order(shop, CASES["placed"]))["status"] == "placed"


async def test_cancel_after_shipping_is_refused(shop: TestClient) -> None:
    for case in ("in_transit", "delayed", "delivered_recently"):
        response = await shop.post(cancel_path(case), json={"reason": "changed my mind"})
        assert "only returned" in await refuse(response, 409, "already_shipped")
        assert (await order(shop, CASES[case]))["refunds"] == []
    await refuse(await shop.post(cancel_path("cancelled")), 409, "already_cancelled")
    await refuse(await shop.post("/v1/orders/HL-999999/cancellation"), 404, "order_not_found")


async def test_a_parcel_on_its_way_is_never_cancelled(shop: TestClient, db_path: Path) -> None:
    # an order still marked placed whose parcel the carrier already has (a late status update)
    with sqlite3.connect(db_path) as db:
        db.execute(
            "INSERT INTO shipments (order_number, carrier, tracking_number, tracking_url, status,"
            " shipped_at) VALUES (?, 'UPS', '1Z0', 'https://www.ups.com/track?tracknum=1Z0',"
            " 'in_transit', '2026-03-14T09:00:00.000Z')",
            (CASES["placed"],),
        )
    await refuse(await shop.post(cancel_path("placed")), 409, "already_shipped")
    assert (await order(shop, CASES["placed"]))["status"] == "placed"


async def test_a_return_is_recorded_on_the_order(shop: TestClient) -> None:
    request = {"items": [{"sku": "SEN-CAM", "quantity": 1}], "reason": "stopped recording"}
    response = await shop.post(returns_path("delivered_recently"), json=request)
    assert response.status == 201
    ret = await response.json()
    assert ret["id"].startswith("RT-") and ret["order_number"] == CASES["delivered_recently"]
    assert ret["status"] == "requested" and ret["reason"] == "stopped recording"
    assert ret["items"] == request["items"] and ret["created_at"].startswith(str(NOW.date()))
    [shown] = (await order(shop, CASES["delivered_recently"]))["returns"]
    assert shown == {key: ret[key] for key in shown}


async def test_the_shop_leaves_windows_and_final_sale_to_the_assistant(shop: TestClient) -> None:
    old = {"items": [{"sku": "SEN-DBL", "quantity": 1}], "reason": "no longer needed"}
    assert (await shop.post(returns_path("delivered_long_ago"), json=old)).status == 201
    final = {"items": [{"sku": "SEN-CAM-OB", "quantity": 1}], "reason": "scratched lens"}
    assert (await shop.post(returns_path("final_sale"), json=final)).status == 201


async def test_only_delivered_orders_can_be_returned(shop: TestClient) -> None:
    request = {"items": [{"sku": "SEN-CAM", "quantity": 1}], "reason": "late"}
    response = await shop.post(returns_path("in_transit"), json=request)
    assert "delivered" in await refuse(response, 409, "not_delivered")


async def test_items_must_be_in_the_order(shop: TestClient) -> None:
    request = {"items": [{"sku": "THM-01", "quantity": 1}], "reason": "wrong item"}
    response = await shop.post(returns_path("delivered_recently"), json=request)
    assert "THM-01" in await refuse(response, 409, "item_not_in_order")


async def test_quantities_count_what_was_already_returned(shop: TestClient) -> None:
    # 2 Glow 2-packs bought, 1 already asked back in the seed
    two = {"items": [{"sku": "GLW-2PK", "quantity": 2}], "reason": "flicker"}
    response = await shop.post(returns_path("partly_refunded"), json=two)
    assert "only 1" in await refuse(response, 409, "quantity_exceeds_order")
    one = {"items": [{"sku": "GLW-2PK", "quantity": 1}], "reason": "flicker"}
    assert (await shop.post(returns_path("partly_refunded"), json=one)).status == 201
    response = await shop.post(returns_path("partly_refunded"), json=one)
    await refuse(response, 409, "quantity_exceeds_order")
    assert len((await order(shop, CASES["partly_refunded"]))["returns"]) == 2


async def test_return_requests_are_checked(shop: TestClient) -> None:
    path = returns_path("delivered_recently")
    line = {"sku": "SEN-CAM", "quantity": 1}
    bad_bodies = {
        "items must be a list": {"items": [], "reason": "x"},
        "items[0].quantity": {"items": [{"sku": "SEN-CAM", "quantity": 0}], "reason": "x"},
        "exactly": {"items": [{"sku": "SEN-CAM"}], "reason": "x"},
        "each sku once": {"items": [line, line], "reason": "x"},
        "reason must be": {"items": [line]},
        "unknown fields note": {"items": [line], "reason": "x", "note": "hi"},
    }
    for message, body in bad_bodies.items():
        response = await shop.post(path, json=body)
        assert message in await refuse(response, 400, "invalid_request")
    assert (await order(shop, CASES["delivered_recently"]))["returns"] == []
