"""The load balancer of a replicated stack (REPLICAS > 1): HAProxy's configuration, as text.

Every process reaches every other kind through HAProxy on that kind's usual port (the service
on SERVICE_PORT, Rasa on RASA_PORT...), so nothing but the launcher knows there are replicas.
How each kind is balanced, and why:

- **Rasa**: pinned per conversation. Rasa's Redis lock store orders one conversation's turns
  only within one Rasa server, so every request about a conversation goes to the same replica:
  HAProxy hashes the conversation id, taken from the REST webhook's JSON body (`sender`) or
  from the path (`/conversations/<id>/...`, the service's hand-back). Consistent hashing: when
  a replica dies only its conversations move, and their trackers are in Redis.
- **Gateway**: by client address (consistent hash). Engine.io's long-polling needs every
  request of a socket on the server that opened it; events for a conversation whose sockets
  are on several replicas cross through Redis (gateway/server.py, GATEWAY_SHARED_ROOMS).
  `option forwardfor` passes the customer's address on (the replicas trust 127.0.0.1).
- **Service, action server**: round robin; they keep nothing between requests that Redis
  does not hold.

A replica is taken out after two failed health checks a second apart. A request that could not
reach one (connection refused), or that it dropped without an answer (killed mid-request), is
sent to another (`retry-on`, `option redispatch`; bodies are buffered so they can be resent).
Resending a dropped request is safe here: Rasa saves a turn only once it has answered it, and
the actions that change anything are idempotent per conversation and turn. A request that timed
out is never resent. Request lines are never logged: URLs carry conversation ids and engine.io's
session ids.
"""

from __future__ import annotations

from stack.config import StackConfig

MONITOR_PATH = "/lb-health"
"""Answered by HAProxy itself on every frontend; on the service's, 200 only once HAProxy's own
health checks passed for every replica of every kind (the launcher's readiness check: a
replica the launcher saw ready is in HAProxy's rotation two checks later)."""

BALANCING = {
    "gateway": ["balance source", "hash-type consistent"],
    "service": ["balance roundrobin"],
    "actions": ["balance roundrobin"],
    "rasa": [
        "balance hdr(X-Conversation-Id)",
        "hash-type consistent",
        "http-request set-header X-Conversation-Id %[req.body,json_query('$.sender')]"
        " if { path /webhooks/rest/webhook }",
        "http-request set-header X-Conversation-Id %[path,field(3,/)]"
        " if { path_beg /conversations/ }",
    ],
}
HEALTH_PATHS = {
    "gateway": "/health/live",
    "service": "/health/live",
    "actions": "/health",
    "rasa": "/",
}
"""Liveness, not readiness: a service that cannot reach Redis still answers from the knowledge
base, and taking every replica out for a shared dependency's fault would only add a 503."""

GLOBAL = """\
global
    log stdout format raw local0 notice
    maxconn 4000

defaults
    mode http
    log global
    option dontlog-normal
    option redispatch
    option http-buffer-request
    retries 2
    retry-on conn-failure empty-response
    timeout connect 2s
    timeout client 70s
    timeout server 70s
    timeout http-request 10s
    timeout tunnel 1h
    timeout client-fin 5s
    monitor-uri {monitor}
    default-server inter 1s fall 2 rise 2
"""


def haproxy_config(config: StackConfig) -> str:
    """HAProxy's configuration for the stack's replicas."""
    sections = [GLOBAL.format(monitor=MONITOR_PATH)]
    for kind in BALANCING:
        sections.append(_frontend(config, kind))
        sections.append(_backend(config, kind))
    return "\n".join(sections)


def _frontend(config: StackConfig, kind: str) -> str:
    host = config.gateway.get("GATEWAY_HOST", "127.0.0.1") if kind == "gateway" else "127.0.0.1"
    lines = [f"frontend {kind}", f"    bind {host}:{config.port_of(kind)}"]
    if kind == "gateway":
        lines.append("    option forwardfor")
    if kind == "service":  # the launcher's readiness check: HAProxy itself sees every replica
        every = " || ".join(
            f"{{ nbsrv({other}_replicas) lt {len(config.ports_of(other))} }}" for other in BALANCING
        )
        lines.append(f"    monitor fail if {every}")
    lines.append(f"    default_backend {kind}_replicas")
    return "\n".join(lines) + "\n"


def _backend(config: StackConfig, kind: str) -> str:
    lines = [f"backend {kind}_replicas", *(f"    {line}" for line in BALANCING[kind])]
    lines.append(f"    option httpchk GET {HEALTH_PATHS[kind]}")
    lines.extend(
        f"    server {kind}-{number} 127.0.0.1:{port} check"
        for number, port in enumerate(config.ports_of(kind), start=1)
    )
    return "\n".join(lines) + "\n"
