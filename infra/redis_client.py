"""Redis for every process: one way to open a connection and one guard for its errors.

Every client has explicit socket and connect timeouts (a Redis that hangs fails the call
instead of holding it forever), decodes replies to `str`, and checks an idle connection before
reusing it. Blocking reads (`XREAD BLOCK`) get a client of their own whose socket timeout
outlasts the block (`connect_reader`), so a quiet stream is not mistaken for a dead Redis.

`guard()` turns redis-py's errors (and the OS errors under them) into `RedisUnavailable`, the
one exception callers catch: the handoff store, the knowledge base's insights, the gateway's
sessions and the stack's health check alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

import redis.asyncio as redis
from redis.asyncio.lock import Lock
from redis.exceptions import RedisError

TIMEOUT_SECONDS = 2.0
"""Socket and connect timeout of an ordinary command."""
HEALTH_CHECK_SECONDS = 30
"""A connection idle this long is checked (PING) before it is used again."""
MAX_CONNECTIONS = 200
"""Connections of one ordinary client (one per process and purpose), which queues beyond them:
Redis' own limit (`maxclients`, config/redis.conf) is shared by every process of the stack."""
READ_MARGIN_SECONDS = 4.0
"""How much longer than its block a blocking read may take before the socket times out."""


class RedisUnavailable(RuntimeError):
    """Redis could not be reached, answered with an error, or could not finish a transaction
    because its keys kept changing: the operation did not happen, try again later."""


def connect(
    url: str, *, timeout_seconds: float = TIMEOUT_SECONDS, client_name: str | None = None
) -> redis.Redis:
    """A client for ordinary commands (no network traffic until the first one). Up to
    MAX_CONNECTIONS at once; a command beyond them waits for one to be free (up to
    `timeout_seconds`) rather than failing at once, as redis-py's default pool does past 100
    (a burst of 150 customers opening the chat together got "unavailable")."""
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=timeout_seconds,
        decode_responses=True,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=HEALTH_CHECK_SECONDS,
        client_name=client_name,
    )
    return redis.Redis.from_pool(pool)  # closing the client closes its pool


def connect_reader(
    url: str,
    *,
    block_seconds: float,
    client_name: str | None = None,
    single_connection: bool = False,
) -> redis.Redis:
    """A client for blocking reads of up to `block_seconds`. `single_connection`: one
    connection of its own (named `client_name` in CLIENT LIST), for one long-lived reader."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=block_seconds + READ_MARGIN_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        health_check_interval=HEALTH_CHECK_SECONDS,
        client_name=client_name,
        single_connection_client=single_connection,
    )


async def connect_checked(url: str, *, timeout_seconds: float = TIMEOUT_SECONDS) -> redis.Redis:
    """A client whose Redis has answered a PING; raises RedisUnavailable (and leaves nothing
    open) when it does not."""
    client = connect(url, timeout_seconds=timeout_seconds)
    try:
        await ping(client)
    except RedisUnavailable:
        await client.aclose()
        raise
    return client


async def ping(client: redis.Redis) -> None:
    """Raises RedisUnavailable unless Redis answers."""
    async with guard():
        await client.ping()


@asynccontextmanager
async def guard() -> AsyncIterator[None]:
    """Turns redis-py errors (and OS errors: refused, reset, timed out) into RedisUnavailable."""
    try:
        yield
    except (RedisError, OSError) as error:
        raise RedisUnavailable(f"Redis is unavailable: {error}") from error


class LockBusy(RedisUnavailable):
    """A shared lock stayed held by another process for longer than the caller would wait."""


@asynccontextmanager
async def held(
    client: redis.Redis, name: str, *, hold_seconds: float, wait_seconds: float
) -> AsyncIterator[None]:
    """Hold the Redis lock `name` (one holder among all processes and replicas) while the
    block runs, however long: renewed every third of `hold_seconds`, so it lapses that soon
    after its holder dies. Raises LockBusy after waiting `wait_seconds`, RedisUnavailable when
    Redis fails. Polled every 10 ms: the waits it exists for are one other request's turn."""
    lock = client.lock(name, timeout=hold_seconds, blocking_timeout=wait_seconds, sleep=0.01)
    async with guard():
        acquired = await lock.acquire()
    if not acquired:
        raise LockBusy(f"{name} stayed held for {wait_seconds:g} s")
    renewal = asyncio.create_task(_renew(lock, hold_seconds / 3))
    try:
        yield
    finally:
        renewal.cancel()
        with suppress(asyncio.CancelledError):
            await renewal
        with suppress(RedisError, OSError):  # expired meanwhile, or Redis gone: it lapses
            await lock.release()


async def _renew(lock: Lock, every: float) -> None:
    with suppress(RedisError, OSError):  # lost: it lapses, as if its holder had died
        while True:
            await asyncio.sleep(every)
            await lock.reacquire()


async def await_reply(result: Awaitable[Any] | Any) -> Any:
    """redis-py types its commands as `Awaitable[T] | T`; on the asyncio client they await."""
    return await result


_Store = TypeVar("_Store", bound="OnOneConnection")


class OnOneConnection:
    """A store on one Redis client it owns: `open` connects and checks Redis answers (raising
    RedisUnavailable), `ping` for health checks, `close` on shutdown."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @classmethod
    async def open(
        cls: type[_Store], url: str, *, timeout_seconds: float = TIMEOUT_SECONDS
    ) -> _Store:
        return cls(await connect_checked(url, timeout_seconds=timeout_seconds))

    async def ping(self) -> None:
        await ping(self._redis)

    async def close(self) -> None:
        await self._redis.aclose()
