"""Rate limits against the real stack: 50 customers chatting at once from one address (an office,
a carrier's NAT, a reverse proxy) are all answered, while a single session flooding the gateway
is still limited; behind a trusted reverse proxy each client has its own bucket and cannot pick
another by writing X-Forwarded-For itself."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from stack.processes import gateway_spec
from stack.supervisor import Stack, free_port
from tests.e2e.client import Widget

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CUSTOMERS = 50
CONVERSATION = (
    "hi there",
    "how long do I have to return something?",
    "thanks",
    "how many days do I have to send something back?",
    "thank you, bye",
)
THINK_SECONDS = (3.0, 7.0)
"""A person reads the answer and types the next message: 5 messages take about 25 s."""


async def _open(url: str, forwarded_for: str | None = None) -> Widget:
    """A widget; with `forwarded_for`, as a reverse proxy in front of the gateway forwards it."""
    widget = Widget()
    headers = {"Origin": url}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    await widget.client.connect(url, headers=headers, transports=["websocket"])
    await widget.client.emit("session_request", {"session_id": None})
    for _ in range(400):
        if widget.session_id or widget.errors:
            break
        await asyncio.sleep(0.05)
    return widget


async def _customer(url: str, seed: int) -> Widget:
    pace = random.Random(seed)
    await asyncio.sleep(pace.uniform(0, 2))  # customers open the chat over a couple of seconds
    widget = await _open(url)
    for text in CONVERSATION:
        if widget.errors or not widget.session_id:
            break
        await asyncio.sleep(pace.uniform(*THINK_SECONDS))
        start = len(widget.bot)
        await widget.client.emit("user_uttered", {"message": text, "session_id": widget.session_id})
        for _ in range(1200):  # a minute at most for the answer
            if len(widget.bot) > start or widget.errors:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"no answer to {text!r}")
    return widget


async def _close(widgets: list[Widget]) -> None:
    for widget in widgets:
        if widget.client.connected:
            await widget.client.disconnect()


async def test_fifty_customers_from_one_address_are_all_answered(stack: Stack) -> None:
    """The issue's case: 50 sessions from one address at 10 messages each had 478 of 500
    refused, the session requests alone spending the address's budget."""
    url = stack.config.gateway_url
    widgets = await asyncio.gather(*(_customer(url, seed) for seed in range(CUSTOMERS)))
    try:
        refused = [error for widget in widgets for error in widget.errors]
        assert refused == []
        assert all(widget.session_id for widget in widgets)
        answered = sum(1 for widget in widgets for message in widget.bot if "text" in message)
        assert answered >= CUSTOMERS * len(CONVERSATION)
    finally:
        await _close(list(widgets))


async def test_a_single_session_flooding_the_gateway_is_still_limited(stack: Stack) -> None:
    widget = await _open(stack.config.gateway_url)
    try:
        for number in range(20):
            await widget.client.emit(
                "user_uttered", {"message": f"flood {number}", "session_id": widget.session_id}
            )
        for _ in range(600):  # the session's burst is 10 (and a token every 2 s after it)
            if len(widget.errors) >= 7:
                break
            await asyncio.sleep(0.05)
        assert len(widget.errors) >= 7
        assert {error["code"] for error in widget.errors} == {"rate_limited"}
        assert all(error["retry_after"] > 0 for error in widget.errors)
        notices = [m for m in widget.bot if m.get("metadata", {}).get("event") == "rate_limited"]
        # one notice in the chat per refusal burst, not one a message
        assert 1 <= len(notices) < len(widget.errors)
    finally:
        await _close([widget])


@pytest_asyncio.fixture(loop_scope="package")
async def proxied_gateway(stack: Stack, tmp_path: Path) -> AsyncIterator[str]:
    """A second gateway on the same stack, behind a reverse proxy on 127.0.0.1, with a small
    address budget so the test sees where it is spent."""
    config = dataclasses.replace(
        stack.config,
        gateway_port=free_port(),
        var_dir=tmp_path,
        gateway={
            "GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32",
            "GATEWAY_ADDRESS_BURST": "3",
            "GATEWAY_ADDRESS_PER_MINUTE": "1",
        },
    )
    async with Stack(config, [gateway_spec(config)], echo=None):
        yield config.gateway_url


async def test_behind_a_trusted_proxy_each_client_is_limited_on_its_own(
    proxied_gateway: str,
) -> None:
    client = await _open(proxied_gateway, forwarded_for="203.0.113.7")
    neighbour = await _open(proxied_gateway, forwarded_for="203.0.113.8")
    spoofer = await _open(proxied_gateway, forwarded_for="198.51.100.1, 203.0.113.7")
    try:
        for number in range(4):
            await client.client.emit(
                "user_uttered", {"message": f"hello {number}", "session_id": client.session_id}
            )
        for _ in range(600):
            if client.errors and len([m for m in client.bot if "metadata" not in m]) >= 3:
                break
            await asyncio.sleep(0.05)
        assert [error["code"] for error in client.errors] == ["rate_limited"]
        assert await neighbour.say("hello")  # another customer of the same site is answered
        await spoofer.client.emit(
            "user_uttered", {"message": "hello", "session_id": spoofer.session_id}
        )
        for _ in range(200):
            if spoofer.errors:
                break
            await asyncio.sleep(0.05)
        assert [error["code"] for error in spoofer.errors] == ["rate_limited"]
    finally:
        await _close([client, neighbour, spoofer])
