"""The service's aiohttp application factory (loopback-only for now): the middlewares, the
routes (service/routes.py), and what is opened and closed with the app in its cleanup_ctx
(Redis, the knowledge base and its watcher, the handoff desk and its SLA and assignment
watchdogs, the content team's desk and its gap topics, the help-desk sync's delivery loops, the
QA review desk, the outcome watchdog, the analytics' outcome cache and its follower, the shop's
connector, the order desk, its actions and their audit log when a shop is configured)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web

from commerce.policy import load_policy
from handoff import store as handoff_store
from handoff.routing.agents_config import load_agents_config
from handoff.routing.config import load_routing_config
from handoff.ticket.extract import Nlp, english_nlp
from helpdesk.enqueue import queue_events
from helpdesk.forget import forget_tickets
from helpdesk.settings import load_helpdesk_config
from helpdesk.worker import HelpdeskWorker
from infra.clock import Clock, utc_now
from infra.redis_client import connect_checked
from knowledge_base import insights
from knowledge_base.embeddings import CachedEmbedder, Embedder, SentenceTransformerEmbedder
from knowledge_base.library import KnowledgeBase
from knowledge_base.onnx_embedder import OnnxEmbedder
from knowledge_base.products import load_products
from knowledge_base.recent_vectors import RecentVectors
from mail.outbox import DeliveryState, OutgoingMail
from mail.receiver import MailReceiver
from mail.worker import MailWorker
from outcomes import store as outcome_store
from review import store as review_store
from review.replay import load_decider
from review.sampling import load_sampling_rules
from service import assignment_watchdog, outcome_watchdog, sla_watchdog
from service.agent_auth import AGENT_PREFIX, agent_auth
from service.desk import HandoffDesk, RasaEndpoint
from service.desk.analytics import Analytics
from service.desk.content import open_content_desk
from service.desk.follow_up_mail import FollowUpMail
from service.desk.order_actions import OrderActions
from service.desk.order_approvals import OrderApprovals
from service.desk.order_audit import OrderAudit
from service.desk.orders import OrderDesk
from service.desk.outcome_cache import FOLLOW_SECONDS, OutcomeCache
from service.desk.privacy import PrivacyDesk
from service.desk.review import ReviewDesk
from service.gap_topic_watch import gap_topics_context
from service.keys import (
    ANALYTICS,
    CONTENT,
    EMBEDDER,
    FOLLOW_UP_MAIL,
    HANDOFF,
    INSIGHTS,
    KNOWLEDGE_BASE,
    ORDER_ACTIONS,
    ORDER_APPROVALS,
    ORDER_AUDIT,
    ORDERS,
    PRIVACY,
    REVIEW,
    SETTINGS,
)
from service.middleware import json_errors, request_timing, token_auth
from service.prometheus import METRICS, ServiceMetrics
from service.request_parsing import MAX_BODY_BYTES
from service.routes import ROUTES
from service.settings import Settings
from service.shops import shop_connector

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    embedder_factory: Callable[[], Embedder] | None = None,
    nlp_factory: Callable[[], Nlp | None] = english_nlp,
    clock: Clock = utc_now,
) -> web.Application:
    """`embedder_factory` gives the sentence model (default: as KB_EMBEDDING_RUNTIME says);
    `nlp_factory` gives the spaCy pipeline for ticket context (None: patterns only);
    `clock` is what the handoff takes as now (tests move it)."""
    metrics = ServiceMetrics()
    app = web.Application(
        middlewares=[
            request_timing(metrics),
            json_errors,
            token_auth(
                settings.service_token,
                own_auth_prefixes=(AGENT_PREFIX,),
                metrics_token=settings.metrics_token,
            ),
            agent_auth(),
        ],
        client_max_size=MAX_BODY_BYTES,
    )
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app.cleanup_ctx.append(_redis(settings, clock))
    app.cleanup_ctx.append(
        _knowledge_base(settings, embedder_factory or (lambda: sentence_model(settings)))
    )
    app.cleanup_ctx.append(_handoff(settings, nlp_factory, clock))
    app.cleanup_ctx.append(_content(settings, clock))
    app.cleanup_ctx.append(gap_topics_context(settings, clock))  # service/gap_topic_watch.py
    app.cleanup_ctx.append(_helpdesk(settings))
    if settings.mail.sending:
        app.cleanup_ctx.append(_mail(settings, clock))
    app.cleanup_ctx.append(_review(settings, clock))
    app.cleanup_ctx.append(_outcomes(settings, clock))
    app.cleanup_ctx.append(_analytics(settings))
    if settings.shop is not None:
        app.cleanup_ctx.append(_orders(settings, clock))
    app.add_routes(ROUTES)
    return app


def _redis(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    """The knowledge base's insights and the privacy desk (export, erasure) over them."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        store = await insights.create(settings.redis_url)
        app[INSIGHTS] = store
        secret = settings.outcomes.customer_key_secret
        privacy = PrivacyDesk(await connect_checked(settings.redis_url), store, secret, clock)
        app[PRIVACY] = privacy
        yield
        await privacy.close()
        await store.close()

    return context


