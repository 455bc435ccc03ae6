"""What the assistant says about a customer's order, and what it asks before acting on one.
Pure functions of the order summary the service returns (commerce/summary.py); no Rasa imports.

The order request (`status`, `cancel`, `return`, `refund`) comes from the intent that started the
order form; the summary is only ever one the customer proved with the order's email.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

ORDER_NUMBER = re.compile(r"^\s*hl[\s-]?(\d{6})\s*$", re.IGNORECASE)
ORDER_NUMBER_IN_TEXT = re.compile(r"\bhl[\s-]?\d{6}\b", re.IGNORECASE)
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}")

REQUEST_OF_INTENT = {
    "order_status": "status",
    "cancel_order": "cancel",
    "return_order": "return",
    "refund_request": "refund",
}
CONFIRM_BUTTONS = {
    "cancel": ("Yes, cancel it", "No, keep the order"),
    "return": ("Yes, start the return", "No, not now"),
    "refund": ("Yes, refund it", "No, thanks"),
    "approval": ("Yes, ask a supervisor", "No, thanks"),
}
SHOP_DOWN = (
    "I can't reach our order system right now, so I can't check or change order {number}. "
    "I haven't made anything up or changed anything, and I've kept your request."
)
NOT_MATCHED = (
    "I couldn't match that order number with that email. Please check both: the email is the "
    "one your order confirmation went to. You can also send a different order number."
)
NO_MORE_TRIES = (
    "I can't check any more orders in this chat for now - there have been too many tries. "
    "If you ask for a person, someone on our team can help you with the order."
)
CANCEL_REFUSED = {
    "already_shipped": "Order {number} has already shipped, so it can't be cancelled any more. "
    "Once it arrives you can return it within 30 days of delivery.",
    "already_delivered": "Order {number} has already been delivered, so it can't be cancelled. "
    "You can return it within 30 days of delivery instead.",
    "already_cancelled": "Order {number} is already cancelled; nothing was charged.",
}
RETURN_REFUSED = {
    "not_delivered": "Order {number} hasn't been delivered yet, so a return can't start. "
    "If it hasn't shipped, I can cancel it instead.",
    "window_passed": "Order {number} was delivered more than 30 days ago (the return window "
    "ended on {window_ends}), so I can't start a return.",
    "nothing_returnable": "Nothing left on order {number} can be returned: gift cards, "
    "memberships and final-sale items can't be, and items already returned don't count twice.",
}
REFUND_REFUSED = {
    "exceeds_refundable": "There's nothing left to refund on order {number}.",
    "not_positive": "There's nothing left to refund on order {number}.",
}


def normalise_order_number(text: str | None) -> str | None:
    """'hl 482913' -> 'HL-482913'; None when it is not an order number."""
    if not text:
        return None
    match = ORDER_NUMBER.match(text)
    return f"HL-{match.group(1)}" if match else None


def order_number_in(text: str) -> str | None:
    """The first order number written anywhere in a message."""
    match = ORDER_NUMBER_IN_TEXT.search(text or "")
    return normalise_order_number(match.group(0)) if match else None


def email_in(text: str) -> str | None:
    match = EMAIL_IN_TEXT.search(text or "")
    return match.group(0) if match else None


def money(cents: int, currency: str = "USD") -> str:
    """ "$89.99" for USD, "89.99 EUR" otherwise (as commerce/orders.py says amounts)."""
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    return f"${amount}" if currency == "USD" else f"{amount} {currency}"


def items_text(items: list[dict[str, Any]]) -> str:
    """ "Sentinel Cam and 2 x Glow 2-pack"."""
    names = [
        item["name"] if item.get("quantity", 1) == 1 else f"{item['quantity']} x {item['name']}"
        for item in items
    ]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def day_text(iso: str | None) -> str:
    """'2026-03-16' or a timestamp -> 'March 16'."""
    if not iso:
        return ""
    day = datetime.fromisoformat(iso).date() if "T" in iso else date.fromisoformat(iso)
    return f"{day:%B} {day.day}"


def status_text(order: dict[str, Any]) -> str:
    """The order's live state in one message, with the carrier's tracking link when there is
    one: never more than the shop said."""
    number, shipment = order["number"], order.get("shipment")
    what = items_text(order.get("items") or [])
    if order["status"] == "cancelled":
        return f"Order {number} ({what}) was cancelled; nothing was charged."
    if shipment is None:
        placed = day_text(order.get("placed_at"))
        return (
            f"Order {number} ({what}) was placed on {placed} and hasn't shipped yet. "
            "It can still be cancelled until it ships."
        )
    carrier, link = shipment["carrier"], shipment["tracking_url"]
    expected = day_text(shipment.get("estimated_delivery"))
    by_state = {
        "label_created": f"has a {carrier} label and is waiting to be picked up"
        + (f"; it's expected by {expected}" if expected else ""),
        "in_transit": f"is on its way with {carrier}"
        + (f", expected by {expected}" if expected else ""),
        "delayed": f"is delayed with {carrier}"
        + (f" (it was expected by {expected})" if expected else "")
        + ". Sorry about that - the tracking link has the carrier's latest news",
        "delivered": f"was delivered by {carrier} on {day_text(shipment.get('delivered_at'))}",
    }
    state = by_state.get(shipment["status"], f"is with {carrier}")
    return f"Order {number} ({what}) {state}.\nTrack it: {link}"


def confirmation(request: str, order: dict[str, Any]) -> tuple[str, str] | None:
    """(question, kind) to ask before acting on the order, or None when the policy already
    says no (refused_text then explains). Kind is a key of CONFIRM_BUTTONS."""
    number = order["number"]
    if request == "cancel" and order.get("cancellation") == "allowed":
        what = items_text(order.get("items") or [])
        return (
            f"Shall I cancel order {number} ({what})? Nothing has been charged yet: the hold "
            "on your card is released by your bank within 3-7 business days.",
            "cancel",
        )
    if request == "return" and order["return"]["eligible"]:
        what = items_text(order["return"]["items"])
        ends = day_text(order["return"].get("window_ends"))
        return (
            f"Shall I start a return of {what} from order {number}? The return window is open "
            f"until {ends}.",
            "return",
        )
    if request == "refund" and order.get("refundable_cents", 0) > 0:
        amount = money(order["refundable_cents"], order.get("currency", "USD"))
        limit = order.get("refund_limit_cents", 0)
        earlier = earlier_refunds_text(order)
        if order["refundable_cents"] <= limit:
            return (
                f"{earlier}Shall I refund {amount} for order {number} to the original payment "
                "method?",
                "refund",
            )
        return (
            f"{earlier}A refund of {amount} is more than I can approve myself (up to "
            f"{money(limit, order.get('currency', 'USD'))}), so a supervisor decides. Shall I "
            "send your request to a supervisor with the order details, so you don't have to "
            "explain it again?",
            "approval",
        )
    return None


def earlier_refunds_text(order: dict[str, Any]) -> str:
    """ "Order HL-100126 already has a refund of $30.00 (March 6) ... " before offering another:
    a customer asking where their refund is must not be offered a second one unawares."""
    refunds = order.get("refunds") or []
    if not refunds:
        return ""
    currency = order.get("currency", "USD")
    each = [f"{money(r['amount_cents'], currency)} ({day_text(r['created_at'])})" for r in refunds]
    which = "a refund" if len(each) == 1 else "refunds"
    return (
        f"Order {order['number']} already has {which} of {' and '.join(each)}, on its way to the "
        "original payment method (banks usually show a refund within 3-5 business days). "
        "Do you want another one? "
    )


def refused_text(request: str, order: dict[str, Any], code: str | None = None) -> str:
    """Why the assistant will not do what was asked, plainly."""
    number = order["number"]
    if request == "cancel":
        code = code or order.get("cancellation") or ""
        text = CANCEL_REFUSED.get(code, "I can't cancel order {number}: {code}.")
    elif request == "return":
        code = code or order["return"]["reason"]
        text = RETURN_REFUSED.get(code, "I can't start a return of order {number}: {code}.")
    else:
        code = code or ("exceeds_refundable" if order.get("refundable_cents", 0) <= 0 else "")
        text = REFUND_REFUSED.get(code, "I can't refund order {number}: {code}.")
        if order["status"] in ("placed", "cancelled"):
            text += " Nothing is charged until an order ships."
    ends = day_text(order["return"].get("window_ends"))
    return text.format(number=number, code=code.replace("_", " "), window_ends=ends)


def done_text(kind: str, answer: dict[str, Any], order: dict[str, Any]) -> str:
    """What was done, with the shop's reference."""
    number = order["number"]
    if kind == "cancel":
        return (
            f"Done: order {number} is cancelled. The hold on your card is released by your "
            "bank within 3-7 business days."
        )
    if kind == "return":
        record = answer["return"]
        return (
            f"Done: return {record['id']} is started for {items_text(record['items'])} from "
            f"order {number}. A prepaid UPS label is on its way by email; drop the parcel at "
            "any UPS location within 14 days. We refund within 2 business days of the return "
            "reaching us."
        )
    refund = answer["refund"]
    amount = money(refund["amount_cents"], order.get("currency", "USD"))
    return (
        f"Done: a refund of {amount} for order {number} is issued (reference {refund['id']}). "
        "It goes to the original payment method; banks usually show it within 3-5 business days."
    )


def approval_text(answer: dict[str, Any], order: dict[str, Any]) -> str:
    currency = answer.get("currency") or order.get("currency", "USD")
    return (
        f"Your refund of {money(answer['amount_cents'], currency)} for order {order['number']} "
        "needs a supervisor's approval. I'm passing it to a supervisor now with the order, the "
        "amount and our policy check."
    )


def declined_text(kind: str, number: str) -> str:
    if kind == "approval":
        return f"Alright, I haven't sent anything. Order {number} is unchanged."
    return f"Alright, I haven't changed anything on order {number}."


def buttons(kind: str) -> list[dict[str, str]]:
    yes, no = CONFIRM_BUTTONS[kind]
    return [{"title": yes, "payload": "/affirm"}, {"title": no, "payload": "/deny"}]
