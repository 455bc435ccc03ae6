"""Session start: the signed customer claims fill the customer slots; a signed email goes to the
service (a stand-in here, tests/actions/conftest.py) so the customer's own orders open without
asking for it, and no slot ever holds the email."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.orders import ValidateOrderForm
from actions.session import ActionSessionStart
from handoff.privacy.identity import sign_customer
from tests.actions.conftest import tracker
from tests.actions.test_order_actions import IN_TRANSIT, slot_values

SECRET = "company-backend-secret-for-the-action-tests"
DOMAIN: dict[str, Any] = {"session_config": {"carry_over_slots_to_new_session": True}}


async def start(claims: dict[str, Any], monkeypatch: Any) -> dict[str, Any]:
    monkeypatch.setenv("CUSTOMER_SIGNING_SECRET", SECRET)
    metadata = {"customer": sign_customer(claims, SECRET)}
    session = tracker("", "", slots={"session_started_metadata": metadata})
    events = await ActionSessionStart().run(CollectingDispatcher(), session, DOMAIN)
    return slot_values(events)


async def test_a_signed_email_opens_the_customers_orders_without_asking(
    service, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    service.commerce_answers["email"] = (200, {"remembered": True})
    slots = await start({"id": "c-7", "tier": "vip", "email": "Priya@Example.com"}, monkeypatch)
    assert (slots["customer_id"], slots["customer_tier"]) == ("c-7", "vip")
    assert slots["customer_email_claimed"] is True
    assert "Priya@Example.com" not in str(slots)
    (remembered,) = [r for r in service.requests if r["path"] == "/commerce/customers/email"]
    assert remembered == {
        "path": "/commerce/customers/email",
        "conversation_id": "conversation-1",
        "email": "Priya@Example.com",
    }

    service.commerce_answers["verify"] = (200, {"verified": True, "order": IN_TRANSIT})
    signed_in = {"customer_email_claimed": True, "customer_id": "c-7", "customer_tier": "vip"}
    form = ValidateOrderForm()
    asked = tracker("where is HL-100198", "order_status", slots=signed_in)
    needed = await form.required_slots(["order_number", "email"], CollectingDispatcher(), asked, {})
    assert needed == ["order_number"]
    answer = await form.validate_order_number("HL-100198", CollectingDispatcher(), asked, {})
    assert answer["order_verified"] == "HL-100198"
    verify = service.requests[-1]
    assert verify["by_customer_claim"] is True and "email" not in verify
    assert verify["tier"] == "vip"


async def test_an_order_of_another_account_asks_for_the_email_it_was_placed_with(service) -> None:  # type: ignore[no-untyped-def]
    service.commerce_answers["verify"] = (200, {"verified": False, "attempts_left": 4})
    signed_in = {"customer_email_claimed": True, "customer_id": "c-7"}
    form, dispatcher = ValidateOrderForm(), CollectingDispatcher()
    asked = tracker("HL-100231", "order_status", slots=signed_in)
    answer = await form.validate_order_number("HL-100231", dispatcher, asked, {})
    assert answer == {"order_number": "HL-100231", "order_claim_missed": "HL-100231"}
    assert "among your account's orders" in dispatcher.messages[0]["text"]
    missed = tracker("HL-100231", "order_status", slots=signed_in | answer)
    needed = await form.required_slots(["order_number", "email"], dispatcher, missed, {})
    assert needed == ["order_number", "email"]


async def test_without_a_signed_email_or_with_a_forged_one_nothing_is_passed_on(
    service, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    slots = await start({"id": "c-8"}, monkeypatch)
    assert slots["customer_email_claimed"] is None
    monkeypatch.setenv("CUSTOMER_SIGNING_SECRET", SECRET)
    forged = sign_customer({"id": "c-8", "email": "me@example.com"}, SECRET) | {
        "email": "someone.else@example.com"
    }
    session = tracker("", "", slots={"session_started_metadata": {"customer": forged}})
    events = await ActionSessionStart().run(CollectingDispatcher(), session, DOMAIN)
    assert slot_values(events).get("customer_id") is None
    assert service.requests == []
