"""The connector to a Shopify store: the REST Admin API with an Admin API access token, answers
turned into commerce.orders dataclasses.

Documented endpoints used (shopify.dev, REST Admin API 2025-01, a legacy API since 2024-10 but
still served; the `X-Shopify-Access-Token` header on every request, JSON bodies):

- `GET /admin/api/{version}/orders.json?name=%231001&status=any` (Order resource): the order by
  its customer-facing number, its `name`. `status=any`, or a cancelled or closed order is not
  listed (the default is `open`). The `name` filter is widely used but not in the 2025-01 list of
  parameters we found, so the answer is also checked here for the exact name.
- `POST /admin/api/{version}/orders/{id}/cancel.json` (Order resource, "Cancels an order"):
  `reason` is one of `customer`, `inventory`, `fraud`, `declined`, `other`; the REST endpoint
  takes no free-text note (GraphQL's `orderCancel` has `staffNote`), so our reason text is not
  sent.
- `POST /admin/api/{version}/orders/{id}/refunds/calculate.json` then
  `POST /admin/api/{version}/orders/{id}/refunds.json` (Refund resource): the calculation gives
  the `suggested_refund` transaction's `parent_id` and `gateway`; the refund is created with
  `transactions: [{parent_id, amount: "x.yy", kind: "refund", gateway}]`, `note`, `notify`.

Errors (shopify.dev "API response status and error codes", "REST Admin API rate limits"):
Shopify answers `{"errors": ...}`; 429 with `Retry-After` is rate limiting and, like a 5xx, a
timeout or a refused connection, is ShopUnavailable; 401/403 is ShopRefused("unauthorized");
404 on an order is "no such order" (on the orders list it is a wrong shop domain or API
version: ShopUnavailable); 422 is ShopRefused("unprocessable") with Shopify's words.

Not done here: returns. The REST API has no simple returns endpoint (returns are GraphQL's
`returnCreate`), so `find_order` leaves `returns=()` and `create_return` is refused
("not_supported"). REST refunds have no idempotency header: `refund` writes the key into the
refund's note (`... [key: <key>]`) and looks for it among the order's refunds before creating one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from commerce.connector import ShopConnector, ShopRefused, ShopUnavailable
from commerce.json_api import JsonApi
from commerce.orders import Order, OrderItem, Refund, ReturnedItem, ReturnRecord, Shipment

TIMEOUT_SECONDS = 5.0
API_VERSION = "2025-01"
CANCEL_REASON = "customer"  # Shopify's enum; the customer asked the assistant to cancel
# Fulfillment `shipment_status` (REST Fulfillment resource; FulfillmentEventStatus in GraphQL)
# as our four shipment statuses. No status yet (null) is a label made, nothing more.
SHIPMENT_STATUS = {
    "label_printed": "label_created",
    "label_purchased": "label_created",
    "confirmed": "label_created",
    "carrier_picked_up": "in_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "ready_for_pickup": "in_transit",
    "attempted_delivery": "delayed",
    "delayed": "delayed",
    "failure": "delayed",
    "delivered": "delivered",
    "picked_up": "delivered",
}
NOTHING_CHARGED = ("pending", "authorized", "voided")  # financial_status: no money taken
INACTIVE_FULFILLMENTS = ("cancelled", "error", "failure")


class ShopifyConnector(ShopConnector):
    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        api_version: str = API_VERSION,
        timeout: float = TIMEOUT_SECONDS,
        base_url: str | None = None,
    ) -> None:
        origin = base_url.rstrip("/") if base_url else f"https://{_shop_host(shop_domain)}"
        self._api_path = f"/admin/api/{api_version}"
        headers = {"X-Shopify-Access-Token": access_token, "Accept": "application/json"}
        self._http = JsonApi(origin, headers, timeout, "Shopify")

    @property
    def api_url(self) -> str:
        """Where the Admin API is asked: https://<shop>.myshopify.com/admin/api/<version>."""
        return self._http.origin + self._api_path

    async def find_order(self, number: str) -> Order | None:
        raw = await self._find_raw(number)
        return None if raw is None else parse_order(raw)

    async def cancel_order(self, number: str, reason: str) -> Order:
        raw = await self._existing(number)
        if raw.get("cancelled_at"):
            raise ShopRefused("already_cancelled", f"order {raw.get('name')} is already cancelled")
        if _active_fulfillments(raw) or raw.get("fulfillment_status") in ("fulfilled", "partial"):
            raise ShopRefused("already_shipped", f"order {raw.get('name')} has already shipped")
        # `reason` (our free text) has no place in the REST cancel call: see the module docstring.
        answer = await self._call(
            "POST", f"/orders/{raw['id']}/cancel.json", body={"reason": CANCEL_REASON}
        )
        return parse_order(_member(answer, "order"))

    async def create_return(
        self, number: str, items: Sequence[ReturnedItem], reason: str
    ) -> ReturnRecord:
        raise ShopRefused(
            "not_supported",
            "returns on Shopify need its GraphQL returns API, which this connector does not use;"
            " a person starts the return in the Shopify admin",
        )

    async def refund(
        self, number: str, amount_cents: int, reason: str, idempotency_key: str
    ) -> Refund:
        if amount_cents <= 0:
            raise ShopRefused("invalid_amount", "a refund is more than nothing")
        raw = await self._existing(number)
        marker = _key_marker(idempotency_key)
        for earlier in _list(raw.get("refunds", [])):
            if marker in str(earlier.get("note") or ""):
                return parse_refund(earlier)
        order = parse_order(raw)
        if amount_cents > order.refundable_cents:
            raise ShopRefused(
                "exceeds_refundable",
                f"{_amount(amount_cents)} is more than the {_amount(order.refundable_cents)}"
                f" {order.currency} left to refund on {order.number}",
            )
        parent = await self._refund_parent(raw["id"], order.currency)
        transaction = {
            "parent_id": parent["parent_id"],
            "amount": _amount(amount_cents),
            "kind": "refund",
            "gateway": parent["gateway"],
        }
        body = {
            "refund": {
                "currency": order.currency,
                "note": f"{reason} {marker}",
                "notify": False,
                "transactions": [transaction],
            }
        }
        answer = await self._call("POST", f"/orders/{raw['id']}/refunds.json", body=body)
        return parse_refund(_member(answer, "refund"))

    async def close(self) -> None:
        await self._http.close()

    async def _find_raw(self, number: str) -> Mapping[str, Any] | None:
        name = number.strip() if number.strip().startswith("#") else f"#{number.strip()}"
        try:
            answer = await self._call("GET", "/orders.json", params={"name": name, "status": "any"})
        except ShopRefused as refused:
            # An order that is not there is an empty list; a 404 on the list itself is a wrong
            # shop domain or API version, which must not read as "no such order".
            if refused.code == "order_not_found":
                raise ShopUnavailable(f"Shopify has no orders API at {self.api_url}") from None
            raise
        orders = _list(answer.get("orders"))
        return next((order for order in orders if order.get("name") == name), None)

    async def _existing(self, number: str) -> Mapping[str, Any]:
        raw = await self._find_raw(number)
        if raw is None:
            raise ShopRefused("order_not_found", f"there is no order {number}")
        return raw

    async def _refund_parent(self, order_id: Any, currency: str) -> Mapping[str, Any]:
        """The transaction a refund goes back through, as Shopify's calculation suggests it."""
        body = {"refund": {"currency": currency, "shipping": {"amount": "0.00"}}}
        answer = await self._call("POST", f"/orders/{order_id}/refunds/calculate.json", body=body)
        suggested = [
            transaction
            for transaction in _list(_member(answer, "refund").get("transactions"))
            if transaction.get("kind") == "suggested_refund"
        ]
        if not suggested or "parent_id" not in suggested[0] or "gateway" not in suggested[0]:
            raise ShopRefused("not_refundable", "Shopify suggests no transaction to refund")
        return suggested[0]

    async def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Mapping[str, Any]:
        status, answer = await self._http.request(
            method, self._api_path + path, params=params, body=body
        )
        if status >= 400:
            raise _refusal(status, answer.get("errors"))
        return answer


