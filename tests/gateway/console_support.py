"""What the console tests share: the real service and the real gateway on real ports over one
real Redis, the service app with the QA review and the surveys opened (`service_app`), and a
reader of the console's Server-Sent-Events stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientResponse, web

from gateway.settings import GatewaySettings
from service.app import create_app
from service.settings import Settings
from tests.gateway.support import gateway_settings

UNUSED_RASA = "http://127.0.0.1:9"  # the console never talks to Rasa


def service_app(settings: Settings, embedder: Any, clock: Any) -> web.Application:
    """The real service app (it opens the QA review desk and the survey's outcome store)."""
    return create_app(settings, embedder_factory=lambda: embedder, clock=clock)


def console_settings(redis_url: str, service_url: str, **extra: str) -> GatewaySettings:
    return gateway_settings(redis_url, UNUSED_RASA, SERVICE_URL=service_url, **extra)


@dataclass
class EventStream:
    """One open `GET /console/api/events` response, read event by event."""

    response: ClientResponse
    comments: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    async def next(self, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
        """The next event as (event name, data); comments (heartbeats) are kept aside."""
        name, data = "message", ""
        while True:
            line = await asyncio.wait_for(self.response.content.readline(), timeout)
            if not line:
                raise AssertionError("the event stream ended")
            text = line.decode().rstrip("\n")
            self.raw.append(text)
            if text.startswith(":"):
                self.comments.append(text)
            elif text.startswith("event: "):
                name = text.removeprefix("event: ")
            elif text.startswith("data: "):
                data = text.removeprefix("data: ")
            elif text == "" and data:
                return name, json.loads(data)

    async def ticket_event(
        self, ticket_id: str, where: Callable[[dict[str, Any]], bool] = bool, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The next `ticket` event of this ticket that `where` accepts; others are skipped."""
        while True:
            name, data = await self.next(timeout)
            if name == "ticket" and data["ticket_id"] == ticket_id and where(data):
                return data

    def seen_tickets(self) -> set[str]:
        found = set()
        for line in self.raw:
            if line.startswith("data: ") and '"ticket_id"' in line:
                found.add(json.loads(line.removeprefix("data: "))["ticket_id"])
        return found
