"""One event to one target, over HTTP: the edge between the pure request builders and the
network.

A webhook gets one signed POST. A help desk with tickets of its own (Zendesk, Chatwoot) gets its
ticket created the first time it hears of one of ours - whatever the event, so a ticket
transferred to a team with this target arrives too - and the desk's id is kept in
`helpdesk:remote:{target}`; then the event's updates. Every request carries an
`Idempotency-Key`: `{target}/{ticket id}/create` for a create (one desk ticket per ticket of
ours, whichever event made it), `{target}/{event id}` otherwise (`/{step}` added when an event
needs several requests). A receiver that honours it does each thing once however often a
delivery is retried.

Anything but a 2xx answer raises `DeliveryFailed` with a message fit for a log line: the
status, or the kind of network error - never the body sent or received, and never a URL's
credentials. A 4xx other than 408, 409, 425 and 429 is `permanent`: the request itself is wrong,
so the event is dead-lettered at once instead of being retried for half an hour.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aiohttp
import redis.asyncio as redis

from helpdesk import keys
from helpdesk.chatwoot import Chatwoot
from helpdesk.config import Target
from helpdesk.desk import Desk
from helpdesk.events import HelpdeskEvent
from helpdesk.http_request import OutgoingRequest
from helpdesk.webhook import webhook_request
from helpdesk.zendesk import Zendesk
from infra.clock import Clock, utc_now
from infra.redis_client import await_reply, guard

IDEMPOTENCY_HEADER = "Idempotency-Key"
DESKS: dict[str, type[Desk]] = {"zendesk": Zendesk, "chatwoot": Chatwoot}


RETRYABLE_CLIENT_ERRORS = (408, 409, 425, 429)
"""4xx answers worth another try (timeout, conflict, too early, rate limit); any other 4xx says
the request itself is wrong (auth, shape, a desk ticket gone): trying again cannot help."""


class DeliveryFailed(RuntimeError):
    """The target did not take the event (answered other than 2xx, or could not be reached);
    `permanent`: another attempt cannot succeed until something changes (dead-letter it now)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class TargetClient:
    """Sends events to one target on a shared aiohttp session."""

    def __init__(
        self,
        target: Target,
        credentials: Mapping[str, str],
        session: aiohttp.ClientSession,
        client: redis.Redis,
        *,
        timeout_seconds: float,
        clock: Clock = utc_now,
    ) -> None:
        self.target = target
        self._credentials = dict(credentials)
        self._session = session
        self._redis = client
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._clock = clock
        desk = DESKS.get(target.kind)
        self._desk = desk(target, credentials) if desk is not None else None

    async def deliver(self, event: HelpdeskEvent) -> None:
        """Deliver the event; raises DeliveryFailed, or RedisUnavailable for the id map."""
        if self._desk is None:
            now = self._clock().timestamp()
            request = webhook_request(event, self.target, self._credentials, now)
            await self._send(request, f"{self.target.name}/{event.event_id}")
            return
        remote_id = await self._remote_id(event.ticket_id)
        just_created = remote_id is None
        if remote_id is None:
            answer = await self._send(
                self._desk.create(event), f"{self.target.name}/{event.ticket_id}/create"
            )
            try:
                remote_id = self._desk.remote_id(answer)
            except ValueError as error:
                raise DeliveryFailed(
                    f"{self.target.name}: create answered without an id"
                ) from error
            async with guard():
                await await_reply(
                    self._redis.hset(keys.remote_ids(self.target.name), event.ticket_id, remote_id)
                )
        requests = self._desk.updates(event, remote_id, just_created=just_created)
        for request in requests:
            key = f"{self.target.name}/{event.event_id}"
            await self._send(request, f"{key}/{request.step}" if len(requests) > 1 else key)

    async def _remote_id(self, ticket_id: str) -> str | None:
        async with guard():
            found = await await_reply(
                self._redis.hget(keys.remote_ids(self.target.name), ticket_id)
            )
        return str(found) if found else None

    async def _send(self, request: OutgoingRequest, idempotency_key: str) -> Any:
        """Send; the JSON answer (None when there is none), or DeliveryFailed."""
        headers = {**request.headers, IDEMPOTENCY_HEADER: idempotency_key}
        try:
            async with self._session.request(
                request.method,
                request.url,
                data=request.body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                if not 200 <= status < 300:
                    permanent = 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS
                    message = f"{self.target.name} answered HTTP {status}"
                    raise DeliveryFailed(message, permanent=permanent)
                text = await response.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise DeliveryFailed(
                f"{self.target.name} not reachable ({type(error).__name__})"
            ) from None
        try:
            return json.loads(text) if text.strip() else None
        except ValueError:
            return None
