"""Runs last (file name): it stops parts of the shared end-to-end stack.

A customer in the widget is never left in silence when a part is down, and is never told that
what they wrote was kept: the action server killed, Redis killed (each brought back by the
launcher's supervisor afterwards), then the service stopped for good.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from stack.restarts import RestartPolicy
from stack.supervisor import Stack
from tests.e2e.client import Customer, Widget, texts

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]
CONTACTS = "1-800-555-0199"


async def until(check: Any, what: str, timeout: float = 90) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)


@pytest_asyncio.fixture(loop_scope="package")
async def supervised(stack: Stack) -> AsyncIterator[Stack]:
    """The stack under its supervisor (restarts after 5 s), as `make run` keeps it."""
    supervisor = asyncio.create_task(stack.supervise(RestartPolicy(first_delay=5.0)))
    yield stack
    supervisor.cancel()
    await asyncio.gather(supervisor, return_exceptions=True)


def comebacks(stack: Stack, name: str) -> int:
    """How often the supervisor has brought `name` back (earlier tests may have, too)."""
    log = stack.config.var_dir / "log" / f"{name}.log"
    return log.read_text().count(f"[stack] {name} is running again")


async def kill(stack: Stack, name: str) -> int:
    """kill -9 the child; returns its comebacks so far, for `back`."""
    before = comebacks(stack, name)
    child = next(process for process in stack.running if process.spec.name == name)
    os.kill(child.process.pid, signal.SIGKILL)
    await child.process.wait()
    return before


async def back(stack: Stack, name: str, before: int) -> None:
    async def running_again() -> bool:
        return comebacks(stack, name) > before

    await until(running_again, f"the supervisor did not bring {name} back")


def trouble(replies: list[dict[str, Any]]) -> dict[str, Any]:
    """The one message the widget got, which says there is trouble and how to reach people."""
    assert len(replies) == 1, replies
    notice = replies[0]
    assert notice.get("metadata") == {"sender": "system", "event": "trouble"}, notice
    assert CONTACTS in notice["text"] and "saved" not in notice["text"]
    return notice


async def test_with_the_action_server_down_the_widget_says_so_and_how_to_reach_us(
    supervised: Stack, widget: Widget
) -> None:
    killed = await kill(supervised, "actions")
    trouble(await widget.say("how long does a refund take?"))
    trouble(await widget.say("I want to talk to a real person"))
    await back(supervised, "actions", killed)

    async def answers_again() -> bool:
        return bool(await Customer(supervised).say("hello", expect_reply=False))

    await until(answers_again, "Rasa did not answer once the action server was back")


async def test_with_redis_down_the_widget_says_so_and_how_to_reach_us(
    supervised: Stack, widget: Widget
) -> None:
    await widget.say("hello")
    killed = await kill(supervised, "redis")
    trouble(await widget.say("where is my order HL-482913?"))
    await back(supervised, "redis", killed)

    async def answers_again() -> bool:
        return bool(await Customer(supervised).say("hello", expect_reply=False))

    await until(answers_again, "Rasa did not answer once Redis was back")


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
    assert "saved" not in texts(replies)  # nothing promised that an outage may have lost
