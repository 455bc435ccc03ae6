"""Local stand-ins for the help desks: one aiohttp server on an ephemeral loopback port that
answers as Zendesk's Tickets API, Chatwoot's conversations API and a signed-webhook receiver
would, checking each request's documented shape and auth header. A request that does not fit is
answered 400 and kept in `problems`, so a test sees every mistake.

Like the real desks (Zendesk honours `Idempotency-Key`), the stand-in honours the key: a repeat
gets the first answer again and is counted in `repeats`, not in `received`. `fail_next` makes the
next n requests answer 503, `down` makes every request answer 503 until it is cleared (a receiver
that fails and recovers), `delay` slows every answer, and `hold_after` n keeps the answer to every
request after the n-th it took (taken, so a repeat is a repeat) until `release()`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from helpdesk.signing import SIGNATURE_HEADER, SignatureError, verify

ZENDESK_EMAIL = "sync@acme.example"
ZENDESK_TOKEN = "zd-token-" + "z" * 24
CHATWOOT_TOKEN = "cw-token-" + "c" * 24
WEBHOOK_SECRET = "webhook-secret-" + "w" * 24
ACCOUNT_ID = 3
INBOX_ID = 7
ZENDESK_PRIORITIES = ("urgent", "high", "normal", "low")
ZENDESK_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
CHATWOOT_STATUSES = ("open", "resolved", "pending", "snoozed")


@dataclass
class Received:
    desk: str
    path: str
    body: dict[str, Any]
    key: str
    at: float


@dataclass
class Receiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    repeats: int = 0
    attempts: list[float] = field(default_factory=list)
    fail_next: int = 0
    down: bool = False
    delay: float = 0.0
    hold_after: int | None = None
    released: asyncio.Event = field(default_factory=asyncio.Event)
    _answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 1000

    def of(self, desk: str) -> list[Received]:
        return [item for item in self.received if item.desk == desk]

    def keys(self, desk: str) -> list[str]:
        return [item.key for item in self.of(desk)]

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts.append(time.monotonic())
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.down or self.fail_next > 0:
            self.fail_next = max(self.fail_next - 1, 0)
            return web.json_response({"error": "unavailable"}, status=503)
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            return self._problem("no Idempotency-Key header")
        if key in self._answers:
            self.repeats += 1
            status, answer = self._answers[key]
            return web.json_response(answer, status=status)
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            return self._problem(f"{request.path}: body is not JSON")
        if request.content_type != "application/json":
            return self._problem(f"{request.path}: Content-Type {request.content_type}")
        checked = self._check(request, raw, body)
        if isinstance(checked, str):
            return self._problem(checked)
        desk, status, answer = checked
        self._answers[key] = (status, answer)
        self.received.append(Received(desk, request.path, body, key, time.monotonic()))
        if self.hold_after is not None and len(self.received) > self.hold_after:
            await self.released.wait()
        return web.json_response(answer, status=status)

    def _problem(self, text: str) -> web.Response:
        self.problems.append(text)
        return web.json_response({"error": text}, status=400)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _check(
        self, request: web.Request, raw: bytes, body: Any
    ) -> str | tuple[str, int, dict[str, Any]]:
        path = request.path
        if path.startswith("/zendesk/"):
            return _zendesk(request, body, self._new_id)
        if path.startswith("/chatwoot/"):
            return _chatwoot(request, body, self._new_id)
        if path == "/hook":
            try:
                verify(
                    WEBHOOK_SECRET.encode(),
                    raw,
                    request.headers.get(SIGNATURE_HEADER, ""),
                    time.time(),
                )
            except SignatureError as error:
                return f"webhook: {error}"
            if request.headers.get("X-Support-Event-Id") != body.get("event_id"):
                return "webhook: X-Support-Event-Id is not the body's event_id"
            return ("webhook", 200, {"ok": True})
        return f"unknown path {path}"


def _zendesk(request: web.Request, body: Any, new_id: Any) -> str | tuple[str, int, dict]:
    expected = base64.b64encode(f"{ZENDESK_EMAIL}/token:{ZENDESK_TOKEN}".encode()).decode()
    if request.headers.get("Authorization") != f"Basic {expected}":
        return "zendesk: Authorization is not Basic {email}/token:{api_token}"
    ticket = body.get("ticket") if isinstance(body, dict) else None
    if not isinstance(ticket, dict):
        return "zendesk: body is not {ticket: {...}}"
    comment = ticket.get("comment")
    if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
        return "zendesk: ticket.comment.body missing"
    if comment.get("public") is not False:
        return "zendesk: the comment must be private (public: false)"
    if ticket.get("status") not in (None, *ZENDESK_STATUSES):
        return f"zendesk: status {ticket.get('status')!r}"
    if ticket.get("priority") not in (None, *ZENDESK_PRIORITIES):
        return f"zendesk: priority {ticket.get('priority')!r}"
    if request.method == "POST" and request.path == "/zendesk/api/v2/tickets.json":
        if not isinstance(ticket.get("subject"), str) or not ticket.get("external_id"):
            return "zendesk: create needs subject and external_id"
        fields = ticket.get("custom_fields", [])
        if not all(
            isinstance(f, dict) and isinstance(f.get("id"), int) and "value" in f for f in fields
        ):
            return "zendesk: custom_fields must be [{id, value}]"
        return ("zendesk", 201, {"ticket": {"id": new_id(), "external_id": ticket["external_id"]}})
    parts = request.path.split("/")
    if request.method == "PUT" and parts[-1].endswith(".json") and parts[-2] == "tickets":
        return ("zendesk", 200, {"ticket": {"id": int(parts[-1].removesuffix(".json"))}})
    return f"zendesk: no such endpoint {request.method} {request.path}"


def _chatwoot(request: web.Request, body: Any, new_id: Any) -> str | tuple[str, int, dict]:
    if request.headers.get("api_access_token") != CHATWOOT_TOKEN:
        return "chatwoot: api_access_token header missing or wrong"
    base = f"/chatwoot/api/v1/accounts/{ACCOUNT_ID}/conversations"
    path = request.path
    if not isinstance(body, dict) or request.method != "POST" or not path.startswith(base):
        return f"chatwoot: no such endpoint {request.method} {path}"
    if path == base:
        if not isinstance(body.get("source_id"), str) or body.get("inbox_id") != INBOX_ID:
            return "chatwoot: a conversation needs source_id and the inbox_id"
        return ("chatwoot", 200, {"id": new_id(), "inbox_id": INBOX_ID})
    if path.endswith("/messages"):
        if not isinstance(body.get("content"), str) or not body["content"]:
            return "chatwoot: a message needs content"
        if body.get("message_type") not in ("incoming", "outgoing"):
            return f"chatwoot: message_type {body.get('message_type')!r}"
        if not isinstance(body.get("private"), bool):
            return "chatwoot: private must be true or false"
        return ("chatwoot", 200, {"id": new_id()})
    if path.endswith("/toggle_status"):
        if body.get("status") not in CHATWOOT_STATUSES:
            return f"chatwoot: status {body.get('status')!r}"
        return ("chatwoot", 200, {"payload": {"success": True}})
    return f"chatwoot: no such endpoint {path}"


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    """The stand-in on 127.0.0.1 at an ephemeral port; `receiver.url` is its base URL."""
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()


def targets_section(url: str, teams: list[str]) -> dict[str, Any]:
    """routing.yml's `helpdesk` section with one target of each kind at the stand-in."""
    return {
        "targets": {
            "zendesk-main": {
                "kind": "zendesk",
                "teams": teams,
                "url": f"{url}/zendesk",
                "email_env": "HELPDESK_ZENDESK_EMAIL",
                "token_env": "HELPDESK_ZENDESK_TOKEN",
                "custom_fields": {"escalation_reason": 360001, "escalation_type": 360002},
            },
            "chatwoot-main": {
                "kind": "chatwoot",
                "teams": teams,
                "url": f"{url}/chatwoot",
                "token_env": "HELPDESK_CHATWOOT_TOKEN",
                "account_id": ACCOUNT_ID,
                "inbox_id": INBOX_ID,
            },
            "events-webhook": {
                "kind": "webhook",
                "teams": teams,
                "url": f"{url}/hook",
                "secret_env": "HELPDESK_WEBHOOK_SECRET",
            },
        }
    }


SECRETS = {
    "HELPDESK_ZENDESK_EMAIL": ZENDESK_EMAIL,
    "HELPDESK_ZENDESK_TOKEN": ZENDESK_TOKEN,
    "HELPDESK_CHATWOOT_TOKEN": CHATWOOT_TOKEN,
    "HELPDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
