"""The connector to the sample business's own order service (order_service/, docs/order-service.md):
its REST API with a bearer token, answers turned into commerce.orders dataclasses.

A timeout, a refused connection, a 5xx or an answer that is not the documented JSON is
ShopUnavailable (commerce/json_api.py); a 4xx with the service's `{"error", "message"}` is
ShopRefused with that code; 404 on an order is "no such order" (None from find_order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from commerce.connector import ShopConnector, ShopRefused, ShopUnavailable
from commerce.json_api import JsonApi
from commerce.orders import (
    Order,
    OrderItem,
    Refund,
    ReturnedItem,
    ReturnRecord,
    Shipment,
)

TIMEOUT_SECONDS = 5.0


class OrderServiceConnector(ShopConnector):
    def __init__(self, base_url: str, token: str, timeout: float = TIMEOUT_SECONDS) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        self._api = JsonApi(base_url, headers, timeout, "the order service")

    async def find_order(self, number: str) -> Order | None:
        try:
            return parse_order(await self._call("GET", _order_path(number)))
        except ShopRefused as refused:
            if refused.code == "order_not_found":
                return None
            raise

    async def cancel_order(self, number: str, reason: str) -> Order:
        body = {"reason": reason}
        return parse_order(await self._call("POST", _order_path(number, "cancellation"), body))

    async def create_return(
        self, number: str, items: Sequence[ReturnedItem], reason: str
    ) -> ReturnRecord:
        body = {"items": [{"sku": i.sku, "quantity": i.quantity} for i in items], "reason": reason}
        return parse_return(await self._call("POST", _order_path(number, "returns"), body))

    async def refund(
        self, number: str, amount_cents: int, reason: str, idempotency_key: str
    ) -> Refund:
        body = {"amount_cents": amount_cents, "reason": reason}
        path = _order_path(number, "refunds")
        answer = await self._call("POST", path, body, {"Idempotency-Key": idempotency_key})
        return parse_refund(answer)

    async def close(self) -> None:
        await self._api.close()

    async def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Mapping[str, Any]:
        status, answer = await self._api.request(method, path, body=body, headers=headers)
        if status >= 400:
            code = str(answer.get("error", f"http_{status}"))
            raise ShopRefused(code, str(answer.get("message", "")))
        return answer


def _order_path(number: str, action: str = "") -> str:
    path = f"/v1/orders/{quote(number, safe='')}"
    return f"{path}/{action}" if action else path


def parse_order(data: Mapping[str, Any]) -> Order:
    """The service's order JSON as an Order; ShopUnavailable when it is not that."""
    try:
        shipment = data["shipment"]
        return Order(
            number=data["number"],
            email=data["email"],
            customer_name=data["customer_name"],
            placed_at=_time(data["placed_at"]),
            status=data["status"],
            currency=data["currency"],
            total_cents=int(data["total_cents"]),
            refundable_cents=int(data["refundable_cents"]),
            items=tuple(_item(item) for item in data["items"]),
            shipment=None if shipment is None else _shipment(shipment),
            returns=tuple(parse_return(record) for record in data["returns"]),
            refunds=tuple(parse_refund(refund) for refund in data["refunds"]),
        )
    except (KeyError, TypeError, ValueError) as problem:
        raise ShopUnavailable(f"the order service's order is not readable ({problem!r})") from None


def _item(data: Mapping[str, Any]) -> OrderItem:
    return OrderItem(
        sku=data["sku"],
        name=data["name"],
        quantity=int(data["quantity"]),
        unit_price_cents=int(data["unit_price_cents"]),
        final_sale=bool(data["final_sale"]),
        kind=data["kind"],
    )


def _shipment(data: Mapping[str, Any]) -> Shipment:
    estimated = data.get("estimated_delivery")
    return Shipment(
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        tracking_url=data["tracking_url"],
        status=data["status"],
        shipped_at=_maybe_time(data.get("shipped_at")),
        estimated_delivery=date.fromisoformat(estimated) if estimated else None,
        delivered_at=_maybe_time(data.get("delivered_at")),
    )


def parse_return(data: Mapping[str, Any]) -> ReturnRecord:
    try:
        return ReturnRecord(
            id=data["id"],
            created_at=_time(data["created_at"]),
            reason=data["reason"],
            status=data["status"],
            items=tuple(ReturnedItem(i["sku"], int(i["quantity"])) for i in data["items"]),
        )
    except (KeyError, TypeError, ValueError) as problem:
        raise ShopUnavailable(f"the order service's return is not readable ({problem!r})") from None


def parse_refund(data: Mapping[str, Any]) -> Refund:
    try:
        return Refund(
            id=data["id"],
            amount_cents=int(data["amount_cents"]),
            reason=data["reason"],
            created_at=_time(data["created_at"]),
        )
    except (KeyError, TypeError, ValueError) as problem:
        raise ShopUnavailable(f"the order service's refund is not readable ({problem!r})") from None


def _time(value: Any) -> datetime:
    """An ISO 8601 time with its offset (a trailing Z accepted)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _maybe_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)
