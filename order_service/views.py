"""The API's handlers: check the request (parsing.py), call one store method, render JSON.
What the store refuses (errors.ShopRefusal) becomes its status in app.py's middleware."""

from __future__ import annotations

from aiohttp import web

from infra.clock import Clock
from order_service import parsing
from order_service.errors import order_not_found
from order_service.records import order_json, record_json
from order_service.store import OrderStore

STORE = web.AppKey("store", OrderStore)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def get_order(request: web.Request) -> web.Response:
    number = parsing.order_number(request)
    order = await request.app[STORE].order(number)
    if order is None:
        raise order_not_found(number)
    return web.json_response(order_json(order))


async def cancel_order(request: web.Request) -> web.Response:
    number = parsing.order_number(request)
    body = await parsing.json_body(request, ("reason",), required=False)
    if "reason" in body:
        # checked, as callers send one, but not kept: nothing was charged, so no refund holds it
        parsing.reason(body)
    order = await request.app[STORE].cancel(number)
    return web.json_response(order_json(order))


async def create_return(request: web.Request) -> web.Response:
    number = parsing.order_number(request)
    body = await parsing.json_body(request, ("items", "reason"))
    lines = parsing.return_lines(body)
    reason = parsing.reason(body)
    ret = await request.app[STORE].create_return(number, lines, reason, request.app[CLOCK]())
    return web.json_response(record_json(ret), status=201)


async def create_refund(request: web.Request) -> web.Response:
    number = parsing.order_number(request)
    key = parsing.idempotency_key(request)
    body = await parsing.json_body(request, ("amount_cents", "reason"))
    amount_cents, reason = parsing.amount_cents(body), parsing.reason(body)
    now = request.app[CLOCK]()
    refund, created = await request.app[STORE].refund(number, amount_cents, reason, key, now)
    return web.json_response(record_json(refund), status=201 if created else 200)
