"""Request checks for the views: the JSON error every refusal is, the order number in the path,
the JSON body and its fields, the Idempotency-Key header.

Every mistake of the caller is a 400 with a message saying what to send instead; a body over
MAX_BODY_BYTES is aiohttp's 413 (the app's `client_max_size`), rendered as JSON by app.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any, NoReturn, TypeGuard

from aiohttp import web

from infra.json_text import MAX_DEPTH, nesting_depth
from order_service.records import ReturnLine

MAX_BODY_BYTES = 16 * 1024
ORDER_NUMBER = re.compile(r"HL-[0-9]{6}")
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,100}")
MAX_REASON_CHARS = 500
MAX_RETURN_LINES = 50
MAX_QUANTITY = 1000
MAX_AMOUNT_CENTS = 100_000_000  # $1,000,000: far above any order; keeps integers small

INVALID_REQUEST = "invalid_request"
INVALID_JSON = "invalid_json"


def api_error(status: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    """An HTTP error whose body is the API's `{"error": code, "message": text}`."""
    body = json.dumps({"error": code, "message": message})
    return status(text=body, content_type="application/json")


def bad_request(message: str, code: str = INVALID_REQUEST) -> NoReturn:
    raise api_error(web.HTTPBadRequest, code, message)


def order_number(request: web.Request) -> str:
    number = request.match_info["number"]
    if not ORDER_NUMBER.fullmatch(number):
        bad_request("order numbers look like HL-123456", "invalid_order_number")
    return number


def idempotency_key(request: web.Request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        bad_request(
            "send an Idempotency-Key header (1-100 characters, e.g. a UUID) with each refund;"
            " retry with the same key",
            "idempotency_key_required",
        )
    if not IDEMPOTENCY_KEY.fullmatch(key):
        bad_request("the Idempotency-Key must be 1-100 visible ASCII characters")
    return key


async def json_body(
    request: web.Request, fields: Collection[str], *, required: bool = True
) -> dict[str, Any]:
    """The body's JSON object, whose keys must all be among `fields` (an empty object when an
    optional body is absent)."""
    data = await request.read()
    if not data.strip() and not required:
        return {}
    if request.content_type != "application/json":
        bad_request("send the body as JSON (Content-Type: application/json)", INVALID_JSON)
    body = _parse_object(data)
    unknown = sorted(set(body) - set(fields))
    if unknown:
        bad_request(f"unknown fields {', '.join(unknown)}; send only {', '.join(fields)}")
    return body


def _parse_object(data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        bad_request("the body must be UTF-8 encoded JSON", INVALID_JSON)
    if nesting_depth(text) > MAX_DEPTH:
        bad_request(f"the body nests deeper than {MAX_DEPTH} levels", INVALID_JSON)
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        bad_request("the body is not valid JSON", INVALID_JSON)
    if not isinstance(body, dict):
        bad_request("the body must be a JSON object", INVALID_JSON)
    return body


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def reason(body: dict[str, Any], default: str | None = None) -> str:
    """The body's `reason`: non-empty text, stripped (required unless there is a default)."""
    value = body.get("reason", default)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REASON_CHARS:
        bad_request(f"reason must be non-empty text of at most {MAX_REASON_CHARS} characters")
    return value.strip()


def amount_cents(body: dict[str, Any]) -> int:
    value = body.get("amount_cents")
    if not _is_int(value) or not 0 < value <= MAX_AMOUNT_CENTS:
        bad_request("amount_cents must be a whole number of cents above 0, e.g. 2999 for $29.99")
    return value


def return_lines(body: dict[str, Any]) -> list[ReturnLine]:
    """The body's `items`: 1-50 lines of {"sku", "quantity"}, each SKU once."""
    items = body.get("items")
    if not isinstance(items, list) or not 0 < len(items) <= MAX_RETURN_LINES:
        bad_request(f'items must be a list of 1-{MAX_RETURN_LINES} {{"sku", "quantity"}} objects')
    lines = [_return_line(item, index) for index, item in enumerate(items)]
    if len({line.sku for line in lines}) < len(lines):
        bad_request("list each sku once in items (add the quantities up)")
    return lines


def _return_line(item: object, index: int) -> ReturnLine:
    if not isinstance(item, dict) or set(item) != {"sku", "quantity"}:
        bad_request(f'items[{index}] must be an object with exactly "sku" and "quantity"')
    sku, quantity = item["sku"], item["quantity"]
    if not isinstance(sku, str) or not 0 < len(sku) <= 64:
        bad_request(f"items[{index}].sku must be text of 1-64 characters")
    if not _is_int(quantity) or not 0 < quantity <= MAX_QUANTITY:
        bad_request(f"items[{index}].quantity must be a whole number from 1 to {MAX_QUANTITY}")
    return ReturnLine(sku=sku, quantity=quantity)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