def sentence_model(settings: Settings) -> Embedder:
    """all-MiniLM-L6-v2 as KB_EMBEDDING_RUNTIME says: ONNX Runtime (the graph exported once
    into KB_ONNX_DIR) or sentence-transformers on torch."""
    if settings.embedding_runtime == "torch":
        return SentenceTransformerEmbedder()
    return OnnxEmbedder(settings.onnx_dir)


def _knowledge_base(
    settings: Settings, embedder_factory: Callable[[], Embedder]
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        embedder = await loop.run_in_executor(None, embedder_factory)
        products = await loop.run_in_executor(None, load_products, settings.products_file)
        # A message's vector serves the NLU and, in the same turn, the KB search: embedded once.
        # Customers' questions are never cached on disk, only kept briefly in memory.
        recent = RecentVectors(embedder)
        knowledge_base = KnowledgeBase(
            settings.articles_dir,
            CachedEmbedder(embedder, settings.embedding_cache_dir),
            query_embedder=recent.reusing(),
            products=products,
        )
        # Every article is searchable before the service answers, unless a cold embedding cache
        # makes that long (thousands of sections): then it serves what is embedded meanwhile.
        loading = await knowledge_base.load()
        app[KNOWLEDGE_BASE] = knowledge_base
        app[EMBEDDER] = recent
        watcher = asyncio.create_task(knowledge_base.watch(settings.reload_interval, loading))
        yield
        knowledge_base.stop()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher

    return context


def _handoff(
    settings: Settings, nlp_factory: Callable[[], Nlp | None], clock: Clock
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Routing rules, agents, the handoff store, spaCy (loaded in a worker thread) and the SLA
    and assignment watchdogs, which are cancelled cleanly on shutdown."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        routing = load_routing_config(settings.routing_file)
        agents = load_agents_config(settings.agents_file, routing.teams)
        nlp = await asyncio.to_thread(nlp_factory)
        # every ticket write queues its help-desk events in its own MULTI (helpdesk/enqueue.py)
        store = await handoff_store.create(
            settings.redis_url, queue_events=queue_events, forget_tickets=forget_tickets
        )
        desk = HandoffDesk(
            store=store,
            routing=routing,
            agents=agents,
            nlp=serialised(nlp) if nlp is not None else None,
            rasa=RasaEndpoint(settings.rasa_url, settings.rasa_timeout),
            clock=clock,
            retention=timedelta(days=settings.handoff_retention_days),
            emails_follow_ups=settings.mail.sending,
        )
        desk.metrics = app[METRICS]
        app[HANDOFF] = desk
        interval, grace = settings.sla_watchdog_interval, settings.handoff_requeue_after_seconds
        watchdogs = [
            asyncio.create_task(sla_watchdog.run(desk, interval, settings.handoff_purge_interval)),
            asyncio.create_task(assignment_watchdog.run(desk, interval, timedelta(seconds=grace))),
        ]
        yield
        for watchdog in watchdogs:
            watchdog.cancel()
        for watchdog in watchdogs:
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        await store.close()

    return context


def _content(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    """The content team's desk (service/desk/content.py) on its own Redis client, after the
    knowledge base's and the handoff's contexts: the desk hears of every resolve and
    hand-back, whose agent answers become suggestions."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        desk = await open_content_desk(
            settings.redis_url, app[KNOWLEDGE_BASE], app[INSIGHTS], settings.thresholds, clock
        )
        app[CONTENT] = desk
        app[HANDOFF].agent_finished = desk.agent_finished
        yield
        await desk.close()

    return context


def _helpdesk(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    """The help-desk sync (helpdesk/worker.py): a delivery loop per target of the routing file,
    stopped cleanly on shutdown; after the handoff's context (its routing config). On the real
    clock, not the desk's: a webhook signature's timestamp is checked against the receiver's."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        config = load_helpdesk_config(settings.routing_file)
        counted = app[METRICS].record_helpdesk
        worker = await HelpdeskWorker.start(
            settings.redis_url, config, settings.helpdesk, on_result=counted
        )
        yield
        await worker.stop()

    return context


def _mail(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    """Email follow-up (service/desk/follow_up_mail.py): the mail worker that sends, and when
    MAIL_INBOUND_PORT is set the receiver that takes the customers' email replies; after the
    handoff's context (it reads and writes the tickets). A new delivery state is announced on
    the ticket feed, so the console shows it at once."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        desk = app[HANDOFF]
        tickets = desk.store.tickets

        async def announced(mail: OutgoingMail, _: DeliveryState) -> None:
            await tickets.announce(mail.ticket_id)

        worker = await MailWorker.start(settings.redis_url, settings.mail, announced)
        follow_up = FollowUpMail(settings.mail, worker.outbox, tickets, desk.agent_name, clock)
        app[FOLLOW_UP_MAIL] = follow_up
        receiver = MailReceiver(
            settings.mail, follow_up.reply_received, lambda: clock().timestamp()
        )
        if settings.mail.receiving:
            await receiver.start()
        yield
        await receiver.stop()
        await worker.stop()

    return context


def _review(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    """The QA review desk: its Redis store, the sampling rules (review/sampling.yml) and the
    shipped escalation decision; after the handoff's context (it reads the tickets) and before
    the outcome watchdog's (which calls `capture`)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        rules = await asyncio.to_thread(load_sampling_rules)
        decider = await asyncio.to_thread(load_decider)
        store = await review_store.create(settings.redis_url)
        app[REVIEW] = ReviewDesk(
            store=store,
            tickets=app[HANDOFF].store.tickets,
            rules=rules,
            decider=decider,
            clock=clock,
        )
        yield
        await store.close()

    return context


def _outcomes(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    """The outcome store (the desk keeps surveys in it) and its watchdog, which is cancelled
    cleanly on shutdown; after the handoff's context (it reads the tickets) and the review's
    (it keeps each finished session's review case)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        config = settings.outcomes
        store = await outcome_store.create(
            settings.redis_url,
            retention=timedelta(days=config.retention_days),
            max_records=config.max_records,
        )
        app[HANDOFF].outcomes = store
        watchdog = outcome_watchdog.OutcomeWatchdog(
            outcomes=store,
            tickets=app[HANDOFF].store.tickets,
            clock=clock,
            inactivity=timedelta(seconds=config.inactivity_seconds),
            customer_key_secret=config.customer_key_secret,
            review=app.get(REVIEW),
            on_recorded=app[METRICS].record_outcome,
        )
        task = asyncio.create_task(outcome_watchdog.run(watchdog, config.watchdog_interval))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await store.close()

    return context


def _analytics(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    """The supervisor's analytics on the handoff desk, with an outcome cache that follows the
    outcome stream in the background (service/desk/outcome_cache.py)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        store = await outcome_store.create(settings.redis_url)
        cache = OutcomeCache(store, max_records=settings.outcomes.max_records)
        analytics = Analytics(cache, app[HANDOFF])
        if REVIEW in app:  # the QA review's verdicts and QA scores (service/desk/review.py)
            analytics.review = app[REVIEW]
        app[ANALYTICS] = analytics
        follower = asyncio.create_task(cache.follow(FOLLOW_SECONDS))
        yield
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        await store.close()

    return context


def _orders(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    """The shop's connector (SHOP_CONNECTOR: service/shops.py), the order desk with its attempt
    counters in Redis (service/desk/orders.py), the actions on a verified order and their audit
    log (service/desk/order_actions.py, order_audit.py) and the refunds held for a supervisor
    (order_approvals.py), all on one Redis client."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        assert settings.shop is not None
        policy = await asyncio.to_thread(load_policy)
        shop = shop_connector(settings.shop)
        client = await connect_checked(settings.redis_url)
        desk = OrderDesk(shop, client, policy, clock)
        audit = OrderAudit(client, clock)
        app[ORDERS] = desk
        app[ORDER_ACTIONS] = actions = OrderActions(desk, audit)
        app[ORDER_AUDIT] = audit
        app[ORDER_APPROVALS] = OrderApprovals(actions)
        yield
        await shop.close()
        await client.aclose()

    return context


def serialised(nlp: Nlp) -> Nlp:
    """The pipeline behind a lock: tickets are built in worker threads, and one spaCy pipeline
    is not meant to be called from several threads at once."""
    lock = threading.Lock()

    def call(text: str) -> Any:
        with lock:
            return nlp(text)

    return call
