"""The help-desk sync inside the real service process (`python -m service`, service/app.py runs
the delivery loops): the service is killed with SIGKILL while 100 tickets' events are pending,
two of its requests taken by the receiver but not yet answered; started again, it delivers every
event, and a receiver that honours the Idempotency-Key takes each exactly once. Real service,
real Redis, local receivers that are slow and fail at first (tests/helpdesk/receivers.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as redis

from handoff import store as handoff_store
from helpdesk import keys
from helpdesk.enqueue import queue_events
from stack.supervisor import free_port
from tests.conftest import PROJECT_ROOT, TOKEN
from tests.helpdesk.receivers import Receiver, running_receiver
from tests.helpdesk.test_delivery import command_env, pending, routing_file, until
from tests.support.handoff import HUB, record

TARGETS = ("events-webhook", "zendesk-main")
TICKETS = 100
START_SECONDS = 60.0  # spaCy and the sample help centre's vectors (cached) load on start


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


class ServiceProcess:
    """`python -m service` on a free loopback port; its output kept in a file for failures."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        port = free_port()
        env = {**self.env, "SERVICE_PORT": str(port)}
        with self.log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "service",
                cwd=PROJECT_ROOT,
                env=env,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = asyncio.get_running_loop().time() + START_SECONDS
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while asyncio.get_running_loop().time() < deadline:
                assert self.process.returncode is None, f"the service exited:\n{self.output()}"
                try:
                    async with session.get(f"http://127.0.0.1:{port}/health") as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"the service did not start:\n{self.output()}")

    async def stop(self, how: signal.Signals) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(how)
            await asyncio.wait_for(self.process.wait(), 30)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def service_env(redis_url: str, routing: Path) -> dict[str, str]:
    """What the service needs here, besides the help-desk settings of `command_env`: a token,
    the cached vectors of the sample help centre, no Rasa (no hand-back is told to it)."""
    return command_env(
        redis_url,
        routing,
        HOME=os.environ.get("HOME", "/tmp"),
        PYTHONPATH=str(PROJECT_ROOT),
        PYTHONUNBUFFERED="1",
        HF_HUB_OFFLINE="1",
        SERVICE_TOKEN=TOKEN,
        KB_EMBEDDING_CACHE_DIR=str(PROJECT_ROOT / "var" / "cache" / "embeddings"),
        RASA_URL="http://127.0.0.1:9",
    )


async def test_the_service_killed_with_100_events_pending_delivers_each_once_after_a_restart(  # type: ignore[no-untyped-def]
    receiver, redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    env = service_env(redis_url, routing_file(tmp_path, receiver, *TARGETS))
    receiver.fail_next = 6  # failing at first: the first attempts are retried after a back-off
    receiver.delay = 0.01  # then slow
    receiver.hold_after = 40  # then each target's next request is taken and its answer held
    service = ServiceProcess(env, tmp_path / "service.log")
    store = await handoff_store.create(redis_url, queue_events=queue_events)  # as the service
    try:
        await service.start()
        assert await redis_client.sismember(keys.TEAMS, "technical")  # published at start
        now = datetime.now(timezone.utc)  # no SLA timer falls due during the test
        for number in range(TICKETS):
            await store.tickets.add(record(HUB, f"conv-{number}", at=now))
        await until(lambda: len(receiver.received) == 42, 30)  # one request of each target held
        await service.stop(signal.SIGKILL)
        receiver.released.set()
        assert len(receiver.received) == 42  # killed mid-way: 158 requests to go
        for target in TARGETS:
            assert await pending(redis_client, target) >= 1  # read, never acknowledged

        await service.start()
        await until(
            lambda: all(len(receiver.of(desk)) == TICKETS for desk in ("webhook", "zendesk")), 30
        )
        for target in TARGETS:
            for _ in range(100):
                if await pending(redis_client, target) == 0:
                    break
                await asyncio.sleep(0.05)
            assert await pending(redis_client, target) == 0
    finally:
        await service.stop(signal.SIGTERM)
        await store.close()

    assert receiver.problems == [], service.output()
    # the two held requests had reached the receiver, not their answers the killed service: sent
    # again after the restart with the same Idempotency-Key, and taken once
    assert receiver.repeats == 2
    for desk in ("webhook", "zendesk"):
        assert len(receiver.of(desk)) == len(set(receiver.keys(desk))) == TICKETS
    events = {item.body["event_id"] for item in receiver.of("webhook")}
    assert events == {f"tk-conv-{number}:created" for number in range(TICKETS)}
    created = {item.body["ticket"]["external_id"] for item in receiver.of("zendesk")}
    assert created == {f"tk-conv-{number}" for number in range(TICKETS)}
    for target in TARGETS:
        assert not await redis_client.exists(keys.dead_letters(target))
