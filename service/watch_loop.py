"""The loop every watchdog of the service runs (SLA, outcomes, assignment): one step every
`interval` seconds until cancelled. Redis down is a warning and a bug is logged with its
traceback; either way the next step comes after the interval, so one failure never stops every
future breach, record or requeue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)


async def every(interval: float, step: Callable[[], Awaitable[object]], name: str) -> None:
    """Until cancelled: `await step()`, then sleep `interval` seconds; `name` is for the log."""
    task = asyncio.current_task()
    while True:
        try:
            await step()
        except RedisUnavailable as error:
            log.warning("%s: %s; trying again in %.1f s", name, error, interval)
        except Exception:
            log.exception("%s: unexpected error; trying again in %.1f s", name, interval)
        if task is not None and task.cancelling():
            # Cancelled while Redis was answering: redis-py can turn that cancellation into a
            # timeout error (an OSError, so a RedisUnavailable here). Stop as asked anyway;
            # otherwise the app's shutdown would wait for this task forever.
            raise asyncio.CancelledError
        await asyncio.sleep(interval)
