"""What the service runs for the help-desk sync (service/app.py; `python -m helpdesk deliver`
runs it alone): one delivery loop per target, all in one consumer per process, and every
HOUSEKEEPING_SECONDS a trim of the event stream and a fresh copy of the teams with targets.

At start it checks every target's secrets are set (a missing one stops the start with its
name), creates the targets' consumer groups, removes the groups of targets no longer in
routing.yml (their undelivered events with them), and publishes which teams have targets
(enqueue.py), in that order, so no event is enqueued before its group exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Collection
from dataclasses import dataclass, field

import aiohttp
import redis.asyncio as redis

from helpdesk import keys
from helpdesk.config import DeliverySettings, HelpdeskConfig, credentials
from helpdesk.delivery import OnResult, TargetDelivery, trim
from helpdesk.enqueue import publish_teams
from helpdesk.sending import TargetClient
from infra.clock import Clock, utc_now
from infra.redis_client import RedisUnavailable, await_reply, connect_checked, connect_reader, guard

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 10.0


def consumer_name() -> str:
    """This process's consumer name: host, pid and a random part (a restarted process with the
    same pid is another consumer)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class HelpdeskWorker:
    client: redis.Redis
    session: aiohttp.ClientSession
    deliveries: list[TargetDelivery]
    readers: list[redis.Redis]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def start(
        cls,
        redis_url: str,
        config: HelpdeskConfig,
        settings: DeliverySettings,
        clock: Clock = utc_now,
        on_result: OnResult | None = None,
    ) -> HelpdeskWorker:
        """Check the secrets, prepare Redis and start the loops; raises MissingSecret or
        RedisUnavailable (leaving nothing open). `on_result` hears of every attempt's result."""
        found = {target.name: credentials(target, settings.secrets) for target in config.targets}
        client = await connect_checked(redis_url)
        worker = cls(client, aiohttp.ClientSession(), [], [])
        try:
            consumer = consumer_name()
            for target in config.targets:
                reader = connect_reader(redis_url, block_seconds=settings.block_seconds)
                worker.readers.append(reader)
                sender = TargetClient(
                    target,
                    found[target.name],
                    worker.session,
                    client,
                    timeout_seconds=settings.timeout_seconds,
                    clock=clock,
                )
                delivery = TargetDelivery(
                    target, sender.deliver, client, reader, settings, consumer, clock, on_result
                )
                await delivery.prepare()
                worker.deliveries.append(delivery)
            await forget_removed_targets(client, config)
            await publish_teams(client, config.teams)
        except BaseException:
            await worker.stop()
            raise
        worker.tasks = [asyncio.create_task(d.run()) for d in worker.deliveries]
        housekeeping = _housekeeping(client, config.teams, HOUSEKEEPING_SECONDS)
        worker.tasks.append(asyncio.create_task(housekeeping))
        names = ", ".join(f"{t.name} ({t.kind})" for t in config.targets) or "none"
        log.info("help-desk sync: targets %s", names)
        return worker

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.session.close()
        for reader in self.readers:
            await reader.aclose()
        await self.client.aclose()


async def forget_removed_targets(client: redis.Redis, config: HelpdeskConfig) -> list[str]:
    """Destroy the consumer groups of targets routing.yml no longer has; returns their names."""
    wanted = {keys.group(target.name) for target in config.targets}
    removed = []
    async with guard():
        if not await await_reply(client.exists(keys.EVENTS)):
            return []
        for group in await client.xinfo_groups(keys.EVENTS):
            name = str(group["name"])
            if name.startswith(keys.GROUP_PREFIX) and name not in wanted:
                await client.xgroup_destroy(keys.EVENTS, name)
                removed.append(name)
    for name in removed:
        log.warning("help-desk sync: target %s is no longer configured; its group is gone", name)
    return removed


async def _housekeeping(client: redis.Redis, teams: Collection[str], interval: float) -> None:
    """Every `interval`: trim the stream, and publish the teams again (a Redis that lost its
    data, or was flushed, would otherwise queue no event until the next start)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await trim(client)
            await publish_teams(client, teams)
        except RedisUnavailable as error:
            log.warning("help-desk sync: housekeeping: %s", error)
        except Exception:
            log.exception("help-desk sync: housekeeping: unexpected error")