def _refusal(status: int, errors: Any) -> ShopRefused:
    words = _error_words(errors)
    if status in (401, 403):
        return ShopRefused("unauthorized", words)
    if status == 404:
        return ShopRefused("order_not_found", words)
    if status == 422:
        return ShopRefused("unprocessable", words)
    return ShopRefused(f"http_{status}", words)


def _error_words(errors: Any) -> str:
    """Shopify's `errors`: a string, a list, or an object of field -> messages."""
    if isinstance(errors, Mapping):
        return "; ".join(f"{field}: {_error_words(value)}" for field, value in errors.items())
    if isinstance(errors, list):
        return ", ".join(str(item) for item in errors)
    return "" if errors is None else str(errors)


def _shop_host(shop_domain: str) -> str:
    host = shop_domain.strip().removeprefix("https://").strip("/")
    return host if "." in host else f"{host}.myshopify.com"


def _key_marker(idempotency_key: str) -> str:
    return f"[key: {idempotency_key}]"


def parse_order(data: Mapping[str, Any]) -> Order:
    """Shopify's order JSON as an Order; ShopUnavailable when it is not that."""
    try:
        refunds = tuple(parse_refund(refund) for refund in _list(data.get("refunds", [])))
        total = cents(data["total_price"])
        paid = 0
        if data.get("financial_status") not in NOTHING_CHARGED:
            paid = total - cents(data.get("total_outstanding") or "0.00")
        return Order(
            number=str(data["name"]),
            email=str(data.get("email") or ""),
            customer_name=_customer_name(data),
            placed_at=_time(data["created_at"]),
            status=_order_status(data),
            currency=str(data["currency"]),
            total_cents=total,
            refundable_cents=max(0, paid - sum(refund.amount_cents for refund in refunds)),
            items=tuple(_item(item) for item in _list(data["line_items"])),
            shipment=_shipment(data),
            refunds=refunds,
        )
    except (KeyError, TypeError, ValueError) as problem:
        raise ShopUnavailable(f"Shopify's order is not readable ({problem!r})") from None


