"""The assistant's view of a customer's order, and its actions on it: verified with the order's
email first (service/desk/orders.py), then looked up, cancelled, returned or refunded
(service/desk/order_actions.py), every action audited (service/desk/order_audit.py). Internal
(service token): the action server calls these; docs/commerce.md describes them.

Without a shop (ORDER_SERVICE_URL) every route answers 503; an order this conversation has not
proved answers 403 `not_verified` whatever the order (service/errors.py).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from commerce.identity import EMAIL, ORDER_NUMBER
from service.desk.order_actions import MAX_TURN, ActionRequest, OrderActions
from service.desk.order_audit import OrderAudit
from service.desk.orders import OrderDesk
from service.errors import bad_request, json_error
from service.keys import ORDER_ACTIONS, ORDER_AUDIT, ORDERS
from service.request_parsing import (
    CONVERSATION_ID,
    CONVERSATION_ID_RULE,
    ORDER_NUMBER_RULE,
    conversation_id_in_body,
    optional_text_field,
    order_number_in_body,
    read_json_object,
    text_field,
    whole_number_field,
    whole_number_in_query,
)

MAX_REASON_CHARS = 500
MAX_TIER_CHARS = 64
MAX_AMOUNT_CENTS = 1_000_000_000
AUDIT_LIMIT, MAX_AUDIT_LIMIT = 50, 500
CANCEL_REASON = "asked by the customer in a chat with the assistant"


async def verify(request: web.Request) -> web.Response:
    """{conversation_id, order_number, email | by_customer_claim: true, tier?} -> {verified,
    order | attempts_left, retry_after}. An unknown order and a wrong email answer alike. With
    `by_customer_claim` the signed-in customer's email (POST /commerce/customers/email) is the
    proof; a conversation without one answers {verified: false, claim: "none"}, nothing counted."""
    desk = _desk(request)
    body = await read_json_object(request)
    conversation_id = conversation_id_in_body(body)
    number = order_number_in_body(body)
    by_claim = body.get("by_customer_claim", False)
    if not isinstance(by_claim, bool) or by_claim == ("email" in body):
        raise bad_request("give either email or by_customer_claim: true")
    if by_claim:
        digest = await desk.claimed_email(conversation_id)
        if digest is None:
            return web.json_response({"verified": False, "claim": "none"})
        result = await desk.verify_digest(conversation_id, number, digest, _tier(body))
    else:
        result = await desk.verify(conversation_id, number, _email(body), _tier(body))
    if result.order is not None:
        return web.json_response({"verified": True, "order": result.order})
    answer = {"verified": False, "attempts_left": result.attempts_left}
    if result.retry_after:
        answer["retry_after"] = result.retry_after
    return web.json_response(answer)


async def claimed_email(request: web.Request) -> web.Response:
    """{conversation_id, email}: the signed-in customer's email, from the signed customer claim
    the action server verified (actions/session.py); kept as a digest for a day."""
    desk = _desk(request)
    body = await read_json_object(request)
    conversation_id = conversation_id_in_body(body)
    await desk.remember_claimed_email(conversation_id, _email(body))
    return web.json_response({"remembered": True})


def _email(body: dict[str, Any]) -> str:
    email = text_field(body, "email", 320)
    if not EMAIL.match(email):
        raise bad_request("email must be an email address")
    return email


async def lookup(request: web.Request) -> web.Response:
    """{conversation_id, order_number, tier?} -> {order}: only an order this conversation
    proved."""
    desk = _desk(request)
    body = await read_json_object(request)
    conversation_id = conversation_id_in_body(body)
    number = order_number_in_body(body)
    order = await desk.lookup(conversation_id, number, _tier(body))
    return web.json_response({"order": order})


async def cancel(request: web.Request) -> web.Response:
    """{conversation_id, order_number, turn, reason?} -> {done, order | refused, message}."""
    actions = _actions(request)
    body = await read_json_object(request)
    ask = _action_request(body)
    reason = optional_text_field(body, "reason", MAX_REASON_CHARS) or CANCEL_REASON
    return web.json_response(await actions.cancel(ask, reason))


async def start_return(request: web.Request) -> web.Response:
    """{conversation_id, order_number, turn, reason} -> {done, return, order | refused,
    message}: everything still returnable."""
    actions = _actions(request)
    body = await read_json_object(request)
    ask = _action_request(body)
    reason = text_field(body, "reason", MAX_REASON_CHARS)
    return web.json_response(await actions.start_return(ask, reason))


async def refund(request: web.Request) -> web.Response:
    """{conversation_id, order_number, turn, amount_cents, reason, tier?} -> {decision:
    issued | needs_approval | refused, ...}. A non-positive amount is the policy's refusal
    (`not_positive`), not a malformed request."""
    actions = _actions(request)
    body = await read_json_object(request)
    ask = _action_request(body)
    amount_cents = body.get("amount_cents")
    if (
        not isinstance(amount_cents, int)
        or isinstance(amount_cents, bool)
        or abs(amount_cents) > MAX_AMOUNT_CENTS
    ):
        raise bad_request("amount_cents must be a whole number of cents, e.g. 2999 for $29.99")
    reason = text_field(body, "reason", MAX_REASON_CHARS)
    return web.json_response(await actions.refund(ask, amount_cents, reason))


async def audit_log(request: web.Request) -> web.Response:
    """?order_number=&conversation_id=&limit= -> {entries}, newest first."""
    audit = _audit(request)
    number = request.query.get("order_number") or None
    if number is not None and not ORDER_NUMBER.match(number):
        raise bad_request(ORDER_NUMBER_RULE)
    conversation_id = request.query.get("conversation_id") or None
    if conversation_id is not None and not CONVERSATION_ID.match(conversation_id):
        raise bad_request(CONVERSATION_ID_RULE)
    limit = whole_number_in_query(request, "limit", AUDIT_LIMIT, 1, MAX_AUDIT_LIMIT)
    entries = await audit.entries(number, conversation_id, limit)
    return web.json_response({"entries": entries})


def _action_request(body: dict[str, Any]) -> ActionRequest:
    return ActionRequest(
        conversation_id=conversation_id_in_body(body),
        order_number=order_number_in_body(body),
        turn=whole_number_field(body, "turn", 0, MAX_TURN),
        tier=_tier(body),
    )


def _tier(body: dict[str, Any]) -> str | None:
    """The verified customer's tier (from the signed claim), for the refund limit; absent,
    null or empty: none."""
    tier = body.get("tier")
    if tier is not None and (not isinstance(tier, str) or len(tier) > MAX_TIER_CHARS):
        raise bad_request(
            f"tier must be text of at most {MAX_TIER_CHARS} chars (the verified customer's"
            " tier) or absent"
        )
    return tier or None


def _no_shop() -> web.HTTPException:
    return json_error(web.HTTPServiceUnavailable, "no shop is configured (ORDER_SERVICE_URL)")


def _desk(request: web.Request) -> OrderDesk:
    desk = request.app.get(ORDERS)
    if desk is None:
        raise _no_shop()
    return desk


def _actions(request: web.Request) -> OrderActions:
    actions = request.app.get(ORDER_ACTIONS)
    if actions is None:
        raise _no_shop()
    return actions


def _audit(request: web.Request) -> OrderAudit:
    audit = request.app.get(ORDER_AUDIT)
    if audit is None:
        raise _no_shop()
    return audit
