"""The gap topics in the running service: the desk (service/desk/gap_topics.py) on a Redis client
of its own, opened and closed with the app, told of every new handoff ticket, and the scheduled
full re-clustering - every GAP_TOPICS_RECLUSTER_SECONDS (default 3600), by one replica per
interval (a Redis claim), cancelled cleanly on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from content.topic_store import TopicStore
from infra.clock import Clock
from infra.redis_client import connect_checked
from service.desk.gap_topics import GapTopicDesk
from service.keys import EMBEDDER, GAP_TOPICS, HANDOFF, KNOWLEDGE_BASE
from service.settings import Settings
from service.watch_loop import every


def gap_topics_context(
    settings: Settings, clock: Clock
) -> Callable[[web.Application], AsyncIterator[None]]:
    """After the knowledge base's and the handoff's contexts (it searches the one and hears of
    the other's new tickets)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        client = await connect_checked(settings.redis_url)
        desk = GapTopicDesk(
            store=TopicStore(client),
            redis=client,
            knowledge_base=app[KNOWLEDGE_BASE],
            embedder=app[EMBEDDER],
            threshold=settings.answer_threshold,
            clock=clock,
        )
        app[GAP_TOPICS] = desk
        app[HANDOFF].handed_off = desk.record_handoff
        task = asyncio.create_task(run(desk, settings.gap_topics_recluster_seconds))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await desk.close()

    return context


async def run(desk: GapTopicDesk, interval: float) -> None:
    """Until cancelled: one interval after start-up and every interval after it, re-cluster
    when this replica claims the turn."""

    async def step() -> None:
        if await desk.store.claim_schedule(interval):
            await desk.recluster()

    await asyncio.sleep(interval)
    await every(interval, step, "gap topics re-clustering")
