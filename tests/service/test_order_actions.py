"""The assistant acts on an order the conversation proved: looks it up, cancels it, returns it,
refunds it within the tier's limit, and every attempt is audited. The real service on a real
Redis with the real sample order service on a real port (seeded for a fixed day); the shop's own
API is asked afterwards what really happened."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from commerce.refusals import not_verified_message
from order_service.seed_plans import CASES
from service.desk import order_audit
from tests.service.order_fixtures import shop_email, shop_order, start_service, verify

LOOKUP = "/commerce/orders/lookup"
CANCEL = "/commerce/orders/cancel"
RETURN = "/commerce/orders/return"
REFUND = "/commerce/orders/refund"
AUDIT = "/commerce/audit"


async def _proved(service: Any, shop_url: str, case: str, conversation: str = "conv-1") -> str:
    number = CASES[case]
    answer = await verify(service, number, await shop_email(shop_url, number), conversation)
    assert answer["verified"] is True
    return number


async def _post(service: Any, path: str, body: dict[str, Any], status: int = 200) -> Any:
    response = await service.post(path, json=body)
    assert response.status == status, await response.text()
    return await response.json()


async def _act(service: Any, path: str, number: str, turn: int = 5, **extra: Any) -> Any:
    body = {"conversation_id": "conv-1", "order_number": number, "turn": turn, **extra}
    return await _post(service, path, body)


async def _audit(service: Any, query: str = "") -> list[dict[str, Any]]:
    response = await service.get(f"{AUDIT}{query}")
    assert response.status == 200, await response.text()
    entries: list[dict[str, Any]] = (await response.json())["entries"]
    return entries


async def test_an_order_not_proved_is_refused_alike_whether_it_exists_or_not(
    service: Any, shop_server: Any, shop_url: str
) -> None:
    placed = await _proved(service, shop_url, "placed", conversation="someone-else")
    await shop_server.close()  # the shop is not even asked: its being down changes nothing
    for number in (placed, "HL-999999"):
        for path, extra in [
            (LOOKUP, {}),
            (CANCEL, {"turn": 3}),
            (RETURN, {"turn": 3, "reason": "changed my mind"}),
            (REFUND, {"turn": 3, "amount_cents": 1000, "reason": "late"}),
        ]:
            body = {"conversation_id": "conv-1", "order_number": number, **extra}
            answer = await _post(service, path, body, status=403)
            assert answer == {"error": "not_verified", "message": not_verified_message(number)}
    refused = await _audit(service, "?conversation_id=conv-1")
    assert len(refused) == 6  # the three actions, twice; a lookup changes nothing
    assert {(e["result"], e["detail"]) for e in refused} == {("refused", "not_verified")}


async def test_a_proved_order_is_looked_up_with_the_tiers_refund_limit(
    service: Any, shop_url: str
) -> None:
    number = await _proved(service, shop_url, "in_transit")
    body = {"conversation_id": "conv-1", "order_number": number}
    order = (await _post(service, LOOKUP, body))["order"]
    assert order["number"] == number and order["status"] == "shipped"
    assert order["shipment"]["status"] == "in_transit" and order["refund_limit_cents"] == 10000
    assert "email" not in order and "customer_name" not in order
    vip = (await _post(service, LOOKUP, body | {"tier": "vip"}))["order"]
    assert vip["refund_limit_cents"] == 25000


async def test_cancelling_before_shipping_cancels_in_the_shop_and_after_is_refused(
    service: Any, shop_url: str
) -> None:
    placed = await _proved(service, shop_url, "placed")
    answer = await _act(service, CANCEL, placed, reason="ordered twice by mistake")
    assert answer["done"] is True and answer["order"]["status"] == "cancelled"
    assert (await shop_order(shop_url, placed))["status"] == "cancelled"
    assert await _act(service, CANCEL, placed) == answer  # the same turn again: the same answer
    later = await _act(service, CANCEL, placed, turn=6)
    assert later["done"] is False and later["refused"] == "already_cancelled"

    shipped = await _proved(service, shop_url, "in_transit")
    refused = await _act(service, CANCEL, shipped)
    assert refused["done"] is False and refused["refused"] == "already_shipped"
    assert "already shipped" in refused["message"] and shipped in refused["message"]
    assert (await shop_order(shop_url, shipped))["status"] == "shipped"


async def test_an_eligible_return_returns_everything_returnable(
    service: Any, shop_url: str
) -> None:
    number = await _proved(service, shop_url, "delivered_recently")
    answer = await _act(service, RETURN, number, reason="the camera is too big for the porch")
    assert answer["done"] is True and answer["return"]["id"].startswith("RT-")
    assert sorted((i["sku"], i["name"], i["quantity"]) for i in answer["return"]["items"]) == [
        ("SEN-CAM", "Sentinel Cam", 1),
        ("SEN-MNT", "Sentinel Cam wall mount", 1),
    ]
    assert answer["order"]["return"]["reason"] == "nothing_returnable"
    shop_returns = (await shop_order(shop_url, number))["returns"]
    assert [r["id"] for r in shop_returns] == [answer["return"]["id"]]
    again = await _act(service, RETURN, number, reason="the camera is too big for the porch")
    assert again == answer and len((await shop_order(shop_url, number))["returns"]) == 1


async def test_a_gift_card_is_never_returned_and_ineligible_returns_say_why(
    service: Any, shop_url: str
) -> None:
    gift = await _proved(service, shop_url, "gift_card")
    first = await _act(service, RETURN, gift, reason="not needed")
    assert [i["sku"] for i in first["return"]["items"]] == ["HUB-01"]  # not the gift card
    left = await _act(service, RETURN, gift, turn=6, reason="the gift card too")
    assert (left["done"], left["refused"]) == (False, "nothing_returnable")
    assert "gift cards" in left["message"]

    old = await _proved(service, shop_url, "delivered_long_ago")
    late = await _act(service, RETURN, old, reason="stopped working")
    assert (late["done"], late["refused"]) == (False, "window_passed")
    assert "closed on 2026-02-" in late["message"]  # delivered 45 days before 14 March
    moving = await _proved(service, shop_url, "in_transit")
    early = await _act(service, RETURN, moving, reason="changed my mind")
    assert (early["done"], early["refused"]) == (False, "not_delivered")
    for number in (old, moving):
        assert (await shop_order(shop_url, number))["returns"] == []


async def test_a_refund_within_the_limit_is_issued_once_however_often_it_is_asked(
    service: Any, shop_url: str
) -> None:
    number = await _proved(service, shop_url, "high_value")
    refundable = (await shop_order(shop_url, number))["refundable_cents"]
    body = {"amount_cents": 5000, "reason": "the thermostat arrived scratched"}
    first = await _act(service, REFUND, number, **body)
    assert first["decision"] == "issued" and first["refund"]["amount_cents"] == 5000
    assert first["order"]["refundable_cents"] == refundable - 5000
    assert await _act(service, REFUND, number, **body) == first  # retried: the same refund
    concurrent = await asyncio.gather(
        *(_act(service, REFUND, number, turn=8, amount_cents=3000, reason="late") for _ in range(2))
    )
    assert concurrent[0]["refund"] == concurrent[1]["refund"]
    assert concurrent[0]["refund"]["id"] != first["refund"]["id"]  # another turn: a new refund
    refunds = (await shop_order(shop_url, number))["refunds"]
    assert sorted(r["amount_cents"] for r in refunds) == [3000, 5000]
    entries = await _audit(service, f"?order_number={number}")
    assert [(e["result"], e["amount_cents"], e.get("replayed", False)) for e in entries] == [
        ("issued", 3000, True),
        ("issued", 3000, False),
        ("issued", 5000, True),
        ("issued", 5000, False),
    ]


async def test_a_refund_above_the_limit_waits_for_a_supervisor_and_moves_nothing(
    service: Any, shop_url: str, redis_client: Any
) -> None:
    number = await _proved(service, shop_url, "high_value")
    ask = {"amount_cents": 15000, "reason": "the whole camera set is faulty"}
    answer = await _act(service, REFUND, number, turn=7, **ask)
    assert answer == {
        "decision": "needs_approval",
        "amount_cents": 15000,
        "limit_cents": 10000,
        "currency": "USD",
    }
    assert (await shop_order(shop_url, number))["refunds"] == []
    held = json.loads(await redis_client.get("commerce:approval:conv-1"))
    assert held["order_number"] == number and held["amount_cents"] == 15000
    assert (held["limit_cents"], held["turn"], held["currency"]) == (10000, 7, "USD")
    assert held["reason"] == ask["reason"] and held["idempotency_key"].startswith("refund:")
    assert held["created_at"] == "2026-03-14T12:00:00.000Z"
    assert 3 * 86400 - 5 < await redis_client.ttl("commerce:approval:conv-1") <= 3 * 86400
    assert (await _audit(service))[0]["result"] == "needs_approval"

    vip = await _act(service, REFUND, number, turn=9, tier="vip", **ask)
    assert vip["decision"] == "issued" and vip["order"]["refund_limit_cents"] == 25000
    assert [r["amount_cents"] for r in (await shop_order(shop_url, number))["refunds"]] == [15000]


async def test_a_refund_beyond_what_is_left_or_not_positive_is_refused(
    service: Any, shop_url: str
) -> None:
    number = await _proved(service, shop_url, "partly_refunded")
    left = (await shop_order(shop_url, number))["refundable_cents"]
    too_much = await _act(service, REFUND, number, amount_cents=left + 1, reason="x", tier="vip")
    assert too_much["decision"] == "refused" and too_much["reason"] == "exceeds_refundable"
    assert too_much["limit_cents"] == 25000 and f"${left // 100}." in too_much["message"]
    nothing = await _act(service, REFUND, number, turn=6, amount_cents=0, reason="x")
    assert (nothing["decision"], nothing["reason"]) == ("refused", "not_positive")
    placed = await _proved(service, shop_url, "placed")  # not charged until it ships
    uncharged = await _act(service, REFUND, placed, amount_cents=500, reason="x")
    assert uncharged["reason"] == "exceeds_refundable"
    assert len((await shop_order(shop_url, number))["refunds"]) == 1  # only the earlier one


async def test_with_the_shop_down_an_action_is_503_and_audited_unavailable(
    service: Any, shop_server: Any, shop_url: str
) -> None:
    number = await _proved(service, shop_url, "delivered_recently")
    await shop_server.close()
    for path, extra in [
        (REFUND, {"amount_cents": 1000, "reason": "scratched"}),
        (CANCEL, {}),
    ]:
        response = await service.post(
            path, json={"conversation_id": "conv-1", "order_number": number, "turn": 4, **extra}
        )
        assert response.status == 503
        assert "shop is unavailable" in (await response.json())["error"]
    entries = await _audit(service)
    assert [(e["action"], e["result"]) for e in entries] == [
        ("cancel", "unavailable"),
        ("refund", "unavailable"),
    ]
    lookup = await service.post(LOOKUP, json={"conversation_id": "conv-1", "order_number": number})
    assert lookup.status == 503


async def test_the_audit_log_says_who_did_what_when_and_nothing_about_the_customer(
    service: Any, shop_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_audit, "READ_BATCH", 2)  # the filters read the stream in pages
    gift = await _proved(service, shop_url, "gift_card")
    placed = await _proved(service, shop_url, "placed", conversation="conv-2")
    await _act(service, RETURN, gift, turn=2, reason="my email is maya.chen@example.com")
    await _act(service, REFUND, gift, turn=3, amount_cents=1500, reason="late")
    body = {"conversation_id": "conv-2", "order_number": placed, "turn": 1}
    await _post(service, CANCEL, body)

    entries = await _audit(service)
    assert [(e["conversation_id"], e["action"], e["result"]) for e in entries] == [
        ("conv-2", "cancel", "done"),
        ("conv-1", "refund", "issued"),
        ("conv-1", "return", "done"),
    ]
    refund = entries[1]
    assert refund["order_number"] == gift and refund["amount_cents"] == 1500
    assert refund["detail"].startswith("RF-") and refund["actor"] == "assistant"
    assert refund["turn"] == 3 and refund["at"] == "2026-03-14T12:00:00.000Z"
    assert entries[2]["detail"].startswith("RT-") and "amount_cents" not in entries[2]
    emails = {await shop_email(shop_url, gift), await shop_email(shop_url, placed)}
    text = json.dumps(entries)
    assert "@" not in text and not any(email in text for email in emails)
    assert "maya" not in text.lower()  # neither the name nor what the customer wrote

    assert [e["action"] for e in await _audit(service, f"?order_number={gift.lower()}")] == [
        "refund",
        "return",
    ]
    assert [e["action"] for e in await _audit(service, "?conversation_id=conv-2")] == ["cancel"]
    assert len(await _audit(service, "?conversation_id=conv-1&limit=1")) == 1
    assert await _audit(service, f"?conversation_id=conv-2&order_number={gift}") == []


async def test_bad_requests_are_refused_with_a_reason(service: Any) -> None:
    good = {"conversation_id": "c", "order_number": "HL-100231", "turn": 2}
    refund = good | {"amount_cents": 1000, "reason": "late"}
    for path, body, words in [
        (CANCEL, {k: v for k, v in good.items() if k != "turn"}, "turn"),
        (CANCEL, good | {"turn": -1}, "turn"),
        (CANCEL, good | {"turn": "2"}, "turn"),
        (CANCEL, good | {"turn": True}, "turn"),
        (CANCEL, good | {"order_number": "../x"}, "order_number"),
        (CANCEL, good | {"reason": ""}, "reason"),
        (RETURN, good, "reason"),
        (LOOKUP, {"order_number": "HL-100231"}, "conversation_id"),
        (LOOKUP, {"conversation_id": "c", "order_number": "HL-100231", "tier": 3}, "tier"),
        (REFUND, refund | {"amount_cents": 12.5}, "amount_cents"),
        (REFUND, refund | {"amount_cents": "1000"}, "amount_cents"),
        (REFUND, {k: v for k, v in refund.items() if k != "amount_cents"}, "amount_cents"),
        (REFUND, {k: v for k, v in refund.items() if k != "reason"}, "reason"),
    ]:
        response = await service.post(path, json=body)
        assert response.status == 400, (path, body)
        assert words in (await response.json())["error"], (path, body)
    response = await service.post(CANCEL, data="turn=2")
    assert response.status == 400 and "JSON" in (await response.json())["error"]
    for query, words in [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?limit=ten", "limit"),
        ("?limit=" + "9" * 5000, "limit"),
        ("?order_number=../x", "order_number"),
        ("?conversation_id=a%20b", "conversation_id"),
    ]:
        response = await service.get(AUDIT + query)
        assert response.status == 400 and words in (await response.json())["error"], query


async def test_without_a_shop_every_order_route_is_503(
    aiohttp_client: Any, service_env: dict[str, str], embedder: Any, redis_client: Any
) -> None:
    no_shop = await start_service(aiohttp_client, service_env, embedder)
    body = {"conversation_id": "c", "order_number": "HL-100231", "turn": 1}
    for path, extra in [
        (LOOKUP, {}),
        (CANCEL, {}),
        (RETURN, {"reason": "x"}),
        (REFUND, {"amount_cents": 100, "reason": "x"}),
    ]:
        response = await no_shop.post(path, json=body | extra)
        assert response.status == 503, path
        assert "ORDER_SERVICE_URL" in (await response.json())["error"]
    assert (await no_shop.get(AUDIT)).status == 503
