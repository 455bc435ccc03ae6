"""Action tests run in the bot env (Python 3.10, rasa-sdk) against a small stand-in service:
a real aiohttp server on loopback that answers like the service's /kb API. The real service is
exercised end to end in tests/e2e."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from rasa_sdk import Tracker

import actions.service_client as service_client_module
from actions.service_client import ServiceClient, ServiceClientSettings

TOKEN = "action-test-token-0123456789"


class StandInService:
    def __init__(self) -> None:
        self.search_answer: dict[str, Any] = {}
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.ticket_answer: dict[str, Any] = {}
        self.cancel_status = 200
        self.conversation_answer: dict[str, Any] = {"conversation_state": "bot"}
        self.takeover_answer: dict[str, Any] | None = None  # None: 404, no handoff
        # /commerce/orders/<verb> -> (status, answer), as service/order_views.py answers
        self.commerce_answers: dict[str, tuple[int, dict[str, Any]]] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/kb/search", self._handle)
        app.router.add_post("/kb/feedback", self._handle)
        app.router.add_post("/handoff/tickets", self._ticket)
        app.router.add_post("/handoff/tickets/{ticket_id}/cancel", self._cancel)
        app.router.add_get("/handoff/conversations/{conversation_id}", self._conversation)
        app.router.add_get("/handoff/conversations/{conversation_id}/takeover", self._takeover)
        app.router.add_post("/commerce/orders/{verb}", self._commerce)
        app.router.add_post("/commerce/customers/{verb}", self._commerce)
        return app

    async def _commerce(self, request: web.Request) -> web.Response:
        verb = request.match_info["verb"]
        self.requests.append({"path": request.path, **(await request.json())})
        status, answer = self.commerce_answers.get(verb, (404, {"error": "not set"}))
        return web.json_response(answer, status=status)

    async def _takeover(self, request: web.Request) -> web.Response:
        self.requests.append({"path": request.path})
        if self.takeover_answer is None:
            return web.json_response({"error": "no handoff"}, status=404)
        return web.json_response(self.takeover_answer)

    async def _ticket(self, request: web.Request) -> web.Response:
        self.requests.append({"path": request.path, **(await request.json())})
        return web.json_response(
            self.ticket_answer, status=self.status if self.status != 200 else 201
        )

    async def _cancel(self, request: web.Request) -> web.Response:
        self.requests.append({"path": request.path})
        return web.json_response({"status": "cancelled"}, status=self.cancel_status)

    async def _conversation(self, request: web.Request) -> web.Response:
        self.requests.append({"path": request.path})
        return web.json_response(self.conversation_answer)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "missing or wrong service token"}, status=401)
        body = await request.json()
        self.requests.append({"path": request.path, **body})
        if self.status != 200:
            return web.json_response({"error": "boom"}, status=self.status)
        if request.path == "/kb/feedback":
            return web.json_response({"recorded": True})
        return web.json_response(self.search_answer)


@pytest.fixture
async def service(aiohttp_server, monkeypatch):  # type: ignore[no-untyped-def]
    stand_in = StandInService()
    server = await aiohttp_server(stand_in.app())
    settings = ServiceClientSettings(
        base_url=str(server.make_url("")).rstrip("/"), token=TOKEN, timeout_seconds=2
    )
    monkeypatch.setattr(service_client_module, "_client", ServiceClient(settings))
    return stand_in


@pytest.fixture
def service_down(monkeypatch):  # type: ignore[no-untyped-def]
    settings = ServiceClientSettings(base_url="http://127.0.0.1:9", token=TOKEN, timeout_seconds=1)
    monkeypatch.setattr(service_client_module, "_client", ServiceClient(settings))


def tracker(
    text: str,
    intent: str,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    return Tracker(
        sender_id="conversation-1",
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
        },
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


ANSWERED = {
    "query": "how long do i have to return",
    "answered": True,
    "threshold": 0.5,
    "answer": {
        "article_id": "return-policy",
        "title": "Our return policy",
        "url": "https://help.hearthly.example/articles/return-policy",
        "category": "returns-refunds",
        "team": "returns",
        "score": 0.71,
        "article_version": "3f9a0c41b2d7",
        "article_updated": "2026-10-14",
        "section": "How long do I have?",
        "answer": "You have 30 days from delivery to return an item.",
    },
    "candidates": [
        {
            "article_id": "return-policy",
            "title": "Our return policy",
            "score": 0.71,
            "url": "https://help.hearthly.example/articles/return-policy",
        },
        {
            "article_id": "start-a-return",
            "title": "How to return an item",
            "score": 0.62,
            "url": "https://help.hearthly.example/articles/start-a-return",
        },
    ],
}

MISSED = {
    "query": "loyalty points?",
    "answered": False,
    "threshold": 0.5,
    "answer": None,
    "candidates": [
        {
            "article_id": "promo-codes-and-gift-cards",
            "title": "Promo codes and gift cards",
            "score": 0.41,
        },
        {"article_id": "plus-benefits", "title": "What's included in Hearthly Plus", "score": 0.33},
        {"article_id": "payment-methods", "title": "Payment methods we accept", "score": 0.12},
    ],
    "miss_recorded": True,
}
