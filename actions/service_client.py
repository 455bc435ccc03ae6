"""Client for the project's service, used by the actions (bot env, Python 3.10).

Loopback HTTP with the internal token and a short timeout, over kept-alive connections (one
aiohttp session per event loop: a new session per call cost a TCP connection on every
knowledge-base turn). Every failure - refused connection,
timeout, error status, malformed answer - becomes a `ServiceUnavailable`, so an action can
apologise and offer a person instead of crashing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

DEFAULT_SERVICE_URL = "http://127.0.0.1:8300"


class ServiceUnavailable(RuntimeError):
    """The service could not give an answer."""


class ServiceForbidden(RuntimeError):
    """The service refused to show or change something this conversation has no right to (HTTP
    403), e.g. an order the customer has not proved is theirs."""


class ServiceConflict(RuntimeError):
    """The service refused a change that no longer fits (HTTP 409), e.g. cancelling a ticket
    an agent has already taken."""


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
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    def _session_for_this_loop(self) -> aiohttp.ClientSession:
        """The kept-alive session, made again when the event loop is another one (a session
        belongs to the loop it was made in; the action server has one, tests several)."""
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or self._session_loop is not loop:
            headers = {"Authorization": f"Bearer {self._settings.token}"}
            session = self._session = aiohttp.ClientSession(headers=headers)
            self._session_loop = loop
        return session

    async def search(
        self, query: str, conversation_id: str, context_article_id: str | None = None
    ) -> dict[str, Any]:
        """Search the knowledge base; `context_article_id` (the article answered from last)
        lets the service read a follow-up ("how much does it cost?") with its topic."""
        body: dict[str, Any] = {"query": query, "conversation_id": conversation_id}
        if context_article_id:
            body["context_article_id"] = context_article_id
        return await self._post("/kb/search", body)

    async def feedback(
        self, article_id: str, helpful: bool, conversation_id: str
    ) -> dict[str, Any]:
        return await self._post(
            "/kb/feedback",
            {"article_id": article_id, "helpful": helpful, "conversation_id": conversation_id},
        )

    async def create_ticket(self, body: dict[str, Any]) -> dict[str, Any]:
        """Open (or find again: the service is idempotent) the handoff ticket."""
        # packaging a long conversation (NER, routing) takes longer than a search
        return await self._request("POST", "/handoff/tickets", body, timeout_seconds=10.0)

    async def cancel_ticket(self, ticket_id: str) -> dict[str, Any]:
        return await self._request("POST", f"/handoff/tickets/{quote(ticket_id)}/cancel", {})

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        """Who has the conversation now (its `state`), and its latest ticket."""
        return await self._request("GET", f"/handoff/conversations/{quote(conversation_id)}")

    async def takeover(self, conversation_id: str) -> dict[str, Any]:
        """What happened while a person had the conversation (its latest ticket)."""
        path = f"/handoff/conversations/{quote(conversation_id)}/takeover"
        return await self._request("GET", path)

    async def verify_order(
        self, conversation_id: str, order_number: str, email: str | None, tier: str | None
    ) -> dict[str, Any]:
        """{verified, order | attempts_left, retry_after}: the order only with its email, the
        one given or (`email` None) the signed-in customer's ({verified: false, claim: "none"}
        when there is none)."""
        body: dict[str, Any] = {"conversation_id": conversation_id, "order_number": order_number}
        body |= {"email": email} if email else {"by_customer_claim": True}
        return await self._post("/commerce/orders/verify", _with_tier(body, tier))

    async def remember_customer_email(self, conversation_id: str, email: str) -> dict[str, Any]:
        """The signed-in customer's email (a verified claim), so their orders open without it."""
        body = {"conversation_id": conversation_id, "email": email}
        return await self._post("/commerce/customers/email", body)

    async def lookup_order(
        self, conversation_id: str, order_number: str, tier: str | None
    ) -> dict[str, Any]:
        """{order}: an order this conversation proved; ServiceForbidden otherwise."""
        body = {"conversation_id": conversation_id, "order_number": order_number}
        return await self._post("/commerce/orders/lookup", _with_tier(body, tier))

    async def act_on_order(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """`cancel`, `return` or `refund` a proved order (the body as docs/openapi.yaml
        says; `turn` makes a repeated request act once)."""
        # the shop's own call sits behind the service's: allow for both
        return await self._request("POST", f"/commerce/orders/{action}", body, 10.0)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._request("POST", path, body)

    async def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
    ) -> dict[str, Any]:
        seconds = max(timeout_seconds or 0.0, self._settings.timeout_seconds)
        timeout = aiohttp.ClientTimeout(total=seconds)
        url = self._settings.base_url + path
        try:
            session = self._session_for_this_loop()
            async with session.request(method, url, json=body, timeout=timeout) as response:
                if response.status == 409:
                    raise ServiceConflict((await response.text())[:200])
                if response.status == 403:
                    raise ServiceForbidden((await response.text())[:200])
                if response.status not in (200, 201):
                    detail = (await response.text())[:200]
                    raise ServiceUnavailable(f"{path} answered {response.status}: {detail}")
                answer = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise ServiceUnavailable(f"{path} failed: {error!r}") from error
        if not isinstance(answer, dict):
            raise ServiceUnavailable(f"{path} answered something that is not a JSON object")
        return answer


def _with_tier(body: dict[str, Any], tier: str | None) -> dict[str, Any]:
    return body | {"tier": tier} if tier else body


_client: ServiceClient | None = None


def service_client() -> ServiceClient:
    """The process-wide client, created on first use (never at import time)."""
    global _client
    if _client is None:
        _client = ServiceClient(ServiceClientSettings.from_env(os.environ))
    return _client
