"""The real stack's health (issue 16, item 1): the gateway is ready only with Redis, Rasa (the
real server's "Hello from Rasa") and the service answering, the service only with Redis and its
knowledge base; each reports every dependency by name with its latency, and neither needs a
token or shows one."""

from __future__ import annotations

import aiohttp
import pytest

from stack.supervisor import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]


async def get_json(url: str) -> tuple[int, dict[str, object], str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        async with session.get(url) as response:
            text = await response.text()
            return response.status, await response.json(), text


async def test_the_gateway_and_the_service_are_ready_and_say_why(stack: Stack) -> None:
    config = stack.config
    for base, dependencies in (
        (config.gateway_url, {"redis", "rasa", "service"}),
        (config.service_url, {"redis", "knowledge_base"}),
    ):
        status, body, text = await get_json(f"{base}/health/ready")
        assert status == 200, body
        checks = body["checks"]
        assert isinstance(checks, dict) and set(checks) == dependencies
        for name, check in checks.items():
            assert check["status"] == "ok", (base, name, check)
            assert 0 <= check["latency_ms"] < 1000
        for secret in (config.service_token, config.metrics_token):
            assert secret not in text
        assert (await get_json(f"{base}/health/live"))[:2] == (200, {"status": "ok"})
