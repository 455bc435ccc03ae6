"""The help-desk sync end to end on a real Redis and local receivers that check each desk's
documented requests: ticket writes -> events (in the write's MULTI) -> the consumer groups ->
Zendesk, Chatwoot and a signed webhook; retries with back-off, dead letters, the replay command,
and a delivery process killed with 100 events pending."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
import yaml

from handoff import lifecycle
from handoff import store as handoff_store
from handoff.customer_messages import add_customer_message
from handoff.store import HandoffStore
from helpdesk import keys
from helpdesk.config import DeliverySettings, HelpdeskConfig
from helpdesk.delivery import trim
from helpdesk.enqueue import queue_events
from helpdesk.forget import forget_tickets
from helpdesk.worker import HelpdeskWorker, forget_removed_targets
from tests.helpdesk.receivers import SECRETS, Receiver, running_receiver, targets_section
from tests.helpdesk.test_config import helpdesk_of, routing_with
from tests.support.handoff import HUB, OPEN_HOURS, PAYMENT, record

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LATER = OPEN_HOURS + timedelta(minutes=2)
FAST = DeliverySettings(
    max_attempts=4, retry_seconds=0.2, timeout_seconds=2, block_seconds=0.05, secrets=SECRETS
)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest.fixture
async def store(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[HandoffStore]:
    opened = await handoff_store.create(  # as the service
        redis_url, queue_events=queue_events, forget_tickets=forget_tickets
    )
    yield opened
    await opened.close()


def routing(receiver: Receiver, *only: str) -> dict[str, Any]:
    """routing.yml with targets at the receiver for team technical (where HUB tickets go)."""
    section = targets_section(receiver.url, ["technical"])
    if only:
        section["targets"] = {k: v for k, v in section["targets"].items() if k in only}
    return routing_with(section)


def helpdesk_config(receiver: Receiver, *only: str) -> HelpdeskConfig:
    return helpdesk_of(routing(receiver, *only))


@pytest.fixture
async def worker(redis_url: str) -> AsyncIterator[Callable[..., Awaitable[HelpdeskWorker]]]:
    started: list[HelpdeskWorker] = []

    async def start(
        config: HelpdeskConfig, settings: DeliverySettings = FAST, on_result: Any = None
    ) -> HelpdeskWorker:
        started.append(await HelpdeskWorker.start(redis_url, config, settings, on_result=on_result))
        return started[-1]

    yield start
    for each in started:
        await each.stop()


async def until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def pending(client: redis.Redis, target: str) -> int:
    return int((await client.xpending(keys.EVENTS, keys.group(target)))["pending"])


async def deliverer(env: dict[str, str]) -> asyncio.subprocess.Process:
    """`python -m helpdesk deliver`, as the service runs it, in a process of its own."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helpdesk",
        "deliver",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_a_chat_reaches_zendesk_chatwoot_and_a_webhook_as_each_documents_it(  # type: ignore[no-untyped-def]
    store, receiver, worker, redis_client
) -> None:
    await worker(helpdesk_config(receiver))
    waiting = record(HUB, "conv-1")
    await store.tickets.add(waiting)
    await store.tickets.add(record(PAYMENT, "conv-other"))  # team billing: no target
    tid = waiting.ticket_id
    await store.tickets.update(tid, lambda r: add_customer_message(r, "still amber", now=LATER))
    await store.tickets.update(tid, lambda r: lifecycle.assign(r, "priya", now=LATER, by="priya"))
    await store.tickets.update(tid, lambda r: lifecycle.reply(r, "priya", "On it", now=LATER))
    await store.tickets.update(tid, lambda r: lifecycle.resolve(r, "priya", "fixed", now=LATER))

    await until(lambda: len(receiver.of("webhook")) == 5 and len(receiver.of("chatwoot")) == 7)
    await until(lambda: len(receiver.of("zendesk")) == 5)

    assert receiver.problems == []
    kinds = [item.body["kind"] for item in receiver.of("webhook")]
    assert kinds == ["created", "message", "assigned", "message", "resolved"]
    assert {item.body["ticket"]["ticket_id"] for item in receiver.of("webhook")} == {tid}
    zendesk = receiver.of("zendesk")
    assert zendesk[0].path == "/zendesk/api/v2/tickets.json"
    assert {item.path for item in zendesk[1:]} == {"/zendesk/api/v2/tickets/1001.json"}
    assert zendesk[-1].body["ticket"]["status"] == "solved"
    chatwoot = [
        (item.path.rsplit("/", 1)[-1], item.body.get("message_type"))
        for item in receiver.of("chatwoot")
    ]
    assert chatwoot == [
        ("conversations", None),
        ("messages", "outgoing"),  # the handoff note, private
        ("messages", "incoming"),  # the customer's turn
        ("messages", "outgoing"),  # assigned
        ("messages", "outgoing"),  # the agent's reply, private: Chatwoot would send it again
        ("messages", "outgoing"),  # resolved
        ("toggle_status", None),
    ]
    assert await redis_client.hgetall(keys.remote_ids("zendesk-main")) == {tid: "1001"}
    for target in ("zendesk-main", "chatwoot-main", "events-webhook"):
        assert await pending(redis_client, target) == 0


