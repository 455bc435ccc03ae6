"""Client for the project's service, used by the actions (bot env, Python 3.10).

Loopback HTTP with the internal token and a short timeout. Every failure - refused connection,
timeout, error status, malformed answer - becomes a `ServiceUnavailable`, so an action can
apologise and offer a person instead of crashing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

DEFAULT_SERVICE_URL = "http://127.0.0.1:8300"


class ServiceUnavailable(RuntimeError):
    """The service could not give an answer."""


@dataclass(frozen=True)
class ServiceClientSettings:
    base_url: str
    token: str
    timeout_seconds: float = 3.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServiceClientSettings:
        return cls(
            base_url=env.get("SERVICE_URL", DEFAULT_SERVICE_URL).rstrip("/"),
            token=env.get("SERVICE_TOKEN", ""),
            timeout_seconds=float(env.get("SERVICE_TIMEOUT_SECONDS", "3.0")),
        )


class ServiceClient:
    def __init__(self, settings: ServiceClientSettings) -> None:
        self._settings = settings

    async def search(self, query: str, conversation_id: str) -> dict[str, Any]:
        return await self._post("/kb/search", {"query": query, "conversation_id": conversation_id})

    async def feedback(
        self, article_id: str, helpful: bool, conversation_id: str
    ) -> dict[str, Any]:
        return await self._post(
            "/kb/feedback",
            {"article_id": article_id, "helpful": helpful, "conversation_id": conversation_id},
        )

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=self._settings.timeout_seconds)
        headers = {"Authorization": f"Bearer {self._settings.token}"}
        try:
            async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
                async with session.post(self._settings.base_url + path, json=body) as response:
                    if response.status != 200:
                        detail = (await response.text())[:200]
                        raise ServiceUnavailable(f"{path} answered {response.status}: {detail}")
                    answer = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise ServiceUnavailable(f"{path} failed: {error!r}") from error
        if not isinstance(answer, dict):
            raise ServiceUnavailable(f"{path} answered something that is not a JSON object")
        return answer


_client: ServiceClient | None = None


def service_client() -> ServiceClient:
    """The process-wide client, created on first use (never at import time)."""
    global _client
    if _client is None:
        _client = ServiceClient(ServiceClientSettings.from_env(os.environ))
    return _client
