"""A local stand-in for a Shopify store's REST Admin API (2025-01), for the connector's tests.

It answers only what the connector uses, and checks what Shopify documents about the requests:
the `/admin/api/<version>/` prefix, the `X-Shopify-Access-Token` header (401 with Shopify's
words otherwise), `Content-Type: application/json` on POST (400 otherwise), the cancel `reason`
enum, and the refund body's fields and types (`transactions[]` with an integer `parent_id` of the
order's sale, `amount` as a "x.yy" string, `kind: "refund"`, the sale's `gateway`; 422 with
`{"errors": {...}}` otherwise). Orders list only `status=open` ones unless `status=any`.

Sources: shopify.dev REST Admin API 2025-01 Order and Refund resources, "API response status and
error codes", "REST Admin API rate limits". It records every request (`requests`) and every
refund body it accepted after checking (`validated_refunds`); `mode` switches it to answering
503 or 429 with `Retry-After: 2`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

VERSION = "2025-01"
TOKEN = "shpat_" + "0123456789abcdef" * 2
CANCEL_REASONS = ("customer", "inventory", "fraud", "declined", "other")
MONEY = re.compile(r"^\d+\.\d{2}$")
NOW = "2026-03-14T12:00:00-05:00"
GATEWAY = "shopify_payments"
Json = dict[str, Any]


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class ShopifyStandin:
    version: str = VERSION
    token: str = TOKEN
    mode: str = "ok"  # "ok", "unavailable" (503) or "rate_limited" (429)
    requests: list[Received] = field(default_factory=list)
    validated_refunds: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    sales: dict[int, dict[str, Any]] = field(default_factory=dict)  # order id -> its sale

    def __post_init__(self) -> None:
        if not self.orders:
            for order, sale in sample_orders():
                self.orders[order["id"]] = order
                self.sales[order["id"]] = sale

    def posts_to(self, suffix: str) -> list[Received]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(suffix)]

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._checks])
        prefix = f"/admin/api/{self.version}"
        app.router.add_get(f"{prefix}/orders.json", self._list_orders)
        app.router.add_post(f"{prefix}/orders/{{id:\\d+}}/cancel.json", self._cancel)
        app.router.add_post(f"{prefix}/orders/{{id:\\d+}}/refunds/calculate.json", self._calculate)
        app.router.add_post(f"{prefix}/orders/{{id:\\d+}}/refunds.json", self._create_refund)
        return app

    @web.middleware
    async def _checks(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            body = await request.json() if request.body_exists else None
        except ValueError:
            return _errors("the body is not JSON", 400)
        self.requests.append(Received(request.method, request.path, dict(request.query), body))
        if self.mode == "unavailable":
            return web.Response(status=503, text="Service Unavailable")
        if self.mode == "rate_limited":
            errors = {"errors": "Exceeded 2 calls per second for api client. Reduce request rates."}
            return web.json_response(errors, status=429, headers={"Retry-After": "2.0"})
        if not request.path.startswith(f"/admin/api/{self.version}/"):
            return _errors("Not Found", 404)
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return _errors("[API] Invalid API key or access token", 401)
        if request.method == "POST" and request.content_type != "application/json":
            return _errors("Content-Type must be application/json", 400)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return _errors("Not Found", 404)

    async def _list_orders(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "open")
        name = request.query.get("name")
        found = [
            order
            for order in self.orders.values()
            if (name is None or order["name"] == name)
            and (status == "any" or (status == "open" and order["cancelled_at"] is None))
        ]
        return web.json_response({"orders": found})

    def _order(self, request: web.Request) -> dict[str, Any]:
        order = self.orders.get(int(request.match_info["id"]))
        if order is None:
            raise web.HTTPNotFound()
        return order

    async def _cancel(self, request: web.Request) -> web.Response:
        order, body = self._order(request), await request.json()
        reason = body.get("reason", "other") if isinstance(body, dict) else None
        if reason not in CANCEL_REASONS:
            return _errors({"reason": [f"{reason!r} is not included in the list"]}, 422)
        if order["cancelled_at"] is not None:
            return _errors({"base": ["Order has already been cancelled"]}, 422)
        order.update(cancelled_at=NOW, cancel_reason=reason, closed_at=NOW)
        if order["financial_status"] == "authorized":
            order["financial_status"] = "voided"
        return web.json_response({"order": order})

    async def _calculate(self, request: web.Request) -> web.Response:
        order, sale = self._order(request), self.sales[int(request.match_info["id"])]
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("refund"), dict):
            return _errors({"refund": ["is required"]}, 422)
        suggested = {
            "order_id": order["id"],
            "kind": "suggested_refund",
            "gateway": sale["gateway"],
            "parent_id": sale["id"],
            "amount": "0.00",
            "currency": order["currency"],
            "maximum_refundable": _money(_refundable(order)),
        }
        shipping = {"amount": "0.00", "tax": "0.00", "maximum_refundable": "0.00"}
        answer: Json = {"shipping": shipping, "refund_line_items": [], "transactions": [suggested]}
        answer["currency"] = order["currency"]
        return web.json_response({"refund": answer})

    async def _create_refund(self, request: web.Request) -> web.Response:
        order, sale = self._order(request), self.sales[int(request.match_info["id"])]
        body = await request.json()
        problems = refund_body_problems(body, sale, _refundable(order))
        if problems:
            return _errors(problems, 422)
        self.validated_refunds.append(copy.deepcopy(body))
        refund = body["refund"]
        number = len([r for o in self.orders.values() for r in o["refunds"]]) + 1
        transactions = [
            {
                **t,
                "id": 5000 + number,
                "order_id": order["id"],
                "status": "success",
                "currency": order["currency"],
                "created_at": NOW,
            }
            for t in refund["transactions"]
        ]
        created = {
            "id": 9000 + number, "order_id": order["id"], "created_at": NOW, "processed_at": NOW,
            "note": refund.get("note"), "user_id": None, "restock": False,
            "refund_line_items": [], "transactions": transactions,
        }  # fmt: skip
        order["refunds"].append(created)
        order["financial_status"] = "partially_refunded"
        return web.json_response({"refund": created}, status=201)


def refund_body_problems(body: Any, sale: dict[str, Any], refundable: Decimal) -> dict[str, Any]:
    """What Shopify would reject in a refund body, as its `errors` object; empty when none."""
    refund = body.get("refund") if isinstance(body, dict) else None
    if not isinstance(refund, dict):
        return {"refund": ["is required"]}
    problems: dict[str, Any] = {}
    for key, kind in (("note", str), ("notify", bool), ("currency", str)):
        if key in refund and not isinstance(refund[key], kind):
            problems[key] = [f"must be a {kind.__name__}"]
    transactions = refund.get("transactions")
    if not isinstance(transactions, list) or not transactions:
        problems["transactions"] = ["are required for a refund without line items"]
        return problems
    total = Decimal(0)
    for transaction in transactions:
        amount = transaction.get("amount") if isinstance(transaction, dict) else None
        if not isinstance(amount, str) or not MONEY.match(amount):
            problems["amount"] = ['must be a decimal string like "12.50"']
            continue
        total += Decimal(amount)
        if transaction.get("kind") != "refund":
            problems["kind"] = ["must be refund"]
        parent = transaction.get("parent_id")
        if not isinstance(parent, int) or isinstance(parent, bool) or parent != sale["id"]:
            problems["parent_id"] = ["must be the id of the order's sale or capture"]
        if transaction.get("gateway") != sale["gateway"]:
            problems["gateway"] = ["must be the parent transaction's gateway"]
    if not problems and total > refundable:
        problems["base"] = [f"Refund amount {total} exceeds the refundable {refundable}"]
    return problems


def _refundable(order: dict[str, Any]) -> Decimal:
    refunded = sum(
        (Decimal(t["amount"]) for r in order["refunds"] for t in r["transactions"]), Decimal(0)
    )
    if order["financial_status"] in ("authorized", "voided", "pending"):
        return Decimal(0)
    return Decimal(order["total_price"]) - refunded


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _errors(errors: Any, status: int) -> web.Response:
    return web.json_response({"errors": errors}, status=status)


def _line(item_id: int, sku: str, title: str, price: str, gift_card: bool = False) -> Json:
    return {
        "id": item_id, "variant_id": item_id + 1, "product_id": item_id + 2, "title": title,
        "name": title, "sku": sku, "quantity": 1, "price": price, "gift_card": gift_card,
        "fulfillable_quantity": 1, "requires_shipping": not gift_card, "total_discount": "0.00",
        "price_set": {"shop_money": {"amount": price, "currency_code": "USD"}},
    }  # fmt: skip


def _fulfillment(order_id: int, status: str | None, updated_at: str) -> dict[str, Any]:
    return {
        "id": order_id + 100, "order_id": order_id, "status": "success",
        "created_at": "2026-03-02T09:15:00-05:00", "updated_at": updated_at,
        "tracking_company": "UPS", "tracking_number": f"1Z999AA1{order_id}",
        "tracking_numbers": [f"1Z999AA1{order_id}"],
        "tracking_url": f"https://www.ups.com/track?tracknum=1Z999AA1{order_id}",
        "shipment_status": status, "line_items": [],
    }  # fmt: skip


def _order(order_id: int, name: str, total: str, **extra: Any) -> dict[str, Any]:
    order = {
        "id": order_id, "name": name, "order_number": int(name[1:]),
        "email": "ada.lovelace@example.com", "created_at": "2026-03-01T10:00:00-05:00",
        "currency": "USD", "total_price": total, "total_outstanding": "0.00",
        "financial_status": "paid", "fulfillment_status": None, "cancelled_at": None,
        "cancel_reason": None, "closed_at": None, "line_items": [], "fulfillments": [],
        "refunds": [], "customer": {"id": 207119551, "first_name": "Ada", "last_name": "Lovelace"},
        "shipping_address": {"name": "Ada Lovelace", "city": "London", "country_code": "GB"},
    }  # fmt: skip
    order.update(extra)
    return order


def sample_orders() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Five orders with their sale transactions: #1001 unfulfilled (authorized only), #1002 in
    transit, #1003 delivered with a gift card, #1004 cancelled, #1005 delivered, partly refunded."""
    delivered_at = "2026-03-05T16:40:00-05:00"
    refund = {
        "id": 8001, "order_id": 4505, "created_at": "2026-03-06T11:00:00-05:00",
        "note": "one bulb arrived cracked", "restock": False, "refund_line_items": [],
        "transactions": [{"id": 5001, "order_id": 4505, "kind": "refund", "status": "success",
                          "amount": "30.00", "gateway": GATEWAY, "parent_id": 7505}],
    }  # fmt: skip
    orders = [
        _order(4501, "#1001", "89.99", financial_status="authorized",
               line_items=[_line(11, "HL-CAM-01", "Halo Cam", "89.99")]),
        _order(4502, "#1002", "149.00", fulfillment_status="fulfilled",
               line_items=[_line(21, "HL-HUB-02", "Halo Hub", "149.00")],
               fulfillments=[_fulfillment(4502, "in_transit", "2026-03-03T08:00:00-05:00")]),
        _order(4503, "#1003", "159.98", fulfillment_status="fulfilled",
               line_items=[_line(31, "HL-DB-03", "Halo Doorbell", "129.99"),
                           _line(32, "", "Halo gift card", "25.00", gift_card=True)],
               fulfillments=[_fulfillment(4503, "delivered", delivered_at)]),
        _order(4504, "#1004", "45.50", financial_status="voided", cancel_reason="customer",
               cancelled_at="2026-03-02T10:00:00-05:00", closed_at="2026-03-02T10:00:00-05:00",
               line_items=[_line(41, "HL-PLG-04", "Halo Plug", "45.50")]),
        _order(4505, "#1005", "219.50", financial_status="partially_refunded",
               fulfillment_status="fulfilled", refunds=[refund],
               line_items=[_line(51, "HL-GLW-05", "Glow bulb 2-pack", "219.50")],
               fulfillments=[_fulfillment(4505, "delivered", delivered_at)]),
    ]  # fmt: skip
    return [(o, {"id": o["id"] + 3000, "kind": "sale", "gateway": GATEWAY}) for o in orders]
