"""Follow-up questions in context, with the whole running assistant: a question that leans on
the previous answer is answered from the right article, and its misses count less."""

from __future__ import annotations

import pytest

from stack.supervisor import Stack
from tests.e2e.client import Customer, texts

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]
ARTICLES = "https://help.hearthly.example/articles/"


async def answered_from(customer: Customer, question: str, article_id: str) -> str:
    replies = texts(await customer.say(question))
    assert ARTICLES + article_id in replies, f"{question!r} was not answered from {article_id}"
    return replies


async def latest_lookup(customer: Customer) -> dict:
    history = (await customer.tracker())["slots"]["kb_history"]
    return dict(history[-1])


async def test_how_much_does_it_cost_after_a_plus_answer(stack: Stack) -> None:
    customer = Customer(stack)
    await answered_from(customer, "what do I get with Hearthly Plus?", "plus-benefits")
    await customer.say("/feedback_helpful")  # clears kb_last_article_id: kb_history still knows
    replies = await answered_from(customer, "how much does it cost?", "plus-billing")
    assert "$7.99" in replies
    assert (await latest_lookup(customer))["follow_up"] is True


async def test_and_for_members_after_an_express_delivery_answer(stack: Stack) -> None:
    customer = Customer(stack)
    await answered_from(customer, "how fast is express delivery?", "shipping-options-and-costs")
    replies = await answered_from(customer, "and for members?", "shipping-options-and-costs")
    assert "free for Hearthly Plus members" in replies


async def test_what_about_the_doorbell_after_a_camera_answer(stack: Stack) -> None:
    customer = Customer(stack)
    await answered_from(customer, "my Sentinel Cam keeps going offline", "camera-offline")
    await answered_from(customer, "what about the doorbell?", "doorbell-chime")
    assert (await latest_lookup(customer))["follow_up"] is True


async def test_a_fresh_question_is_not_changed_by_the_context(stack: Stack) -> None:
    customer = Customer(stack)
    await answered_from(customer, "what do I get with Hearthly Plus?", "plus-benefits")
    await answered_from(customer, "how do I reset my password?", "reset-password")
    assert (await latest_lookup(customer))["follow_up"] is False


async def test_two_follow_up_misses_do_not_offer_a_person(stack: Stack) -> None:
    customer = Customer(stack)
    await answered_from(customer, "what do I get with Hearthly Plus?", "plus-benefits")
    for question in ("and the loyalty points?", "and for families?"):
        replies = texts(await customer.say(question))
        assert "not sure" in replies
        assert "person" not in replies.lower()
    slots = (await customer.tracker())["slots"]
    assert slots["reply_outcome"] == "follow_up_miss"
    decision = slots["escalation_decision"]
    assert decision["action"] == "continue"
    assert {s["name"] for s in decision["signals"]} >= {"follow_up_miss"}
