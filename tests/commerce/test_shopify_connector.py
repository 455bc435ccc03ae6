"""The Shopify connector against a local stand-in for the REST Admin API (aiohttp on a real port,
tests/support/shopify_standin.py) that checks the documented request shapes: orders come back as
the assistant's dataclasses with exact cents, cancelling a shipped order is refused before Shopify
is asked, a refund asked twice with one key creates one refund, and a store that is down or rate
limiting is "unavailable"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from commerce.connector import ShopRefused, ShopUnavailable
from commerce.orders import ReturnedItem
from commerce.shopify_connector import ShopifyConnector, cents
from tests.support.shopify_standin import TOKEN, ShopifyStandin


@pytest.fixture
def standin() -> ShopifyStandin:
    return ShopifyStandin()


@pytest.fixture
async def shop_url(aiohttp_server: Any, standin: ShopifyStandin) -> str:
    server = await aiohttp_server(standin.app())
    return str(server.make_url(""))


@pytest.fixture
async def connector(shop_url: str) -> AsyncIterator[ShopifyConnector]:
    shop = ShopifyConnector("halo-home", TOKEN, base_url=shop_url)
    yield shop
    await shop.close()


async def test_an_order_is_found_by_its_name_with_or_without_the_hash(
    connector: ShopifyConnector, standin: ShopifyStandin
) -> None:
    with_hash = await connector.find_order("#1002")
    without = await connector.find_order("1002")
    assert with_hash is not None and with_hash == without and with_hash.number == "#1002"
    assert await connector.find_order("#4242") is None
    cancelled = await connector.find_order("1004")  # listed only with status=any
    assert cancelled is not None and cancelled.status == "cancelled"
    assert {r.query["name"] for r in standin.requests} == {"#1002", "#4242", "#1004"}
    assert all(r.query["status"] == "any" for r in standin.requests)
    assert all(r.path == "/admin/api/2025-01/orders.json" for r in standin.requests)


async def test_an_orders_fields_map_to_the_assistants_order(connector: ShopifyConnector) -> None:
    placed = await connector.find_order("1001")
    assert placed is not None and placed.status == "placed" and placed.shipment is None
    assert placed.total_cents == 8999 and placed.refundable_cents == 0  # only authorized
    assert placed.email == "ada.lovelace@example.com" and placed.customer_name == "Ada Lovelace"
    assert placed.placed_at == datetime(2026, 3, 1, 15, 0, tzinfo=timezone.utc)
    assert placed.returns == ()

    moving = await connector.find_order("1002")
    assert moving is not None and moving.status == "shipped" and moving.shipment is not None
    assert moving.shipment.status == "in_transit" and moving.shipment.delivered_at is None
    assert moving.shipment.carrier == "UPS" and moving.shipment.tracking_number == "1Z999AA14502"
    assert moving.shipment.tracking_url.startswith("https://www.ups.com/")

    gifts = await connector.find_order("#1003")
    assert gifts is not None and gifts.status == "delivered" and gifts.total_cents == 15998
    assert [(i.sku, i.unit_price_cents, i.kind) for i in gifts.items] == [
        ("HL-DB-03", 12999, "device"),
        ("", 2500, "gift_card"),
    ]
    assert gifts.shipment is not None and gifts.shipment.status == "delivered"
    assert gifts.shipment.delivered_at == datetime(
        2026, 3, 5, 16, 40, tzinfo=timezone(timedelta(hours=-5))
    )

    refunded = await connector.find_order("1005")
    assert refunded is not None and refunded.total_cents == 21950
    assert [(r.id, r.amount_cents, r.reason) for r in refunded.refunds] == [
        ("8001", 3000, "one bulb arrived cracked")
    ]
    assert refunded.refundable_cents == 21950 - 3000


def test_money_strings_become_exact_cents() -> None:
    assert cents("89.99") == 8999 and cents("0.10") == 10 and cents("1234.5") == 123450
    for unreadable in (89.99, "12.345", "twelve"):
        with pytest.raises(ValueError):
            cents(unreadable)


async def test_cancelling_an_unshipped_order_and_refusing_a_shipped_one(
    connector: ShopifyConnector, standin: ShopifyStandin
) -> None:
    cancelled = await connector.cancel_order("#1001", "ordered twice by mistake")
    assert cancelled.status == "cancelled" and cancelled.refunds == ()
    [cancel] = standin.posts_to("/cancel.json")
    assert cancel.path == "/admin/api/2025-01/orders/4501/cancel.json"
    assert cancel.body == {"reason": "customer"}
    for number, code in (("1002", "already_shipped"), ("1004", "already_cancelled")):
        with pytest.raises(ShopRefused) as refused:
            await connector.cancel_order(number, "too slow")
        assert refused.value.code == code
    assert len(standin.posts_to("/cancel.json")) == 1  # Shopify was not asked for those


async def test_a_refund_asked_twice_with_one_key_is_created_once(
    connector: ShopifyConnector, standin: ShopifyStandin
) -> None:
    first = await connector.refund("#1003", 1550, "scratched mount", "conversation-7:turn-5")
    again = await connector.refund("1003", 1550, "scratched mount", "conversation-7:turn-5")
    assert again == first and first.amount_cents == 1550 and first.reason == "scratched mount"
    assert len(standin.posts_to("/refunds.json")) == 1
    # The stand-in checked the body against the documented shape before it accepted it.
    [body] = standin.validated_refunds
    assert body["refund"]["transactions"] == [
        {"parent_id": 7503, "amount": "15.50", "kind": "refund", "gateway": "shopify_payments"}
    ]
    assert body["refund"]["notify"] is False
    assert body["refund"]["note"] == "scratched mount [key: conversation-7:turn-5]"
    order = await connector.find_order("1003")
    assert order is not None and [r.id for r in order.refunds] == [first.id]
    assert order.refundable_cents == 15998 - 1550


async def test_a_refund_above_what_is_left_is_refused_without_asking_shopify(
    connector: ShopifyConnector, standin: ShopifyStandin
) -> None:
    with pytest.raises(ShopRefused) as refused:
        await connector.refund("1005", 21950 - 3000 + 1, "everything", "conversation-8:turn-2")
    assert refused.value.code == "exceeds_refundable" and "189.50" in refused.value.message
    assert standin.posts_to("/refunds.json") == [] and standin.posts_to("calculate.json") == []
    with pytest.raises(ShopRefused) as refused:
        await connector.refund("#4242", 100, "x", "conversation-8:turn-3")
    assert refused.value.code == "order_not_found"


async def test_a_mis_shaped_refund_body_is_rejected_by_the_standin(
    shop_url: str, standin: ShopifyStandin
) -> None:
    """The stand-in really checks: a float amount is refused with Shopify's 422 `errors`."""
    shop = ShopifyConnector("halo-home", TOKEN, base_url=shop_url)
    try:
        body = {"refund": {"transactions": [{"parent_id": 7503, "amount": 15.5, "kind": "refund"}]}}
        answer = await shop._call("POST", "/orders/4503/refunds.json", body=body)
    except ShopRefused as refused:
        assert refused.code == "unprocessable" and "amount" in refused.message
    else:
        pytest.fail(f"the stand-in accepted {answer}")
    finally:
        await shop.close()
    assert standin.validated_refunds == []


