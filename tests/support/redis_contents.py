"""Everything a Redis database holds, read by each key's type (what the privacy tests scan), and
one conversation's events as Rasa stored them."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as redis

from stack.supervisor import Stack


async def every_value(client: redis.Redis) -> dict[str, str]:
    """Every key (under any prefix) with its value as JSON text. A key that expired or was
    deleted after SCAN saw it (Rasa's lock keys come and go) is skipped; a type this function
    cannot read fails the test rather than hiding what the key holds."""
    dump: dict[str, str] = {}
    async for key in client.scan_iter(count=500):
        kind = await client.type(key)
        if kind == "none":
            continue
        name = key.decode() if isinstance(key, bytes) else key
        dump[name] = _as_text(await _read(client, key, kind))
    return dump


async def every_value_text(client: redis.Redis) -> str:
    """The same as one text, a line a key."""
    return "\n".join(f"{key} {value}" for key, value in (await every_value(client)).items())


async def _read(client: redis.Redis, key: Any, kind: Any) -> Any:
    kind = kind.decode() if isinstance(kind, bytes) else kind
    if kind == "string":
        return await client.get(key)
    if kind == "hash":
        return await client.hgetall(key)
    if kind == "list":
        return await client.lrange(key, 0, -1)
    if kind == "set":
        return sorted(await client.smembers(key))
    if kind == "zset":
        return await client.zrange(key, 0, -1, withscores=True)
    if kind == "stream":
        return await client.xrange(key)
    raise AssertionError(f"{key!r} has a type the privacy scan does not read: {kind}")


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, str):
        return value
    return json.dumps(value, default=lambda item: item.decode(errors="replace"))


async def rasa_tracker(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """The events of conversation `sender`'s tracker in Redis (`tracker:<sender>`)."""
    client = redis.Redis.from_url(stack.config.redis.url)
    try:
        stored = await client.get(f"tracker:{sender}")
    finally:
        await client.aclose()
    assert stored is not None, f"no tracker for {sender}"
    events: list[dict[str, Any]] = json.loads(stored)["events"]
    return events
