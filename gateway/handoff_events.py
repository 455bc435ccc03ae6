"""What the widget learns and asks about the handoff, over socket.io:

- `handoff_status` `{state, position, expected_wait, team_name, agent_name, message}`: sent by
  the server after a Rasa reply that handed the chat to people, on session resume, after
  outbox deliveries, and every `status_interval_seconds` while the session waits (sessions with
  a socket on this process);
- `cancel_handoff`: withdraw a waiting request (the service's ticket cancel); for stock widgets
  the notice after the handoff answer and each queue update carry a "Cancel my request" button
  (gateway/notices.py CANCEL_REPLY) whose message the server hands to `cancel` (`in_chat`);
- a queue update as chat text (`bot_uttered`, `event` `queue_update`, gateway/notices.py) when a
  waiting customer's place in the queue or expected wait changed meaningfully since they last
  read it (the handoff answer of the assistant says it first), for widgets that ignore
  `handoff_status`; what they last read is kept in Redis, so each change is told once, whichever
  gateway replica notices it.
(The survey after a resolved chat, CSAT and customer effort, is in gateway/surveys.py.)

The state comes from the service's `GET /handoff/conversations/{id}` (its `conversation_state`);
when the service is down the gateway says what Redis knows (the state without the queue outlook,
from the handoff's port handoff/store/conversations.py) and keeps going.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from typing import Any

import socketio

from gateway import notices, protocol
from gateway.notices import ErrorSender, QueueOutlook
from gateway.service_client import ServiceClient, ServiceRefused, ServiceUnavailable
from gateway.sessions import GatewayStore
from handoff.store.conversations import ConversationPort
from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)


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
        conversations: ConversationPort,
        service: ServiceClient,
        store: GatewayStore,
        send_error: ErrorSender,
    ) -> None:
        self.sio = sio
        self.conversations = conversations
        self.service = service
        self.store = store
        self.telling_queue = asyncio.Lock()  # a refresh and a delivery must not both tell it
        self.send_error = send_error
        self.waiting: set[str] = set()  # conversations whose last status here was "waiting"

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        """The service's answer about the conversation (`conversation_state` and, while a
        ticket is open, its outlook): Redis first (a conversation never handed off needs no
        service call); the state Redis knows when the service cannot say."""
        state = await self.conversations.state(conversation_id)
        conversation_state = state.get("state", "bot")  # the stored record says `state`
        if not state or conversation_state == "bot":
            return {"conversation_state": "bot"}
        try:
            return await self.service.conversation(conversation_id)
        except (ServiceUnavailable, ServiceRefused) as error:
            log.warning("handoff status from Redis only, the service: %s", error)
            return {"conversation_state": conversation_state}

    async def send_status(
        self,
        conversation_id: str,
        to: str | None = None,
        here: bool = False,
        told_in_answer: bool = False,
    ) -> None:
        """Emit `handoff_status` to one socket (`to`) or all of the conversation's sockets
        (`here`: only those on this replica), and to all of them a queue update as text when
        it is due (`told_in_answer`: the assistant's answer just told the queue outlook);
        nothing when even Redis cannot say."""
        try:
            conversation = await self.conversation(conversation_id)
        except RedisUnavailable as error:
            log.warning("no handoff status: %s", error)
            return
        status = protocol.handoff_status(conversation)
        if status["state"] == "waiting":
            self.waiting.add(conversation_id)
        else:
            self.waiting.discard(conversation_id)
        if to is not None:
            await self.sio.emit(notices.HANDOFF_STATUS, status, to=to)
            return
        await self.sio.emit(notices.HANDOFF_STATUS, status, room=conversation_id, ignore_queue=here)
        if told_in_answer and status["state"] == "waiting":  # just handed off: for stock widgets
            offer = notices.system_notice(
                "cancel_offer", notices.CANCEL_OFFER, notices.HANDOFF_STATUS, [notices.CANCEL_REPLY]
            )
            await self.sio.emit("bot_uttered", offer, room=conversation_id)
        try:
            async with self.telling_queue:
                await self._tell_queue(conversation_id, conversation, told_in_answer)
        except RedisUnavailable as error:
            log.warning("no queue update: %s", error)

    async def _tell_queue(
        self, conversation_id: str, conversation: dict[str, Any], told_in_answer: bool
    ) -> None:
        """The queue update as chat text when the outlook changed meaningfully since the
        customer last read it; to every socket of the conversation, once."""
        if conversation.get("conversation_state") != "waiting":
            if await self.store.queue_told(conversation_id) is not None:
                await self.store.set_queue_told(conversation_id, None)  # no longer waiting
            return
        outlook = notices.queue_outlook(conversation)
        if outlook is None:  # no queue (a promise by a time instead), or the service is down
            return
        if not told_in_answer:
            told = QueueOutlook.from_json(await self.store.queue_told(conversation_id))
            if not notices.changed_meaningfully(told, outlook):
                return
        await self.store.set_queue_told(conversation_id, outlook.to_json())
        if not told_in_answer:
            text = notices.queue_update_text(outlook)
            update = notices.system_notice(
                notices.QUEUE_UPDATE, text, notices.HANDOFF_STATUS, [notices.CANCEL_REPLY]
            )
            await self.sio.emit("bot_uttered", update, room=conversation_id)

    async def refresh_waiting(
        self, interval: float, connected: Callable[[], Collection[str]]
    ) -> None:
        """Every `interval` seconds, a fresh status to each waiting conversation that has a
        socket on this process."""
        while True:
            await asyncio.sleep(interval)
            here = connected()
            for conversation_id in list(self.waiting):
                if conversation_id not in here:
                    self.waiting.discard(conversation_id)
                    continue
                try:
                    await self.send_status(conversation_id, here=True)
                except Exception:  # one conversation's trouble must not stop the others' updates
                    log.exception("a waiting conversation's status could not be refreshed")

    async def cancel(self, sid: str, conversation_id: str, in_chat: bool = False) -> None:
        """Withdraw the conversation's waiting request; a notice and the new status either way.
        `in_chat`: asked with a stock widget's "Cancel my request" button (its errors are chat
        text too)."""
        try:
            conversation = await self.service.conversation(conversation_id)
            state, ticket_id = conversation.get("conversation_state"), conversation.get("ticket_id")
            if state == "waiting" and isinstance(ticket_id, str):
                await self.service.cancel_ticket(ticket_id)
                await self._notice(conversation_id, "cancelled", CANCELLED)
                return
        except ServiceRefused as error:
            if error.status == 409:  # an agent claimed it in the meantime
                await self._notice(conversation_id, "cancel_refused", ALREADY_JOINED)
            else:
                log.error("cancel_handoff refused: %s", error)
                await self.send_error(sid, "cancel_not_open", NOTHING_TO_CANCEL, in_chat=in_chat)
            return
        except ServiceUnavailable as error:
            log.error("cancel_handoff: the service: %s", error)
            message = "the request was not cancelled; try again"
            await self.send_error(sid, "unavailable", message, in_chat=in_chat)
            return
        if state == "agent":
            await self._notice(conversation_id, "cancel_refused", ALREADY_JOINED)
        else:
            await self.send_error(sid, "cancel_not_open", NOTHING_TO_CANCEL, in_chat=in_chat)

    async def _notice(self, conversation_id: str, event: str, text: str) -> None:
        await self.sio.emit("bot_uttered", notices.system_notice(event, text), room=conversation_id)
        await self.send_status(conversation_id)
