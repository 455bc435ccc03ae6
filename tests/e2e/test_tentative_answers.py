"""Answers the assistant is not sure of, with the whole running assistant: a question scoring in
the tentative band gets the best section under "did you mean ...?" and the customer's verdict
decides, instead of "I'm not sure" and a miss counted against the conversation."""

from __future__ import annotations

import pytest

from stack.supervisor import Stack
from tests.e2e.client import Customer, texts

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]
ARTICLES = "https://help.hearthly.example/articles/"


async def test_an_unsure_question_gets_did_you_mean_with_the_section(stack: Stack) -> None:
    customer = Customer(stack)

    replies = texts(await customer.say("how do I pay with paypal"))

    assert "Did you mean “Payment methods" in replies
    assert "PayPal" in replies and ARTICLES + "payment-methods" in replies
    assert "Is that what you were asking?" in replies
    tracker = await customer.tracker()
    slots = tracker["slots"]
    assert slots["kb_history"][-1]["tentative"] is True
    assert slots["kb_last_article_id"] == "payment-methods"  # the yes/no buttons count for it
    assert not slots["kb_miss_count"]


async def test_a_confident_answer_does_not_ask(stack: Stack) -> None:
    customer = Customer(stack)

    replies = texts(await customer.say("when will my refund show up on my card?"))

    assert "Did you mean" not in replies and ARTICLES + "refund-timeline" in replies
    assert (await customer.tracker())["slots"]["kb_history"][-1]["tentative"] is False