async def test_with_no_target_a_write_queues_nothing(store, worker, redis_client) -> None:  # type: ignore[no-untyped-def]
    await worker(HelpdeskConfig())
    await store.tickets.add(record(HUB, "conv-1"))
    assert not await redis_client.exists(keys.EVENTS)
    assert not await redis_client.exists(keys.TEAMS)


async def test_a_failing_receiver_is_retried_with_a_doubling_back_off_until_it_recovers(  # type: ignore[no-untyped-def]
    store, receiver, worker, redis_client, caplog
) -> None:
    results: list[tuple[str, str]] = []
    await worker(
        helpdesk_config(receiver, "events-webhook"), on_result=lambda *r: results.append(r)
    )
    receiver.fail_next = 3
    waiting = record(HUB, "conv-1")
    await store.tickets.add(waiting)

    await until(lambda: len(receiver.received) == 1)

    gaps = [later - earlier for earlier, later in itertools.pairwise(receiver.attempts)]
    assert len(receiver.attempts) == 4
    for gap, back_off in zip(gaps, (0.2, 0.4, 0.8), strict=True):
        assert back_off - 0.02 <= gap < back_off + 1.0
    assert await pending(redis_client, "events-webhook") == 0
    assert results == [("events-webhook", "retry")] * 3 + [("events-webhook", "delivered")]
    assert "answered HTTP 503" in caplog.text
    assert waiting.ticket.summary.splitlines()[0] not in caplog.text  # no body in the log


def routing_file(tmp_path: Path, receiver: Receiver, *only: str) -> Path:
    path = tmp_path / "routing.yml"
    path.write_text(yaml.safe_dump(routing(receiver, *only)), encoding="utf-8")
    return path


def command_env(redis_url: str, routing_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "REDIS_URL": redis_url,
        "HANDOFF_ROUTING_FILE": str(routing_path),
        "HELPDESK_RETRY_SECONDS": "0.2",
        "HELPDESK_TIMEOUT_SECONDS": "1",
        "HELPDESK_BLOCK_SECONDS": "0.05",
        **SECRETS,
        **extra,
    }


