"""The connector to the sample order service, against the real service (aiohttp on a real port,
SQLite in tmp_path, seeded for a fixed day): orders come back as the assistant's dataclasses,
refusals keep the shop's reason, a refund asked twice moves money once, and a shop that is down
or answers nonsense is "unavailable", never a made-up status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from commerce.connector import ShopRefused, ShopUnavailable
from commerce.order_service_connector import OrderServiceConnector
from commerce.orders import ReturnedItem
from commerce.policy import load_policy, refund_decision, return_eligibility
from order_service.app import create_app
from order_service.seed_plans import CASES

TOKEN = "connector-test-token-" + "y" * 10
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
async def shop_url(aiohttp_server: Any, tmp_path: Path) -> str:
    server = await aiohttp_server(create_app(tmp_path / "orders.sqlite3", TOKEN, clock=lambda: NOW))
    return str(server.make_url(""))


@pytest.fixture
async def connector(shop_url: str) -> AsyncIterator[OrderServiceConnector]:
    shop = OrderServiceConnector(shop_url, TOKEN)
    yield shop
    await shop.close()


async def test_an_order_comes_back_with_its_items_shipment_and_refunds(
    connector: OrderServiceConnector,
) -> None:
    order = await connector.find_order(CASES["partly_refunded"])
    assert order is not None and order.status == "delivered"
    assert order.shipment is not None and order.shipment.delivered_at is not None
    assert order.shipment.tracking_url.startswith("https://")
    assert [refund.reason for refund in order.refunds] == ["one Glow bulb 2-pack arrived cracked"]
    assert order.refundable_cents == order.total_cents - order.refunds[0].amount_cents
    in_transit = await connector.find_order(CASES["in_transit"])
    assert in_transit is not None and in_transit.shipment is not None
    assert in_transit.shipment.status == "in_transit" and in_transit.shipment.delivered_at is None


async def test_an_unknown_order_is_none_and_a_malformed_number_is_refused(
    connector: OrderServiceConnector,
) -> None:
    assert await connector.find_order("HL-999999") is None
    with pytest.raises(ShopRefused) as refused:
        await connector.find_order("HL-12/../../x")
    assert refused.value.code != "order_not_found"


async def test_the_policy_reads_the_shops_orders(connector: OrderServiceConnector) -> None:
    policy, today = load_policy(), NOW.date()
    recent = await connector.find_order(CASES["delivered_recently"])
    old = await connector.find_order(CASES["delivered_long_ago"])
    gift = await connector.find_order(CASES["gift_card"])
    big = await connector.find_order(CASES["high_value"])
    assert recent and old and gift and big
    assert return_eligibility(recent, today, policy).eligible
    assert return_eligibility(old, today, policy).reason == "window_passed"
    assert [item.kind for item, _ in return_eligibility(gift, today, policy).returnable] == [
        "device"
    ]
    assert refund_decision(big, big.total_cents, None, policy).kind == "needs_approval"


async def test_a_refund_asked_twice_with_one_key_refunds_once(
    connector: OrderServiceConnector,
) -> None:
    number = CASES["delivered_recently"]
    first = await connector.refund(number, 1500, "scratched mount", "conversation-7:turn-5")
    again = await connector.refund(number, 1500, "scratched mount", "conversation-7:turn-5")
    assert again == first
    order = await connector.find_order(number)
    assert order is not None and [refund.id for refund in order.refunds] == [first.id]
    with pytest.raises(ShopRefused) as refused:
        await connector.refund(number, 10**7, "everything", "conversation-7:turn-6")
    assert refused.value.code == "exceeds_refundable" and refused.value.message


async def test_cancelling_and_returning_keep_the_shops_reasons(
    connector: OrderServiceConnector,
) -> None:
    cancelled = await connector.cancel_order(CASES["placed"], "ordered twice")
    assert cancelled.status == "cancelled" and cancelled.refunds == ()  # only a hold is released
    with pytest.raises(ShopRefused) as refused:
        await connector.cancel_order(CASES["in_transit"], "too slow")
    assert refused.value.code == "already_shipped"
    recent = await connector.find_order(CASES["delivered_recently"])
    assert recent is not None
    sku = recent.items[0].sku
    record = await connector.create_return(recent.number, [ReturnedItem(sku, 1)], "not needed")
    assert record.items == (ReturnedItem(sku, 1),) and record.status == "requested"
    with pytest.raises(ShopRefused) as refused:
        await connector.create_return(CASES["in_transit"], [ReturnedItem(sku, 1)], "early")
    assert refused.value.code == "not_delivered"


async def test_a_wrong_token_is_refused_not_mistaken_for_a_missing_order(shop_url: str) -> None:
    shop = OrderServiceConnector(shop_url, "not-the-token-" + "z" * 12)
    try:
        with pytest.raises(ShopRefused) as refused:
            await shop.find_order(CASES["placed"])
        assert refused.value.code == "unauthorized"
    finally:
        await shop.close()


async def test_a_shop_that_is_down_or_talks_nonsense_is_unavailable(
    aiohttp_server: Any, unused_tcp_port: int
) -> None:
    down = OrderServiceConnector(f"http://127.0.0.1:{unused_tcp_port}", TOKEN, timeout=2)
    with pytest.raises(ShopUnavailable):
        await down.find_order(CASES["placed"])
    await down.close()

    async def broken(request: web.Request) -> web.Response:
        if request.path.endswith("refunds"):
            return web.Response(status=503, text="maintenance")
        return web.json_response({"number": "HL-100231"})  # not the documented order

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", broken)
    server = await aiohttp_server(app)
    nonsense = OrderServiceConnector(str(server.make_url("")), TOKEN)
    try:
        with pytest.raises(ShopUnavailable, match="not readable"):
            await nonsense.find_order(CASES["placed"])
        with pytest.raises(ShopUnavailable, match="503"):
            await nonsense.refund(CASES["placed"], 100, "x", "key-1")
    finally:
        await nonsense.close()
