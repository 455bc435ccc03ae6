"""What the handoff tests share: a clock they can move, conversations shaped like Rasa's tracker
JSON, the app on a real Redis, agent tokens, and a dump of every Redis value."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from handoff.privacy.identity import CustomerContext
from handoff.routing.config import load_routing_config
from handoff.routing.intake import routing_request
from handoff.routing.rules import ArticleTried, route
from handoff.ticket.builder import build_ticket
from handoff.ticket.model import Routing
from handoff.ticket_record import TicketRecord
from knowledge_base.embeddings import Embedder
from service.agents import issue_token
from service.app import create_app
from service.settings import PROJECT_ROOT, AgentCliSettings, Settings
from tests.conftest import TOKEN
from tests.support.rasa_tracker import ArticleVersion, TrackerBuilder

# Tuesday 10 March 2026: 10:00 ET (open, 08:00-20:00) and 22:00 ET (closed).
OPEN_HOURS = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)
AFTER_HOURS = datetime(2026, 3, 11, 2, 0, tzinfo=timezone.utc)
CARD = "4242 4242 4242 4242"
NO_RASA = "http://127.0.0.1:9"  # nothing listens (discard port): hand-backs find no Rasa
CARD_DIGITS = ("4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242")


class MovableClock:
    """The app's `now()`; tests move it."""

    def __init__(self, start: datetime = OPEN_HOURS) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def handoff_settings(redis_url: str, articles_dir: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "SERVICE_TOKEN": TOKEN,
            "REDIS_URL": redis_url,
            "KB_ARTICLES_DIR": str(articles_dir),
            "KB_EMBEDDING_CACHE_DIR": str(PROJECT_ROOT / "var" / "cache" / "embeddings"),
            "SLA_WATCHDOG_INTERVAL": "0.05",
            "RASA_URL": NO_RASA,
            **extra,
        }
    )


async def start_app(aiohttp_client: Any, settings: Settings, embedder: Embedder, clock: Any) -> Any:
    """The real app (real spaCy, real model, real Redis), with the service token."""
    app = create_app(settings, embedder_factory=lambda: embedder, clock=clock)
    return await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})


async def agent_headers(redis_url: str, agent_id: str) -> dict[str, str]:
    """A fresh token for the agent, issued the way the CLI does it."""
    settings = AgentCliSettings.from_env({"REDIS_URL": redis_url})
    return {"Authorization": f"Bearer {await issue_token(settings, agent_id)}"}


async def go_online(client: Any, headers: dict[str, str], presence: str = "online") -> None:
    response = await client.put("/agent/presence", json={"presence": presence}, headers=headers)
    assert response.status == 200, await response.text()


@dataclass(frozen=True)
class Topic:
    """A first request that one knowledge-base article answered without helping."""

    text: str
    intent: str
    article_id: str
    title: str


HUB = Topic(
    "my hub is blinking amber and none of my lights respond",
    "report_problem",
    "hub-offline",
    "Hearthly Hub offline or blinking",
)
CAMERA = Topic(
    "the sentinel cam shows a black screen since yesterday",
    "report_problem",
    "camera-offline",
    "Sentinel Cam is offline or shows no video",
)
BULBS = Topic(
    "two glow bulbs refuse to pair with the app",
    "report_problem",
    "glow-bulbs-not-pairing",
    "Glow bulbs won't pair or keep disconnecting",
)
THERMOSTAT = Topic(
    "where does the c-wire go on the thermostat",
    "ask_question",
    "thermostat-c-wire",
    "Installing the Hearth Thermostat and the C-wire",
)
PAYMENT = Topic(
    "my card keeps getting declined at checkout", "ask_question", "payment-declined", "Declined"
)
REFUND = Topic(
    "I want a refund of $480 for order HL-482913, it arrived broken on 3/2/2026",
    "refund_request",
    "refund-timeline",
    "When will I get my refund?",
)


def conversation(
    topic: Topic,
    *last_words: str,
    conversation_id: str = "conv-1",
    version: ArticleVersion | None = None,
) -> TrackerBuilder:
    """The customer asks, an article does not help, then they ask for a person. `version`:
    the (article_version, article_updated) the article was served with, if any."""
    builder = TrackerBuilder(sender_id=conversation_id).session_start()
    builder.user("hi", "greet").action("utter_greet").bot("Hi! How can I help?").listen()
    builder.user(topic.text, topic.intent)
    builder.kb_answer(topic.article_id, topic.title, 0.72, version).feedback(helpful=False)
    builder.bot("Sorry about that. Can you tell me more?").listen()
    for words in last_words:
        builder.user(words, "inform").action("action_listen")
    builder.user("let me talk to a real person", "request_human")
    return builder.action("action_handoff").bot("Connecting you to a person.")


def decision(turn: int, reason: str = "explicit_request") -> dict[str, Any]:
    return {
        "version": 1,
        "turn": turn,
        "action": "handoff",
        "reason": reason,
        "score": 2.5,
        "offer_at": 1.0,
        "handoff_at": 2.0,
        "signals": [{"name": "person_request", "weight": 1.0, "strength": 1.0, "turn": turn}],
        "explanation": f"turn {turn}: handoff ({reason})",
    }


def handoff_body(
    builder: TrackerBuilder,
    *,
    customer: dict[str, Any] | None = None,
    turn: int | None = None,
) -> dict[str, Any]:
    tracker = builder.tracker()
    turns = sum(1 for event in tracker["events"] if event["event"] == "user")
    return {
        "conversation_id": builder.sender_id,
        "tracker": {"events": tracker["events"], "slots": tracker["slots"]},
        "decision": decision(turn or turns),
        "customer": copy.deepcopy(customer),
        "channel": "rest",
    }


ROUTING = load_routing_config()


def record(
    topic: Topic,
    conversation_id: str,
    at: datetime = OPEN_HOURS,
    customer_id: str | None = None,
    tier: str | None = None,
) -> TicketRecord:
    """A built, routed ticket record, as the service stores it."""
    tracker = conversation(topic, conversation_id=conversation_id).tracker()
    customer = CustomerContext(customer_id, tier) if customer_id else None
    ticket = build_ticket(
        tracker,
        decision(4),
        ticket_id=f"tk-{conversation_id}",
        conversation_id=conversation_id,
        channel="rest",
        customer=customer,
        now=at,
        nlp=None,
    )
    articles = {HUB.article_id: ArticleTried(HUB.article_id, "devices")}
    routed = route(routing_request(ticket, articles), ROUTING, at)
    ticket = ticket.with_routing(Routing.from_dict(routed.to_dict()), at=at, by="router")
    return TicketRecord(ticket=ticket, idempotency_key="turn-4")
