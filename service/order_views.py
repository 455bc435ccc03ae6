"""The assistant's view of a customer's order: verified with the order's email first
(service/desk/orders.py). Internal (service token): the action server calls it."""

from __future__ import annotations

from aiohttp import web

from commerce.identity import EMAIL, ORDER_NUMBER
from service.errors import bad_request, json_error
from service.keys import ORDERS
from service.request_parsing import conversation_id_in_body, read_json_object, text_field


async def verify(request: web.Request) -> web.Response:
    """{conversation_id, order_number, email, tier?} -> {verified, order | attempts_left,
    retry_after}. An unknown order and a wrong email answer alike."""
    desk = request.app.get(ORDERS)
    if desk is None:
        raise json_error(web.HTTPServiceUnavailable, "no shop is configured (ORDER_SERVICE_URL)")
    body = await read_json_object(request)
    conversation_id = conversation_id_in_body(body)
    number = text_field(body, "order_number", 40).strip()
    email = text_field(body, "email", 320).strip()
    if not ORDER_NUMBER.match(number):
        raise bad_request("order_number must be 3-40 letters, digits or -")
    if not EMAIL.match(email):
        raise bad_request("email must be an email address")
    tier = body.get("tier")
    if tier is not None and not isinstance(tier, str):
        raise bad_request("tier must be text (the verified customer's tier) or absent")
    result = await desk.verify(conversation_id, number, email, tier)
    if result.order is not None:
        return web.json_response({"verified": True, "order": result.order})
    answer = {"verified": False, "attempts_left": result.attempts_left}
    if result.retry_after:
        answer["retry_after"] = result.retry_after
    return web.json_response(answer)