async def test_returns_are_not_supported_on_shopify(connector: ShopifyConnector) -> None:
    with pytest.raises(ShopRefused) as refused:
        await connector.create_return("1003", [ReturnedItem("HL-DB-03", 1)], "not needed")
    assert refused.value.code == "not_supported" and "GraphQL" in refused.value.message


async def test_a_wrong_token_is_refused_not_mistaken_for_a_missing_order(shop_url: str) -> None:
    shop = ShopifyConnector("halo-home", "shpat_wrong", base_url=shop_url)
    try:
        with pytest.raises(ShopRefused) as refused:
            await shop.find_order("1001")
        assert refused.value.code == "unauthorized" and "access token" in refused.value.message
    finally:
        await shop.close()


async def test_a_store_that_is_down_or_rate_limiting_is_unavailable(
    connector: ShopifyConnector, standin: ShopifyStandin, unused_tcp_port: int
) -> None:
    standin.mode = "unavailable"
    with pytest.raises(ShopUnavailable, match="503"):
        await connector.find_order("1001")
    standin.mode = "rate_limited"
    with pytest.raises(ShopUnavailable, match="retry after 2"):
        await connector.refund("1003", 100, "x", "conversation-9:turn-1")
    assert standin.posts_to("/refunds.json") == []
    down = ShopifyConnector(
        "halo-home", TOKEN, timeout=2, base_url=f"http://127.0.0.1:{unused_tcp_port}"
    )
    try:
        with pytest.raises(ShopUnavailable, match="could not be reached"):
            await down.find_order("1001")
    finally:
        await down.close()


async def test_a_wrong_api_version_is_not_mistaken_for_a_missing_order(shop_url: str) -> None:
    shop = ShopifyConnector("halo-home", TOKEN, api_version="2019-04", base_url=shop_url)
    try:
        with pytest.raises(ShopUnavailable, match="no orders API"):
            await shop.find_order("1001")
    finally:
        await shop.close()


def test_the_shop_domain_becomes_the_admin_api_origin() -> None:
    assert ShopifyConnector("halo-home", TOKEN).api_url == (
        "https://halo-home.myshopify.com/admin/api/2025-01"
    )
    assert ShopifyConnector("https://halo-home.myshopify.com/", TOKEN, "2025-04").api_url == (
        "https://halo-home.myshopify.com/admin/api/2025-04"
    )