async def helpdesk_command(env: dict[str, str], *arguments: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helpdesk",
        *arguments,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_receiver_down_for_a_while_gets_dead_letters_then_the_replay_command(  # type: ignore[no-untyped-def]
    store, receiver, worker, redis_client, redis_url, tmp_path
) -> None:
    settings = DeliverySettings(
        max_attempts=3, retry_seconds=0.05, timeout_seconds=1, block_seconds=0.05, secrets=SECRETS
    )
    await worker(helpdesk_config(receiver, "events-webhook"), settings)
    receiver.down = True
    for name in ("conv-1", "conv-2"):
        await store.tickets.add(record(HUB, name))
    dead = keys.dead_letters("events-webhook")

    await until(lambda: len(receiver.attempts) >= 6)
    env = command_env(redis_url, routing_file(tmp_path, receiver, "events-webhook"))
    for _ in range(100):
        if await redis_client.xlen(dead) == 2:
            break
        await asyncio.sleep(0.05)
    code, listed, _ = await helpdesk_command(env, "dead-letters")
    letters = [json.loads(line) for line in listed.splitlines()]
    assert code == 0 and len(letters) == 2
    assert {(letter["attempts"], letter["error"]) for letter in letters} == {
        (3, "events-webhook answered HTTP 503")
    }
    assert "Transcript" not in listed and "summary" not in listed
    assert receiver.received == [] and len(receiver.attempts) == 6

    receiver.down = False
    code, out, _ = await helpdesk_command(env, "replay", "--target", "events-webhook")

    assert (code, out.strip()) == (0, "events-webhook: 2 dead letters replayed")
    await until(lambda: len(receiver.received) == 2)
    assert sorted(item.body["event_id"] for item in receiver.received) == [
        "tk-conv-1:created",
        "tk-conv-2:created",
    ]
    assert await redis_client.xlen(dead) == 0
    assert receiver.problems == []
    code, _, err = await helpdesk_command(env, "replay", "--target", "nobody")
    assert code == 2 and "no help-desk target 'nobody'" in err


async def test_a_delivery_process_killed_with_100_events_pending_loses_none_and_repeats_none(  # type: ignore[no-untyped-def]
    store, receiver, redis_client, redis_url, tmp_path
) -> None:
    env = command_env(redis_url, routing_file(tmp_path, receiver, "events-webhook", "zendesk-main"))
    receiver.delay = 0.01
    receiver.hold_after = 40  # then each target's next request is taken, its answer held
    first = await deliverer(env)
    try:
        for _ in range(200):  # its groups exist and its teams are published
            if await redis_client.sismember(keys.TEAMS, "technical"):
                break
            await asyncio.sleep(0.05)
        for number in range(100):
            await store.tickets.add(record(HUB, f"conv-{number}"))
        await until(lambda: len(receiver.received) == 42)  # one request of each target held
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    receiver.released.set()
    assert len(receiver.received) == 42  # killed mid-way: 158 requests to go

    second = await deliverer(env)
    try:
        await until(
            lambda: len(receiver.of("webhook")) == 100 and len(receiver.of("zendesk")) == 100, 60
        )
        for target in ("events-webhook", "zendesk-main"):
            for _ in range(100):
                if await pending(redis_client, target) == 0:
                    break
                await asyncio.sleep(0.05)
            assert await pending(redis_client, target) == 0
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()

    assert receiver.problems == []
    # the two held requests had reached the receiver, not their 2xx the killed process: sent
    # again by the next one, with the same Idempotency-Key, and taken once
    assert receiver.repeats == 2
    for desk in ("webhook", "zendesk"):
        assert len(receiver.of(desk)) == len(set(receiver.keys(desk))) == 100
    created = {item.body["ticket"]["external_id"] for item in receiver.of("zendesk")}
    assert created == {f"tk-conv-{number}" for number in range(100)}
    assert not await redis_client.exists(keys.dead_letters("events-webhook"))


async def test_the_stream_keeps_only_what_a_target_still_needs_and_forgets_removed_targets(  # type: ignore[no-untyped-def]
    store, receiver, worker, redis_client
) -> None:
    await worker(helpdesk_config(receiver, "events-webhook"))
    await store.tickets.add(record(HUB, "conv-1"))
    await until(lambda: len(receiver.received) == 1)
    receiver.down = True
    await store.tickets.add(record(HUB, "conv-2"))
    await until(lambda: len(receiver.attempts) >= 2)

    await trim(redis_client)

    left = [fields["event_id"] for _, fields in await redis_client.xrange(keys.EVENTS)]
    assert left == ["tk-conv-2:created"]  # pending: kept; delivered: gone
    assert await forget_removed_targets(redis_client, HelpdeskConfig()) == ["target:events-webhook"]
    await trim(redis_client)
    assert await redis_client.xlen(keys.EVENTS) == 0


async def test_a_refusal_for_good_is_dead_lettered_at_once(  # type: ignore[no-untyped-def]
    store, receiver, worker, redis_client
) -> None:
    wrong = DeliverySettings(
        **{**FAST.__dict__, "secrets": {**SECRETS, "HELPDESK_ZENDESK_TOKEN": "x"}}
    )
    await worker(helpdesk_config(receiver, "zendesk-main"), wrong)
    await store.tickets.add(record(HUB, "conv-1"))
    dead = keys.dead_letters("zendesk-main")
    await until(lambda: bool(receiver.problems))
    for _ in range(100):
        if await redis_client.xlen(dead):
            break
        await asyncio.sleep(0.02)
    ((_, letter),) = await redis_client.xrange(dead)
    assert (letter["attempts"], letter["error"]) == ("1", "zendesk-main answered HTTP 400")
    assert receiver.problems == ["zendesk: Authorization is not Basic {email}/token:{api_token}"]


async def test_erasing_a_customer_takes_their_undelivered_events_and_dead_letters(  # type: ignore[no-untyped-def]
    store, receiver, worker, redis_client
) -> None:
    settings = DeliverySettings(**{**FAST.__dict__, "max_attempts": 1})
    await worker(helpdesk_config(receiver, "events-webhook"), settings)
    receiver.down = True
    for customer in ("c-gone", "c-kept"):
        await store.tickets.add(record(HUB, f"conv-{customer}", customer_id=customer))
    dead = keys.dead_letters("events-webhook")
    for _ in range(200):
        if await redis_client.xlen(dead) == 2:
            break
        await asyncio.sleep(0.02)
    await redis_client.xadd(keys.EVENTS, {"ticket_id": "tk-conv-c-gone", "event_id": "x"})

    assert await store.erase_customer("c-gone") == 1

    left = [f["ticket_id"] for _, f in await redis_client.xrange(dead)]
    assert left == ["tk-conv-c-kept"]
    events = {f["ticket_id"] for _, f in await redis_client.xrange(keys.EVENTS)}
    assert "tk-conv-c-gone" not in events
