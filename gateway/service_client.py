"""The gateway's client of the service's internal handoff API (loopback, service token):
a conversation's state with its queue outlook, its transcript as the customer saw it (for a
resume link), withdrawing a waiting request, the customer's survey (whether one is open
for the conversation's session; the answers), and the transcript sent by email.

Failures are typed: `ServiceUnavailable` (not reachable, timed out, 5xx, not JSON; with the
answer's `error` code as `code` when it has one, like `mail_not_set_up`) and
`ServiceRefused` (a 4xx answer, with the service's status and its `error` text). The token is
sent as a Bearer header and never logged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

SERVICE_TIMEOUT_SECONDS = 3.0


class ServiceUnavailable(Exception):
    """The service did not give a usable answer (`code`: its `error` code, when it said one)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ServiceRefused(Exception):
    """The service answered 4xx: `status` and the service's `error` text."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


class ServiceClient:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        """`GET /handoff/conversations/{id}`: state, ticket and, while open, the outlook."""
        return await self._call("GET", f"/handoff/conversations/{quote(conversation_id)}")

    async def transcript(self, conversation_id: str) -> dict[str, Any]:
        """`GET /handoff/conversations/{id}/transcript`: the conversation as the customer saw it
        (404: it has no ticket, or it was erased)."""
        return await self._call(
            "GET", f"/handoff/conversations/{quote(conversation_id)}/transcript"
        )

    async def cancel_ticket(self, ticket_id: str) -> dict[str, Any]:
        """`POST /handoff/tickets/{id}/cancel`: 409 once an agent has it."""
        return await self._call("POST", f"/handoff/tickets/{quote(ticket_id)}/cancel")

    async def survey_status(self, conversation_id: str) -> dict[str, Any]:
        """`GET /handoff/conversations/{id}/survey`: open, audience, answered (404: no session)."""
        return await self._call("GET", f"/handoff/conversations/{quote(conversation_id)}/survey")

    async def save_survey(self, conversation_id: str, answers: dict[str, Any]) -> dict[str, Any]:
        """`POST /handoff/conversations/{id}/survey`: 409 when none is open or it was answered."""
        return await self._call(
            "POST", f"/handoff/conversations/{quote(conversation_id)}/survey", answers
        )

    async def send_transcript(self, conversation_id: str, email: str | None) -> dict[str, Any]:
        """`POST /handoff/conversations/{id}/transcript-email`: 202 `{"sent_to"}` (None: to the
        follow-up email); 400 a missing or bad address or too many, 404 no ticket, 503
        `mail_not_set_up`."""
        body = {} if email is None else {"email": email}
        return await self._call(
            "POST", f"/handoff/conversations/{quote(conversation_id)}/transcript-email", body
        )

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            async with self._http.request(
                method,
                self._base_url + path,
                json=body,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=SERVICE_TIMEOUT_SECONDS),
            ) as response:
                status = response.status
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ServiceUnavailable(f"{method} {path}: {error!r}") from None
        if 400 <= status < 500:
            error_text = answer.get("error") if isinstance(answer, dict) else None
            raise ServiceRefused(status, str(error_text or f"HTTP {status}"))
        if status >= 300 or not isinstance(answer, dict):
            code = answer.get("error") if isinstance(answer, dict) else None
            raise ServiceUnavailable(
                f"{method} {path}: HTTP {status}", code if isinstance(code, str) else None
            )
        return answer
