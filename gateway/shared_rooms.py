"""How a gateway replica reaches the sockets other replicas hold (GATEWAY_SHARED_ROOMS).

Each conversation is a socket.io room. With replicas, a customer's sockets may sit on more
than one (two tabs behind different addresses, a reconnect after a replica died), so what one
replica sends to a room - the assistant's replies, notices, the handoff status - goes through
Redis (python-socketio's AsyncRedisManager, channel `gateway:socketio`) to the others. What
every replica sends for its own sockets anyway (the team's messages from the conversation's
outbox, the waiting status it refreshes) is sent with `ignore_queue`, so nobody gets it twice.
"""

from __future__ import annotations

import socketio

from gateway import packet_json
from gateway.settings import GatewaySettings

CHANNEL = "gateway:socketio"


def shared_rooms(settings: GatewaySettings) -> socketio.AsyncManager | None:
    """With replicas (GATEWAY_SHARED_ROOMS), what is sent to a conversation's room goes
    through Redis to its sockets on every replica; None: this process's sockets only."""
    if not settings.shared_rooms:
        return None
    return socketio.AsyncRedisManager(settings.redis_url, channel=CHANNEL, json=packet_json)


def listen_now(sio: socketio.AsyncServer) -> None:
    """Subscribe to the other replicas' messages at start-up. python-socketio would do it only
    when the first socket connects, and whatever another replica sent to this one's rooms
    before the subscription was in place would be lost."""
    if isinstance(sio.manager, socketio.AsyncRedisManager) and not sio.manager_initialized:
        sio.manager_initialized = True
        sio.manager.initialize()
