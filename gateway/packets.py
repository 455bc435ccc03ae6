"""What a socket.io client's packet must be before a handler of the gateway sees it.

python-socketio decodes a packet and calls the handler its first element names with the rest as
arguments. Left alone, a packet that is not socket.io JSON, an event that is not a list starting
with its name, binary attachments that do not fit their placeholders or a second payload raise
inside python-socketio (a traceback in the log, nothing for the client), and an event named
`connect` or `disconnect` runs the server's own connection handlers with what the client wrote
(a forged environ: another client address for the rate limits; a fake disconnect: the socket
stops getting the team's messages). Here each becomes the event `REFUSED_EVENT` with a reason,
answered with `gateway_error` `invalid_message`; an event the gateway does not know is answered
`unknown_event`, and a payload of the wrong shape `invalid_message`. The connection stays
usable, and no other client notices. Packets over the transport's limit (64 KiB) never get here:
engine.io closes that one connection (WebSocket close 1009) before reading them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import socketio
from socketio import packet

from gateway import packet_json
from infra.json_text import MAX_DEPTH

log = logging.getLogger(__name__)
REFUSED_EVENT = packet_json.REFUSED_EVENT
MAX_ATTACHMENTS = 8  # a widget sends none; a few files at most
CLIENT_PACKET_TYPES = {
    packet.CONNECT,
    packet.DISCONNECT,
    packet.EVENT,
    packet.ACK,
    packet.BINARY_EVENT,
    packet.BINARY_ACK,
}
# Events python-socketio raises on the server itself: a client may not send them.
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "*"})
REASONS = {
    packet_json.TOO_DEEP: f"packets may nest at most {MAX_DEPTH} levels",
    "not_socketio": 'not a socket.io packet: send an event as ["name", payload]',
    "no_event_name": 'an event is a list that starts with its name: ["user_uttered", {...}]',
    "reserved_event": "connect, disconnect and * are the server's own events, not a client's",
    "namespace": "the gateway serves the default namespace (/) only",
    "bad_attachments": f"binary attachments must match their placeholders (at most "
    f"{MAX_ATTACHMENTS})",
}

Send = Callable[[str, str, str], Awaitable[None]]  # (sid, code, message): a gateway_error
Handler = Callable[[str, Any], Awaitable[object]]  # (sid, payload) -> the ack's value


class GatewayPacket(packet.Packet):
    """socket.io's packet, refusing (as `REFUSED_EVENT`) what no handler should see."""

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = int(super().decode(encoded_packet) or 0)
        except (ValueError, TypeError):  # not JSON, no packet type, a binary frame out of turn
            return self._refuse("not_socketio")
        if self.packet_type not in CLIENT_PACKET_TYPES:
            return self._refuse("not_socketio")
        if attachments > MAX_ATTACHMENTS:
            return self._refuse("bad_attachments")
        if self.packet_type in (packet.EVENT, packet.BINARY_EVENT):
            if self.namespace not in (None, "/"):
                return self._refuse("namespace")
            problem = event_problem(self.data)
            if problem is not None:
                return self._refuse(problem)
        return attachments

    def add_attachment(self, attachment: Any) -> bool:
        try:
            return bool(super().add_attachment(attachment))
        except (ValueError, TypeError, IndexError, KeyError):  # a placeholder with no attachment
            self.packet_type = packet.BINARY_EVENT  # (an ACK's too): answered as refused
            self.data = [REFUSED_EVENT, "bad_attachments"]
            return True

    def _refuse(self, reason: str) -> int:
        self.packet_type = packet.EVENT
        self.namespace = None  # answered where the client is connected (the default namespace)
        self.id = None
        self.data = [REFUSED_EVENT, reason]
        return 0


def event_problem(data: object) -> str | None:
    """Why a decoded EVENT cannot go to a handler (None: it can)."""
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        return "no_event_name"
    if data[0] in RESERVED_EVENTS:
        return "reserved_event"
    return None


def payload_problem(event: str, payload: object) -> str | None:
    """What is wrong with the shape of an event's payload (None: nothing). `user_uttered` and
    `survey` check their own (gateway/server.py, gateway/protocol.py `parse_survey`)."""
    if event == "session_request":
        if payload is None:
            return None
        if not isinstance(payload, Mapping):
            return 'session_request takes {"session_id": <the id the gateway issued, or null>}'
        if not isinstance(payload.get("session_id"), str | None):
            return "session_id must be the session id the gateway issued (text) or null"
    if event == "cancel_handoff" and not isinstance(payload, Mapping | None):
        return "cancel_handoff takes {}"
    return None


def register(sio: socketio.AsyncServer, handlers: Mapping[str, Handler], send: Send) -> None:
    """`handlers` on `sio`, each given one payload of a sound shape; refused packets and
    unknown events answered with a `gateway_error` through `send`."""
    for event, handler in handlers.items():
        sio.on(event, _one_payload(event, handler, send))

    async def refused(sid: str, reason: object = None, *_: object) -> None:
        known = reason if isinstance(reason, str) and reason in REASONS else "not_socketio"
        log.info("refused a socket.io packet: %s", known)
        await send(sid, "invalid_message", REASONS[known])

    async def unknown(event: str, sid: str, *_: object) -> None:
        known = ", ".join(sorted(handlers))
        await send(sid, "unknown_event", f"unknown event {event[:40]!r}; the events are {known}")

    sio.on(REFUSED_EVENT, refused)
    sio.on("*", unknown)


def _one_payload(event: str, handler: Handler, send: Send) -> Callable[..., Awaitable[object]]:
    """The handler's return value is the socket.io ack a client asked for (user_uttered's
    `{"kept": ...}`); a refused payload is acknowledged with nothing."""

    async def handle(sid: str, *payloads: object) -> object:
        if len(payloads) > 1:
            await send(sid, "invalid_message", f"{event} takes one payload, not {len(payloads)}")
            return None
        payload = payloads[0] if payloads else None
        problem = payload_problem(event, payload)
        if problem is not None:
            await send(sid, "invalid_message", problem)
            return None
        return await handler(sid, payload)

    return handle
