"""The service's aiohttp application factory (loopback-only for now)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from knowledge_base import insights
from knowledge_base.embeddings import CachedEmbedder, Embedder, SentenceTransformerEmbedder
from knowledge_base.library import KnowledgeBase
from service import kb_views, nlu_views
from service.keys import EMBEDDER, INSIGHTS, KNOWLEDGE_BASE, SETTINGS
from service.middleware import json_errors, token_auth
from service.settings import Settings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 96 * 1024  # a batch of NLU texts; single questions are capped in their view


def create_app(
    settings: Settings, embedder_factory: Callable[[], Embedder] = SentenceTransformerEmbedder
) -> web.Application:
    app = web.Application(
        middlewares=[json_errors, token_auth(settings.service_token)],
        client_max_size=MAX_BODY_BYTES,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_redis(settings))
    app.cleanup_ctx.append(_knowledge_base(settings, embedder_factory))
    app.router.add_get("/health", kb_views.health)
    app.router.add_post("/kb/search", kb_views.search)
    app.router.add_post("/kb/feedback", kb_views.feedback)
    app.router.add_get("/kb/articles", kb_views.articles)
    app.router.add_get("/kb/unanswered", kb_views.unanswered)
    app.router.add_post("/nlu/embed", nlu_views.embed)
    return app


def _redis(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        store = await insights.create(settings.redis_url)
        app[INSIGHTS] = store
        yield
        await store.close()

    return context


def _knowledge_base(
    settings: Settings, embedder_factory: Callable[[], Embedder]
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        embedder = await loop.run_in_executor(None, embedder_factory)
        knowledge_base = KnowledgeBase(
            settings.articles_dir,
            CachedEmbedder(embedder, settings.embedding_cache_dir),
            query_embedder=embedder,  # customers' questions are never cached on disk
        )
        await loop.run_in_executor(None, knowledge_base.refresh)
        app[KNOWLEDGE_BASE] = knowledge_base
        app[EMBEDDER] = embedder
        watcher = asyncio.create_task(knowledge_base.watch(settings.reload_interval))
        yield
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher

    return context
