"""Runs last (file name): it stops the service of the shared end-to-end stack."""

from __future__ import annotations

import pytest

from stack.supervisor import Stack
from tests.e2e.client import Customer, texts

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]


async def test_zz_when_the_service_is_down_the_customer_is_offered_a_person(stack: Stack) -> None:
    service = next(process for process in stack.running if process.spec.name == "service")
    service.process.terminate()
    await service.process.wait()
    customer = Customer(stack)
    replies = await customer.say("how long does a refund take?")
    assert "can't reach" in texts(replies).lower() or "can’t reach" in texts(replies).lower()
    offer = replies[-1]
    assert [button["payload"] for button in offer["buttons"]] == ["/affirm", "/deny"]
    replies = await customer.say("/affirm")
    assert "1-800-555-0199" in texts(replies)
