"""The public gateway: a python-socketio AsyncServer on aiohttp that speaks Rasa's socket.io
channel protocol (`session_request` -> `session_confirm`, `user_uttered` -> `bot_uttered`), so
existing Rasa widgets connect unchanged.

A widget's session id is its secret; the gateway maps it to a conversation id
(gateway/sessions.py), the only id Rasa, the service and the team see. Each customer message
goes to Rasa's REST webhook on loopback (sender = the conversation id), or, while a person has
the conversation (its state is one of `handoff.vocabulary.WITH_PEOPLE`), into the open ticket's
transcript instead. What the team sends (the conversation's outbox) is delivered to every socket
of the conversation as `bot_uttered` in the shape every Rasa widget shows, with `sender` "agent"
or "system" in its `metadata` (gateway/notices.py). The gateway reaches the handoff only
through its port (handoff/store/conversations.py). The handoff's own events (`handoff_status`,
`cancel_handoff`) are in gateway/handoff_events.py, the survey (`survey_request`, `survey` ->
`survey_saved`: after "Yes, that helped" and after an agent resolved the chat) in
gateway/surveys.py; the demo page, the widget's files and the security headers in gateway/web.py.

Errors reach the client as a `gateway_error` event `{"code", "message"[, "retry_after"]}` (and
those a customer must read as chat text too, for widgets that ignore the event); the
rate limits (per session, per verified customer, per client address, and a budget of new
sessions per address) are in gateway/rate_limits.py, the client address (the peer, or
`X-Forwarded-For` from a trusted proxy) in gateway/client_address.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
import redis.asyncio as redis
import socketio

from gateway import notices, packets, protocol, survey_in_chat
from gateway.client_address import connection_address
from gateway.handoff_events import HandoffEvents
from gateway.outbox import OutboxReader
from gateway.prometheus import TO_TEAM, GatewayMetrics
from gateway.rasa_availability import RasaAvailability, rasa_probe
from gateway.rate_limits import RateLimits
from gateway.service_client import ServiceClient
from gateway.sessions import GatewayStore
from gateway.settings import GatewaySettings
from gateway.surveys import HELPFUL_PAYLOAD, SurveyEvents
from gateway.turns import ConversationTurns
from handoff.store.conversations import (
    ConversationPort,
    Entry,
    MessageNotDelivered,
)
from handoff.vocabulary import RESOLVED, WITH_PEOPLE
from infra.clock import Clock, utc_now
from infra.json_text import without_lone_surrogates
from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)
MOVED = (
    "This chat was reopened from our email on another device or window, and continues there. "
    "Reload this page to start a new chat here."
)
SESSION_ENDED = "this chat session has ended - reload the page to start a new chat"
NOT_DELIVERED = (
    "Sorry, your last message didn't reach our team because of a problem on our side. "
    "Please send it again in a moment."
)


class Gateway:
    """The socket.io handlers of one gateway process and its delivery of the team's messages."""

    def __init__(
        self,
        settings: GatewaySettings,
        sio: socketio.AsyncServer,
        client: redis.Redis,
        conversations: ConversationPort,
        http: aiohttp.ClientSession,
        clock: Clock = utc_now,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.sio = sio
        self.redis = client  # the gateway's own keys (gateway/sessions.py)
        self.conversations = conversations  # everything of the handoff's
        self.http = http
        self.clock = clock
        self.metrics = metrics or GatewayMetrics()
        self.store = GatewayStore(client, settings.session_ttl_seconds)
        self.limits = RateLimits(settings, self.store, self._error, self._notice)
        self.outbox = OutboxReader(conversations, self.store.outbox_cursor, self._deliver)
        self.members: dict[str, set[str]] = {}  # conversation id -> socket ids here
        # handlers run concurrently, on several replicas: a conversation's messages take turns
        self.turns = ConversationTurns(client, settings.rasa_timeout_seconds + 10)
        self.rasa = RasaAvailability(rasa_probe(http, settings.rasa_url))
        self.metrics.count_sockets_with(lambda: sum(map(len, self.members.values())))
        self.service = ServiceClient(http, settings.service_url, settings.service_token)
        self.handoff = HandoffEvents(sio, conversations, self.service, self.store, self._error)
        self.surveys = SurveyEvents(sio, self.service, self._error)
        self.refresher: asyncio.Task[None] | None = None
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        events = {
            "session_request": self.session_request,
            "user_uttered": self.user_uttered,
            "cancel_handoff": self.cancel_handoff,
            "survey": self.survey,
        }
        packets.register(sio, events, self._error)  # malformed packets: gateway_error

    def start(self) -> None:
        """Start reading the outboxes and refreshing the status of waiting sessions (stopped
        by `close`)."""
        self.outbox.start()
        self.refresher = asyncio.create_task(
            self.handoff.refresh_waiting(self.settings.status_interval_seconds, self.members.keys)
        )

    async def connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> bool:
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.rstrip("/") not in self.settings.allowed_origins:
            log.info("refused a connection from origin %s", origin)
            return False
        address = connection_address(environ, self.settings.trusted_proxies)
        session = {"address": address, "session_id": None, "conversation_id": None}
        await self.sio.save_session(sid, session)
        return True

    async def disconnect(self, sid: str, *args: object) -> None:
        self.limits.forget(sid)
        session = await self.sio.get_session(sid)
        conversation_id = session.get("conversation_id")
        if conversation_id:
            self._leave(conversation_id, sid)

    async def session_request(self, sid: str, data: object = None) -> None:
        session = await self.sio.get_session(sid)
        requested = data.get("session_id") if isinstance(data, dict) else None
        try:
            issued = await self.store.resume(requested)
            if issued is None:  # only a new session spends from the address's session budget
                if not await self.limits.allow_new_session(sid, session["address"]):
                    return
                issued = await self.store.issue()
        except RedisUnavailable as error:
            log.error("no session could be issued: %s", error)
            await self._error(sid, "unavailable", "the chat is not available; try again")
            return
        previous = session.get("conversation_id")
        conversation_id = issued.conversation_id
        if previous and previous != conversation_id:
            self._leave(previous, sid)
            await self.sio.leave_room(sid, previous)
        session["session_id"] = issued.session_id
        session["conversation_id"] = conversation_id
        await self.sio.save_session(sid, session)
        await self.sio.enter_room(sid, conversation_id)
        await self.sio.emit("session_confirm", issued.session_id, to=sid)
        self.members.setdefault(conversation_id, set()).add(sid)
        self.outbox.watch(conversation_id)
        # the conversation id only: the session id and socket ids are the customer's secrets
        log.info("%s conversation %s", "resumed" if issued.resumed else "new", conversation_id)
        if issued.resumed:
            await self.handoff.send_status(conversation_id, to=sid)

    async def user_uttered(self, sid: str, data: object = None) -> dict[str, bool]:
        """The socket.io ack (for a client that asks for one): `{"kept": true}` once the
        message is safely kept - in Rasa's saved tracker or the open ticket's transcript."""
        session = await self.sio.get_session(sid)
        conversation_id = session.get("conversation_id")
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            await self._error(sid, "invalid_message", "user_uttered needs a message text")
            return {"kept": False}
        if not conversation_id or data.get("session_id") not in (None, session["session_id"]):
            await self._error(
                sid,
                "invalid_session",
                "send session_request first and use the session it confirmed",
            )
            return {"kept": False}
        kept = False
        try:
            async with self.turns.one_at_a_time(conversation_id):
                kept = await self._handle(sid, session, conversation_id, data)
        except RedisUnavailable as error:  # also another replica's turn that never ended
            log.error("a message could not be handled: %s", error)
            await self._trouble(sid)
        except Exception:  # a defect of ours: logged, and the customer is not left in silence
            log.exception("a message in conversation %s could not be handled", conversation_id)
            await self._trouble(sid)
        return {"kept": kept}

    async def cancel_handoff(self, sid: str, data: object = None) -> None:
        conversation_id = await self._confirmed_conversation(sid)
        if conversation_id and await self.limits.allow_session_action(sid, conversation_id):
            try:
                async with self.turns.one_at_a_time(conversation_id):
                    await self.handoff.cancel(sid, conversation_id)
            except RedisUnavailable as error:
                log.error("cancel_handoff: %s", error)
                await self._error(sid, "unavailable", "the request was not cancelled; try again")

    async def survey(self, sid: str, data: object = None) -> None:
        conversation_id = await self._confirmed_conversation(sid)
        if conversation_id and await self.limits.allow_session_action(sid, conversation_id):
            await self.surveys.save(sid, conversation_id, data)

    async def _confirmed_conversation(self, sid: str) -> str | None:
        conversation_id = (await self.sio.get_session(sid)).get("conversation_id")
        if not conversation_id:
            await self._error(sid, "invalid_session", "send session_request first")
        return conversation_id

    async def _handle(
        self, sid: str, session: dict[str, Any], conversation_id: str, data: dict[str, Any]
    ) -> bool:
        # a widget can send half an emoji (a lone UTF-16 surrogate), which no store can encode
        text = without_lone_surrogates(data["message"])
        if len(text) > self.settings.max_message_chars:
            await self._error(
                sid,
                "message_too_long",
                f"messages can be at most {self.settings.max_message_chars} characters",
            )
            return False
        if not text.strip():
            return False
        metadata = protocol.verified_metadata(
            protocol.widget_metadata(data), self.settings.customer_signing_secret
        )
        customer_id = metadata.get("customer", {}).get("id")
        if not await self.limits.allow_message(
            sid, conversation_id, session["address"], customer_id
        ):
            return False
        if not await self.store.touch(conversation_id, session_id=session["session_id"]):
            await self._session_ended(sid, session, conversation_id)
            return False
        survey = survey_in_chat.answer_in(text)  # a stock widget's score button
        if survey is not None:
            return await self.surveys.save(sid, conversation_id, survey, in_chat=True)
        if text.strip() == notices.CANCEL_PAYLOAD:  # a stock widget's "Cancel my request"
            await self.handoff.cancel(sid, conversation_id, in_chat=True)
            return True
        state = await self.conversations.state(conversation_id)
        if state.get("state") in WITH_PEOPLE:
            try:
                with self.metrics.relay_seconds.labels(TO_TEAM).time():
                    appended = await self.conversations.append_customer_message(
                        conversation_id, text, now=self.clock()
                    )
            except MessageNotDelivered as error:
                log.error("a message for the team was not delivered: %s", error)
                await self._notice(sid, "not_delivered", NOT_DELIVERED)
                return False
            if appended:
                if appended.reply:  # the answer about a follow-up email, acknowledged
                    await self._notice(sid, "follow_up_email", appended.reply)
                return True
            # the team finished with the conversation meanwhile: the assistant answers it
        return await self._to_rasa(sid, conversation_id, text, metadata)

    async def _to_rasa(
        self, sid: str, conversation_id: str, text: str, metadata: dict[str, Any]
    ) -> bool:
        """True: Rasa answered, so the message is in the tracker it saved (rasa_extensions/
        admitted_rest.py). `metadata`: the verified claims only (protocol.verified_metadata)."""
        offered = await self.store.offered(conversation_id)
        body = {
            "sender": conversation_id,
            "message": protocol.text_for_rasa(text, offered, self.settings.init_payload),
            "metadata": metadata,
        }
        url = f"{self.settings.rasa_url}/webhooks/rest/webhook"
        if not await self.rasa.ready():  # down: said at once, not after a request that hangs
            await self._trouble(sid)
            return False
        try:
            with self.metrics.reply_seconds.time():
                async with self.http.post(url, json=body) as response:
                    response.raise_for_status()
                    replies = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.error("Rasa did not answer conversation %s: %s", conversation_id, error)
            self.rasa.failed(error)  # counted only when refused, dropped or timed out
            await self._trouble(sid)
            return False
        self.rasa.answered()
        if not isinstance(replies, list) or not protocol.bot_messages(replies):
            # Rasa answers 200 [] when an action or its tracker store failed
            log.error("Rasa gave no answer in conversation %s", conversation_id)
            await self._trouble(sid)
            return False
        await self.store.set_offered(conversation_id, protocol.offered_payloads(replies))
        for message in protocol.bot_messages(replies):
            await self.sio.emit("bot_uttered", message, room=conversation_id)
        if (await self.conversations.state(conversation_id)).get("state") in WITH_PEOPLE:
            await self.handoff.send_status(conversation_id, told_in_answer=True)
        elif body["message"] == HELPFUL_PAYLOAD:  # the customer pressed "Yes, that helped"
            await self.surveys.offer(conversation_id)
        return True

    async def _deliver(self, conversation_id: str, entries: list[Entry]) -> None:
        """The team's new messages to the conversation's sockets here (each replica delivers
        to its own: `here`), its cursor kept in Redis (gateway/outbox.py)."""
        for entry_id, fields in entries:
            message = protocol.outbox_message(fields)
            if message is not None:
                await self.sio.emit("bot_uttered", message, room=conversation_id, ignore_queue=True)
                self.metrics.delivered(entry_id)
            if message is not None and message["metadata"]["sender"] == "bot":
                # the assistant's buttons after a hand-back are its offer, too
                offered = protocol.quick_reply_payloads(message)
                await self.store.set_offered(conversation_id, offered)
            await self.store.set_outbox_cursor(conversation_id, entry_id)
        await self.handoff.send_status(conversation_id, here=True)
        if any(fields.get("type") == RESOLVED for _, fields in entries):
            await self.surveys.offer(conversation_id, here=True)  # an agent resolved the chat

    async def moved(self, conversation_id: str) -> None:
        """A resume link reopened the conversation with a new session (gateway/resume.py): its
        sockets, here and on every replica, are told so and leave its room, so the old device
        gets nothing more of it (what it sends is refused as `session_ended`)."""
        moved = notices.system_notice("session_moved", MOVED)
        await self.sio.emit("bot_uttered", moved, room=conversation_id)
        await self.sio.close_room(conversation_id)

    async def _session_ended(self, sid: str, session: dict[str, Any], conversation_id: str) -> None:
        """The socket's session record is gone (reopened elsewhere, erased or expired): the
        socket no longer speaks for the conversation; the customer reads how to start anew."""
        self._leave(conversation_id, sid)
        await self.sio.leave_room(sid, conversation_id)
        session["session_id"] = session["conversation_id"] = None
        await self.sio.save_session(sid, session)
        await self._error(sid, "session_ended", SESSION_ENDED)

    def _leave(self, conversation_id: str, sid: str) -> None:
        members = self.members.get(conversation_id)
        if members is not None:
            members.discard(sid)
            if not members:
                del self.members[conversation_id]
                self.turns.forget(conversation_id)
                self.outbox.forget(conversation_id)

    async def _error(
        self, sid: str, code: str, message: str, *, in_chat: bool = False, **extra: Any
    ) -> None:
        """A `gateway_error`; as chat text too when every widget must show it, or when it
        answers a chat message (`in_chat`: a stock widget's button shows nothing else)."""
        error = {"code": code, "message": message, **extra}
        await self.sio.emit(notices.GATEWAY_ERROR, error, to=sid)
        if in_chat or code in notices.ERRORS_IN_CHAT:
            text = notices.error_text(message)
            await self._notice(sid, code, text, also_sent_as=notices.GATEWAY_ERROR)

    async def _notice(
        self, sid: str, event: str, text: str, also_sent_as: str | None = None
    ) -> None:
        """A message in the chat itself (`bot_uttered` from "system"), so every widget, ours
        or a stock Rasa one, shows it."""
        notice = notices.system_notice(event, text, also_sent_as)
        await self.sio.emit("bot_uttered", notice, to=sid)

    async def _trouble(self, sid: str) -> None:
        """The customer's message got no answer (Rasa, an action or Redis failed): say so and
        how else to reach the team, rather than leave them in silence."""
        await self._notice(sid, "trouble", self.settings.trouble_message)

    async def close(self) -> None:
        self.members.clear()
        if self.refresher is not None:
            self.refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.refresher
        await self.outbox.close()
