"""Refunds: within what is left to refund (nothing before the order ships: the card is charged
then), and idempotent by the Idempotency-Key header."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from aiohttp.test_utils import TestClient

from order_service.seed_plans import CASES
from tests.order_service.conftest import order, refuse

NUMBER = CASES["high_value"]
PATH = f"/v1/orders/{NUMBER}/refunds"


def refund_rows(db_path: Path, key: str) -> int:
    with sqlite3.connect(db_path) as db:
        return int(db.execute("SELECT COUNT(*) FROM refunds WHERE idempotency_key = ?", (key,))
                   .fetchone()[0])  # fmt: skip


async def test_a_refund_lowers_what_is_refundable(shop: TestClient) -> None:
    before = await order(shop, NUMBER)
    request = {"amount_cents": 30000, "reason": "thermostat returned"}
    response = await shop.post(PATH, json=request, headers={"Idempotency-Key": "k-1"})
    assert response.status == 201
    refund = await response.json()
    assert set(refund) == {"id", "order_number", "amount_cents", "reason", "created_at"}
    assert refund["id"].startswith("RF-") and refund["amount_cents"] == 30000
    after = await order(shop, NUMBER)
    assert after["refundable_cents"] == before["refundable_cents"] - 30000
    assert after["refunds"][-1]["id"] == refund["id"]


async def test_no_more_than_what_is_left(shop: TestClient) -> None:
    left = (await order(shop, CASES["partly_refunded"]))["refundable_cents"]
    path = f"/v1/orders/{CASES['partly_refunded']}/refunds"
    too_much = {"amount_cents": left + 1, "reason": "goodwill"}
    response = await shop.post(path, json=too_much, headers={"Idempotency-Key": "a"})
    assert str(left) in await refuse(response, 409, "exceeds_refundable")
    exact = {"amount_cents": left, "reason": "goodwill"}
    assert (await shop.post(path, json=exact, headers={"Idempotency-Key": "b"})).status == 201
    one = {"amount_cents": 1, "reason": "goodwill"}
    response = await shop.post(path, json=one, headers={"Idempotency-Key": "c"})
    await refuse(response, 409, "exceeds_refundable")


async def test_nothing_is_refunded_before_the_order_ships(shop: TestClient) -> None:
    one = {"amount_cents": 1, "reason": "goodwill"}
    for case in ("placed", "label_created"):
        path = f"/v1/orders/{CASES[case]}/refunds"
        response = await shop.post(path, json=one, headers={"Idempotency-Key": f"early-{case}"})
        message = await refuse(response, 409, "exceeds_refundable")
        assert f"nothing has been charged for order {CASES[case]} yet" in message
        assert "charged only when the order ships" in message
        assert (await order(shop, CASES[case]))["refunds"] == []


async def test_nothing_is_refunded_on_a_cancelled_order(shop: TestClient) -> None:
    assert (await shop.post(f"/v1/orders/{CASES['placed']}/cancellation")).status == 200
    one = {"amount_cents": 1, "reason": "goodwill"}
    for case in ("cancelled", "placed"):  # cancelled in the seed, and just now
        path = f"/v1/orders/{CASES[case]}/refunds"
        response = await shop.post(path, json=one, headers={"Idempotency-Key": f"late-{case}"})
        message = await refuse(response, 409, "exceeds_refundable")
        assert f"nothing was charged for order {CASES[case]}" in message
        assert "cancelled before it shipped" in message
        assert (await order(shop, CASES[case]))["refunds"] == []


async def test_a_retry_with_the_same_key_makes_no_second_refund(
    shop: TestClient, db_path: Path
) -> None:
    request = {"amount_cents": 42996, "reason": "whole order"}  # all that is refundable
    headers = {"Idempotency-Key": "retry-me"}
    first = await shop.post(PATH, json=request, headers=headers)
    second = await shop.post(PATH, json=request, headers=headers)
    assert (first.status, second.status) == (201, 200)
    assert await first.json() == await second.json()
    assert refund_rows(db_path, "retry-me") == 1
    assert len((await order(shop, NUMBER))["refunds"]) == 1


async def test_concurrent_retries_make_one_refund(shop: TestClient, db_path: Path) -> None:
    request = {"amount_cents": 500, "reason": "late delivery credit"}
    headers = {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *(shop.post(PATH, json=request, headers=headers) for _ in range(5))
    )
    assert sorted(response.status for response in responses) == [200, 200, 200, 200, 201]
    assert len({(await response.json())["id"] for response in responses}) == 1
    assert refund_rows(db_path, "burst") == 1


async def test_a_key_reused_for_another_request_is_refused(shop: TestClient) -> None:
    headers = {"Idempotency-Key": "once"}
    request = {"amount_cents": 1000, "reason": "price match"}
    assert (await shop.post(PATH, json=request, headers=headers)).status == 201
    for other_path, other in (
        (PATH, {"amount_cents": 2000, "reason": "price match"}),
        (PATH, {"amount_cents": 1000, "reason": "another reason"}),
        (f"/v1/orders/{CASES['membership']}/refunds", request),
    ):
        response = await shop.post(other_path, json=other, headers=headers)
        assert "new key" in await refuse(response, 422, "idempotency_key_reused")
    assert len((await order(shop, NUMBER))["refunds"]) == 1


async def test_refund_requests_are_checked(shop: TestClient) -> None:
    request = {"amount_cents": 100, "reason": "x"}
    response = await shop.post(PATH, json=request)
    assert "Idempotency-Key" in await refuse(response, 400, "idempotency_key_required")
    response = await shop.post(PATH, json=request, headers={"Idempotency-Key": "k" * 101})
    assert "1-100" in await refuse(response, 400, "invalid_request")
    for amount in (0, -5, 12.5, "100", True, None, 10**12):
        body = {"amount_cents": amount, "reason": "x"}
        response = await shop.post(PATH, json=body, headers={"Idempotency-Key": "v"})
        assert "whole number of cents" in await refuse(response, 400, "invalid_request")
    response = await shop.post(
        "/v1/orders/HL-999999/refunds", json=request, headers={"Idempotency-Key": "n"}
    )
    await refuse(response, 404, "order_not_found")
    assert (await order(shop, NUMBER))["refunds"] == []