def _order_status(data: Mapping[str, Any]) -> str:
    if data.get("cancelled_at"):
        return "cancelled"
    fulfillments = _active_fulfillments(data)
    if any(f.get("shipment_status") == "delivered" for f in fulfillments):
        return "delivered"
    if fulfillments or data.get("fulfillment_status") in ("fulfilled", "partial"):
        return "shipped"
    return "placed"


def _customer_name(data: Mapping[str, Any]) -> str:
    customer = data.get("customer") or {}
    name = " ".join(
        str(part) for part in (customer.get("first_name"), customer.get("last_name")) if part
    )
    return name or str((data.get("shipping_address") or {}).get("name") or "")


def _item(data: Mapping[str, Any]) -> OrderItem:
    return OrderItem(
        sku=str(data.get("sku") or ""),
        name=str(data.get("name") or data["title"]),
        quantity=int(data["quantity"]),
        unit_price_cents=cents(data["price"]),
        kind="gift_card" if data.get("gift_card") else "device",
    )


def _active_fulfillments(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    fulfillments = _list(data.get("fulfillments", []))
    return [f for f in fulfillments if f.get("status") not in INACTIVE_FULFILLMENTS]


def _shipment(data: Mapping[str, Any]) -> Shipment | None:
    fulfillments = _active_fulfillments(data)
    if not fulfillments:
        return None
    first = fulfillments[0]
    status = SHIPMENT_STATUS.get(str(first.get("shipment_status")), "label_created")
    return Shipment(
        carrier=str(first.get("tracking_company") or ""),
        tracking_number=str(first.get("tracking_number") or ""),
        tracking_url=str(first.get("tracking_url") or ""),
        status=status,
        shipped_at=_time(first["created_at"]),
        # The REST fulfillment has no delivery time; its `updated_at` is when the carrier's
        # "delivered" last changed it, the nearest documented stand-in.
        delivered_at=_time(first["updated_at"]) if status == "delivered" else None,
    )


def parse_refund(data: Mapping[str, Any]) -> Refund:
    """A Shopify refund: the successful `refund` transactions' sum, its note without our key."""
    try:
        amount = sum(
            cents(transaction["amount"])
            for transaction in _list(data.get("transactions", []))
            if transaction.get("kind") == "refund" and transaction.get("status") == "success"
        )
        note = str(data.get("note") or "")
        reason = note.split(" [key: ", 1)[0] if note.endswith("]") else note
        return Refund(
            id=str(data["id"]),
            amount_cents=amount,
            reason=reason.strip(),
            created_at=_time(data["created_at"]),
        )
    except (KeyError, TypeError, ValueError) as problem:
        raise ShopUnavailable(f"Shopify's refund is not readable ({problem!r})") from None


def cents(value: Any) -> int:
    """Shopify's money string ("89.99") as integer cents, exactly; a float is refused."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a money string")
    try:
        amount = Decimal(value) * 100
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if amount != amount.to_integral_value():
        raise ValueError(f"{value!r} has fractions of a cent")
    return int(amount)


def _amount(amount_cents: int) -> str:
    return f"{amount_cents // 100}.{amount_cents % 100:02d}"


def _member(answer: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = answer.get(key)
    if not isinstance(value, Mapping):
        raise ShopUnavailable(f"Shopify's answer has no {key!r} object")
    return value


def _list(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ShopUnavailable(f"Shopify answered {value!r} where a list of objects belongs")
    return value


def _time(value: Any) -> datetime:
    """An ISO 8601 time with its offset, as Shopify writes them (a trailing Z accepted)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
