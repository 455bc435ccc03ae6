"""Request parsing for every view: the one JSON body reader, the checks of path parameters and
of the fields several views read.

A body is read only after authentication (the middlewares run first) and answers the caller's
mistakes with a 4xx JSON error, never a 500:

    413  larger than the route's limit (96 KiB; a handoff's tracker 2 MiB)
    400  not sent as application/json, not UTF-8, not JSON (NaN and Infinity included),
         nested deeper than MAX_DEPTH, not a JSON object, or not decodable as its
         Content-Encoding (gzip, deflate) says

Nesting is measured on the text before it is parsed, so a body like `[[[[...` never reaches
the parser's recursion, and lone UTF-16 surrogates become U+FFFD (infra/json_text.py, which the
gateway's socket.io codec shares).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from aiohttp import web

from commerce.identity import ORDER_NUMBER
from infra.json_text import MAX_DEPTH, nesting_depth, without_lone_surrogates
from service.errors import bad_request, json_error

MAX_BODY_BYTES = 96 * 1024  # a batch of NLU texts; single questions are capped in their view
CHUNK_BYTES = 64 * 1024
CONVERSATION_ID = re.compile(r"^[\w.:@-]{1,128}$")
CONVERSATION_ID_RULE = "conversation_id must be 1-128 letters, digits or ._:@-"
ORDER_NUMBER_RULE = "order_number must be 3-40 letters, digits or -"
TICKET_ID = re.compile(r"^[\w.-]{1,64}$")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class BodyError(ValueError):
    """A body the service refuses; the message tells the caller why."""


def parse_json_object(data: bytes) -> dict[str, Any]:
    """A JSON object from a request body, or BodyError saying what is wrong with it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the body must be UTF-8 encoded JSON") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise BodyError(f"the body nests arrays or objects deeper than {MAX_DEPTH} levels")
    try:
        body = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except BodyError:
        raise
    except (ValueError, RecursionError):  # RecursionError: a backstop, the depth check is first
        raise BodyError("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BodyError("the body must be a JSON object")
    if _SURROGATE_ESCAPE.search(text):  # lone surrogates can only come from \uD8xx escapes
        body = _cleaned(body)
    return body


async def read_json_object(
    request: web.Request, max_bytes: int = MAX_BODY_BYTES, *, required: bool = True
) -> dict[str, Any]:
    """The request's JSON object body (an empty object for an absent optional body)."""
    data = await _read_body(request, max_bytes)
    if not data.strip() and not required:
        return {}
    if request.content_type != "application/json":
        raise json_error(
            web.HTTPBadRequest, "send the body as JSON (Content-Type: application/json)"
        )
    try:
        return parse_json_object(data)
    except BodyError as error:
        raise json_error(web.HTTPBadRequest, str(error)) from None


def conversation_id_in_path(request: web.Request) -> str:
    conversation_id = request.match_info["conversation_id"]
    if not CONVERSATION_ID.match(conversation_id):
        raise bad_request(CONVERSATION_ID_RULE)
    return conversation_id


def ticket_id_in_path(request: web.Request) -> str:
    ticket_id = request.match_info["ticket_id"]
    if not TICKET_ID.match(ticket_id):
        raise bad_request("ticket ids are 1-64 letters, digits or ._-")
    return ticket_id


def conversation_id_in_body(body: dict[str, Any], default: str | None = None) -> str:
    """The body's `conversation_id` (`default` when absent, if there is one)."""
    conversation_id = body.get("conversation_id", default)
    if not isinstance(conversation_id, str) or not CONVERSATION_ID.match(conversation_id):
        raise bad_request(CONVERSATION_ID_RULE)
    return conversation_id


def text_field(body: dict[str, Any], name: str, max_chars: int) -> str:
    """A non-empty text field of at most `max_chars` characters, stripped."""
    text = body.get(name)
    if not isinstance(text, str) or not text.strip() or len(text) > max_chars:
        raise bad_request(f"{name} must be non-empty text of at most {max_chars} chars")
    return text.strip()


def optional_text_field(body: dict[str, Any], name: str, max_chars: int) -> str | None:
    """`text_field` when the field is there (null counts as absent), else None."""
    return None if body.get(name) is None else text_field(body, name, max_chars)


def whole_number_field(body: dict[str, Any], name: str, low: int, high: int) -> int:
    """An integer from `low` to `high` (true, false and 2.0 are not)."""
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise bad_request(f"{name} must be a whole number from {low} to {high}")
    return value


def whole_number_in_query(
    request: web.Request, name: str, default: int, low: int, high: int
) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) < 10 and low <= int(text) <= high):
        raise bad_request(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def order_number_in_body(body: dict[str, Any]) -> str:
    """The body's `order_number`: what can be an order number at all (commerce/identity.py)."""
    number = text_field(body, "order_number", 40)
    if not ORDER_NUMBER.match(number):
        raise bad_request(ORDER_NUMBER_RULE)
    return number


async def _read_body(request: web.Request, max_bytes: int) -> bytes:
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes, request.content_length)
    data = bytearray()
    try:
        while chunk := await request.content.read(CHUNK_BYTES):
            data += chunk
            if len(data) > max_bytes:
                raise _too_large(max_bytes, len(data))
    except web.RequestPayloadError:  # e.g. a Content-Encoding the body is not in
        raise bad_request("the body could not be read as its Content-Encoding says") from None
    return bytes(data)


def _too_large(limit: int, size: int) -> web.HTTPException:
    text = web.json_response({"error": f"the body is larger than {limit} bytes"}).text
    return web.HTTPRequestEntityTooLarge(
        max_size=limit, actual_size=size, text=text, content_type="application/json"
    )


def _refuse_constant(name: str) -> float:
    raise BodyError(f"the body must be JSON ({name} is not a JSON number)")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise BodyError(f"the body must be JSON with finite numbers ({literal[:20]} is not)")
    return number


def _cleaned(value: Any) -> Any:
    """The parsed body with lone surrogates replaced in every string, keys included (the
    depth check bounds the recursion)."""
    if isinstance(value, str):
        return without_lone_surrogates(value)
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(key): _cleaned(item) for key, item in value.items()}
    return value
