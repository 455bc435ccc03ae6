"""What the widget learns and asks about the handoff, over socket.io:

- `handoff_status` `{state, position, expected_wait, team_name, agent_name, message}`: sent by
  the server after a Rasa reply that handed the chat to people, on session resume, after
  outbox deliveries, and every `status_interval_seconds` while the session waits (sessions with
  a socket on this process);
- `cancel_handoff`: withdraw a waiting request (the service's ticket cancel);
- `csat` `{rating, comment?}`: rate a chat an agent resolved -> `csat_saved`.

The state comes from the service's `GET /handoff/conversations/{id}`; when the service is down
the gateway says what Redis knows (the state without the queue outlook) and keeps going.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import socketio
from redis.exceptions import RedisError

from gateway import protocol
from gateway.service_client import ServiceClient, ServiceRefused, ServiceUnavailable
from handoff.ticket_store import RedisTicketStore

log = logging.getLogger(__name__)

ErrorSender = Callable[[str, str, str], Awaitable[None]]

CANCELLED = (
    "Your request for a person is cancelled. You're chatting with the assistant again; "
    "ask for a person whenever you need one."
)
ALREADY_JOINED = (
    "A person has already joined this chat, so the request can't be cancelled; "
    "they can see the whole conversation."
)
NOTHING_TO_CANCEL = "there is no request for a person to cancel"


class HandoffEvents:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        tickets: RedisTicketStore,
        service: ServiceClient,
        send_error: ErrorSender,
    ) -> None:
        self.sio = sio
        self.tickets = tickets
        self.service = service
        self.send_error = send_error
        self.waiting: set[str] = set()  # sessions whose last status here was "waiting"

    async def status(self, session_id: str) -> dict[str, Any]:
        """The session's handoff status: Redis first (a conversation never handed off needs
        no service call), then the service for the queue outlook."""
        state = await self.tickets.conversation(session_id)
        if not state or state.get("state", "bot") == "bot":
            return protocol.handoff_status({"state": "bot"})
        try:
            return protocol.handoff_status(await self.service.conversation(session_id))
        except (ServiceUnavailable, ServiceRefused) as error:
            log.warning("handoff status from Redis only, the service: %s", error)
            return protocol.handoff_status(state)

    async def send_status(self, session_id: str, to: str | None = None) -> None:
        """Emit `handoff_status` to one socket (`to`) or all of the session; nothing when even
        Redis cannot say."""
        try:
            status = await self.status(session_id)
        except (RedisError, OSError) as error:
            log.warning("no handoff status, Redis: %s", error)
            return
        if status["state"] == "waiting":
            self.waiting.add(session_id)
        else:
            self.waiting.discard(session_id)
        if to is not None:
            await self.sio.emit("handoff_status", status, to=to)
        else:
            await self.sio.emit("handoff_status", status, room=session_id)

    async def refresh_waiting(
        self, interval: float, connected: Callable[[], Collection[str]]
    ) -> None:
        """Every `interval` seconds, a fresh status to each waiting session connected here."""
        while True:
            await asyncio.sleep(interval)
            here = connected()
            for session_id in list(self.waiting):
                if session_id not in here:
                    self.waiting.discard(session_id)
                    continue
                try:
                    await self.send_status(session_id)
                except Exception:  # one session's trouble must not stop the others' updates
                    log.exception("a waiting session's status could not be refreshed")

    async def cancel(self, sid: str, session_id: str) -> None:
        """Withdraw the session's waiting request; a notice and the new status either way."""
        try:
            conversation = await self.service.conversation(session_id)
            state, ticket_id = conversation.get("state"), conversation.get("ticket_id")
            if state == "waiting" and isinstance(ticket_id, str):
                await self.service.cancel_ticket(ticket_id)
                await self._notice(session_id, "cancelled", CANCELLED)
                return
        except ServiceRefused as error:
            if error.status == 409:  # an agent claimed it in the meantime
                await self._notice(session_id, "cancel_refused", ALREADY_JOINED)
            else:
                log.error("cancel_handoff refused: %s", error)
                await self.send_error(sid, "cancel_not_open", NOTHING_TO_CANCEL)
            return
        except ServiceUnavailable as error:
            log.error("cancel_handoff: the service: %s", error)
            await self.send_error(sid, "unavailable", "the request was not cancelled; try again")
            return
        if state == "agent":
            await self._notice(session_id, "cancel_refused", ALREADY_JOINED)
        else:
            await self.send_error(sid, "cancel_not_open", NOTHING_TO_CANCEL)

    async def rate(self, sid: str, session_id: str, data: object) -> None:
        """Validate a `csat` event and store it through the service; `csat_saved` on success."""
        try:
            rating, comment = protocol.parse_csat(data)
        except protocol.InvalidCsat as error:
            await self.send_error(sid, "invalid_csat", str(error))
            return
        try:
            saved = await self.service.rate_conversation(session_id, rating, comment)
        except ServiceRefused as error:
            if error.status == 400:
                await self.send_error(sid, "invalid_csat", error.error)
            else:  # 409 nothing to rate or already rated, 404 never handed off
                await self.send_error(sid, "csat_not_open", "there is no resolved chat to rate")
            return
        except ServiceUnavailable as error:
            log.error("csat: the service: %s", error)
            await self.send_error(sid, "unavailable", "the rating could not be saved; try again")
            return
        await self.sio.emit("csat_saved", {"rating": saved.get("rating", rating)}, room=session_id)

    async def _notice(self, session_id: str, event: str, text: str) -> None:
        await self.sio.emit("bot_uttered", protocol.system_notice(event, text), room=session_id)
        await self.send_status(session_id)
