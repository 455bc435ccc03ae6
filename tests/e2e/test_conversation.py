"""Conversations with the whole running assistant over Rasa's REST channel."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis

from stack.supervisor import Stack
from tests.e2e.client import Customer, texts

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]


async def service_get(stack: Stack, path: str) -> Any:
    headers = {"Authorization": f"Bearer {stack.config.service_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(stack.config.service_url + path) as response:
            assert response.status == 200
            return await response.json()


async def test_a_question_gets_a_knowledge_base_answer_with_its_link(stack: Stack) -> None:
    customer = Customer(stack)
    greeting = await customer.say("hi there")
    assert "Hearthly" in texts(greeting)

    replies = await customer.say("how many days do I have to send something back?")
    assert "30 days" in texts(replies)
    assert "https://help.hearthly.example/articles/return-policy" in texts(replies)
    feedback_question = replies[-1]
    assert feedback_question["text"] == "Did that help?"
    assert [button["payload"] for button in feedback_question["buttons"]] == [
        "/feedback_helpful",
        "/feedback_not_helpful",
    ]

    await customer.say("/feedback_helpful")
    listing = await service_get(stack, "/kb/articles")
    return_policy = next(a for a in listing["articles"] if a["id"] == "return-policy")
    assert return_policy["feedback"]["helpful"] == 1


async def test_the_conversation_is_kept_in_redis(stack: Stack) -> None:
    customer = Customer(stack)
    await customer.say("hello")
    client = redis.Redis(host="127.0.0.1", port=stack.config.redis.port)
    try:
        assert await client.exists(f"tracker:{customer.sender}") == 1
    finally:
        await client.aclose()


async def test_an_unanswerable_question_offers_articles_and_is_recorded(stack: Stack) -> None:
    customer = Customer(stack)
    replies = await customer.say("are you hiring software engineers at the moment?")
    assert "not sure" in texts(replies)
    unanswered = await service_get(stack, "/kb/unanswered")
    assert "are you hiring software engineers at the moment" in [
        q["question"] for q in unanswered["questions"]
    ]


async def test_an_order_number_alone_opens_nothing_before_the_orders_email(stack: Stack) -> None:
    customer = Customer(stack)
    replies = texts(await customer.say("where is my order HL-482913?"))
    assert "email address you placed the order with" in replies
    assert "shipped" not in replies and "deliver" not in replies


async def test_an_edited_article_changes_the_answer_within_two_seconds(stack: Stack) -> None:
    customer = Customer(stack)
    question = "how many days do I have to send something back?"
    assert "30 days" in texts(await customer.say(question))
    article = Path(stack.config.knowledge_base["KB_ARTICLES_DIR"]) / "return-policy.md"
    article.write_text(article.read_text().replace("30 days", "45 days"))
    edited_at = time.monotonic()
    while True:
        answer = texts(await customer.say(question))
        if "45 days" in answer:
            break
        assert time.monotonic() - edited_at < 2.0, "the edit was not picked up within 2 s"
        await asyncio.sleep(0.1)


async def test_rasa_and_the_action_server_listen_on_loopback_only(stack: Stack) -> None:
    listening = _listening_addresses()
    for port in (stack.config.rasa_port, stack.config.actions_port, stack.config.service_port):
        addresses = {address for address, listened_port in listening if listened_port == port}
        assert addresses == {"127.0.0.1"}, f"port {port} listens on {addresses}"


def _listening_addresses() -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket, from /proc/net/tcp and tcp6."""
    found = set()
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state != "0A":  # LISTEN
                continue
            address_hex, port_hex = local.split(":")
            found.add((_address(address_hex), int(port_hex, 16)))
    return found


def _address(hex_address: str) -> str:
    if len(hex_address) == 8:
        return ".".join(str(int(hex_address[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return "0.0.0.0" if set(hex_address) == {"0"} else f"ipv6:{hex_address}"
