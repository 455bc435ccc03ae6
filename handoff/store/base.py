"""What every handoff store shares: its error, the guard that raises it, and small helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from redis.exceptions import RedisError

from handoff.lifecycle import Conflict


class HandoffStoreError(RuntimeError):
    """Redis could not be reached or answered with an error."""


class AtCapacity(Conflict):
    """The agent already has as many open chats as they may."""


@asynccontextmanager
async def guard() -> AsyncIterator[None]:
    """Turns redis-py errors into HandoffStoreError at the edge of the store."""
    try:
        yield
    except (RedisError, OSError) as error:
        raise HandoffStoreError(f"Redis is unavailable: {error}") from error


async def await_reply(result: Awaitable[Any] | Any) -> Any:
    """redis-py types its commands as `Awaitable[T] | T`; on the asyncio client they await."""
    return await result
