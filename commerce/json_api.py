"""One shop's HTTP API as a connector uses it: a session opened on first use with the
connector's headers and timeout, and each answer as (status, JSON object). A timeout, a refused
connection, a 5xx, a 429 (rate limited, with its Retry-After) or an answer that is not a JSON
object is ShopUnavailable; what a 4xx means is the connector's to say."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp

from commerce.connector import ShopUnavailable


class JsonApi:
    def __init__(self, origin: str, headers: Mapping[str, str], timeout: float, name: str) -> None:
        """`name` says whose API it is in error messages ("the order service", "Shopify")."""
        self.origin = origin.rstrip("/")
        self.name = name
        self._headers = dict(headers)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Mapping[str, Any]]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        try:
            async with self._session.request(
                method, self.origin + path, params=params, json=body, headers=headers
            ) as response:
                if response.status == 429:
                    wait = response.headers.get("Retry-After")
                    retry = f"retry after {wait} s" if wait else "retry in a moment"
                    raise ShopUnavailable(f"{self.name} is rate limiting us; {retry}")
                if response.status >= 500:
                    raise ShopUnavailable(f"{self.name} answered {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as failure:
            raise ShopUnavailable(f"{self.name} could not be reached ({failure!r})") from None
        if not isinstance(answer, Mapping):
            raise ShopUnavailable(f"{self.name} answered something that is not an object")
        return response.status, answer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
