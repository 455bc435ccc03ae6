"""Faults without loss: kill -9 each process of the stack under concurrent conversations.

    python -m benchmarks.chaos [--conversations 200] [--drills redis,service,actions,rasa,gateway]

Starts the whole product (Redis, service, action server, Rasa, gateway) on free loopback ports
under the launcher's supervision, which restarts a child that exits (Redis from its AOF). Per
drill: a fresh set of customers talk through the gateway at a human pace (a knowledge-base
question from data/kb_questions.yml, then a think time; every tenth asks for a person as their
second message, so tickets are created while the fault happens); after a warm-up the target is
killed with SIGKILL (its whole process group); a fresh probe conversation every second measures
when the stack answers normally again; the customers keep talking until then plus a margin,
then finish what is in flight. What they saw is compared with what Redis holds
(benchmarks/chaos_counts.py defines every figure). Results in benchmarks/results/chaos.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis.asyncio as redis

from benchmarks.bench_stack import answerable_questions, throwaway_stack, write_result
from benchmarks.chaos_client import DrillCustomer, probe_answers
from benchmarks.chaos_counts import StoredConversation, drill_figures, lost_messages, tag_for
from benchmarks.stats import percentile
from gateway.sessions import GatewayStore
from handoff.privacy.redact import redact_text
from handoff.store import keys
from handoff.ticket_record import TicketRecord
from stack.config import ROOT
from stack.supervisor import Stack

RESULT = ROOT / "benchmarks" / "results" / "chaos.json"
DRILLS = ("redis", "service", "actions", "rasa", "gateway")
PERSON = "I'd like to talk to a real person please"
PROBE = "how much do you charge for shipping if i spend less than 50 bucks"
"""Answered from the knowledge base: Rasa, the action server and the service all take part."""
PROBE_TIMEOUT_SECONDS = 20.0
RECOVERY_LIMIT_SECONDS = 300.0


def taggable(questions: list[str]) -> list[str]:
    """The questions whose tag survives the masking of what is stored ("forgot my password
    zqaaaaa" is stored as "forgot my password [password removed]", as it should be)."""
    return [text for text in questions if tag_for(0) in redact_text(f"{text} {tag_for(0)}")]


def scripts(count: int, questions: list[str], first_tag: int) -> list[list[tuple[str, str]]]:
    """Each customer's (tag, text) messages; every tenth asks for a person second."""
    questions = taggable(questions)
    rng = random.Random(first_tag)
    plans = []
    for customer in range(count):
        texts = [rng.choice(questions) for _ in range(40)]
        if customer % 10 == 0:
            texts[1] = PERSON
        base = first_tag + customer * 40
        plans.append(
            [(tag_for(base + n), f"{text} {tag_for(base + n)}") for n, text in enumerate(texts)]
        )
    return plans


async def talk(
    customer: DrillCustomer,
    script: list[tuple[str, str]],
    start_after: float,
    think: tuple[float, float],
    stop: asyncio.Event,
) -> None:
    await asyncio.sleep(start_after)

    async def until_stopped() -> None:
        for tag, text in script:
            if stop.is_set():
                return
            await customer.say_next(tag, text)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), random.uniform(*think))

    try:
        await until_stopped()
    finally:
        await customer.close()


async def until_recovered(gateway_url: str, address: str, killed_at: float, question: str) -> float:
    """Seconds from the kill until a fresh conversation gets a normal answer."""
    while time.monotonic() - killed_at < RECOVERY_LIMIT_SECONDS:
        attempt = time.monotonic()
        if await probe_answers(gateway_url, address, question, PROBE_TIMEOUT_SECONDS):
            return round(time.monotonic() - killed_at, 1)
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - attempt)))
    raise RuntimeError(f"the stack did not recover within {RECOVERY_LIMIT_SECONDS:g} s")


def kill(stack: Stack, target: str) -> int:
    """SIGKILL the target's process group; the supervisor restarts it."""
    running = next(process for process in stack.running if process.spec.name == target)
    running.kill_group()
    return running.process.pid


async def all_running(stack: Stack, timeout: float = 300.0) -> None:
    """Every child up and healthy (after the previous drill's restart)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        checks = [
            spec.health_url is None or await stack.healthy_url(spec.health_url)
            for spec in (process.spec for process in stack.running)
        ]
        if all(checks) and not any(process.exited for process in stack.running):
            return
        await asyncio.sleep(1.0)
    raise RuntimeError("the stack was not back up before the next drill")


async def text_hash(client: redis.Redis, key: str) -> dict[str, str]:
    found = await client.hgetall(key)
    return {str(name): str(value) for name, value in found.items()}


async def stored_conversations(
    stack: Stack, customers: list[DrillCustomer]
) -> list[StoredConversation | None]:
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        sessions = GatewayStore(client, 60)
        tickets_of: dict[str, list[str]] = {}  # conversation id -> its ticket ids
        turns_of: dict[str, list[str]] = {}  # conversation id -> its tickets' customer turns
        async for key in client.scan_iter(match=keys.ticket("*"), count=500):
            fields = await text_hash(client, key)
            if fields:
                record = TicketRecord.from_fields(fields)
                tickets_of.setdefault(record.conversation_id, []).append(record.ticket.ticket_id)
                turns = [turn.text for turn in record.ticket.customer_turns]
                turns_of.setdefault(record.conversation_id, []).extend(turns)
        found: list[StoredConversation | None] = []
        for customer in customers:
            conversation_id = (
                await sessions.conversation_id(customer.session_id) if customer.session_id else None
            )
            if conversation_id is None:
                found.append(None)
                continue
            tracker = await client.get(f"tracker:{conversation_id}")
            events = json.loads(tracker)["events"] if tracker else []
            tracker_texts = [str(e.get("text") or "") for e in events if e.get("event") == "user"]
            ticket_texts = turns_of.get(conversation_id, [])
            ids = tickets_of.get(conversation_id, [])
            found.append(StoredConversation(tracker_texts, ticket_texts, ids, conversation_id))
        return found
    finally:
        await client.aclose()


async def drill(
    stack: Stack, target: str, number: int, questions: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    gateway = stack.config.gateway_url
    customers = [
        DrillCustomer(gateway, f"127.0.{number + 1}.{index + 2}", args.wait)
        for index in range(args.conversations)
    ]
    stop = asyncio.Event()
    think = (args.think_min, args.think_max)
    plans = scripts(args.conversations, questions, first_tag=number * 100_000)
    tasks = [
        asyncio.create_task(talk(customer, plan, random.uniform(0, args.think_max), think, stop))
        for customer, plan in zip(customers, plans, strict=True)
    ]
    probe_address = f"127.0.{number + 1}.250"
    await asyncio.sleep(args.warm_up)
    sent_before = sum(len(customer.record.messages) for customer in customers)
    killed_at = time.monotonic()
    pid = kill(stack, target)
    print(f"[chaos] {target}: killed pid {pid} under {args.conversations} customers", flush=True)
    recovered = await until_recovered(gateway, probe_address, killed_at, PROBE)
    print(f"[chaos] {target}: answering again after {recovered} s", flush=True)
    await asyncio.sleep(args.margin)
    stop.set()
    await asyncio.wait(tasks, timeout=args.wait + 60)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    seconds = time.monotonic() - killed_at + args.warm_up
    await all_running(stack)
    stored = await stored_conversations(stack, customers)
    figures = drill_figures([customer.record for customer in customers], stored)
    reply_seconds = [s for c in customers for s in c.reply_seconds]
    lost = lost_messages([customer.record for customer in customers], stored)
    return {
        "target": target,
        **figures,
        "recovered_seconds": recovered,
        "sent_before_kill": sent_before,
        "messages_per_second": round(figures["sent"] / seconds, 2),
        "reply_seconds_p50": round(percentile(reply_seconds, 0.5), 2) if reply_seconds else None,
        "reply_seconds_p95": round(percentile(reply_seconds, 0.95), 2) if reply_seconds else None,
        "lost_messages": [f"{conversation} {tag}" for conversation, tag in lost[:20]],
        "silent_messages": [
            f"{kept.conversation_id if kept else '?'} {m.tag}"
            for c, kept in zip(customers, stored, strict=True)
            for m in c.record.messages
            if m.silent
        ][:20],
        "silent_sent_after_kill_seconds": sorted(
            round(m.sent_at - killed_at, 1)
            for c in customers
            for m in c.record.messages
            if m.silent
        ),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    questions = answerable_questions(ROOT / "data" / "kb_questions.yml")
    started = time.monotonic()
    drills: list[dict[str, Any]] = []
    async with throwaway_stack(with_gateway=True) as stack:
        supervision = asyncio.create_task(stack.supervise())
        try:
            for number, target in enumerate(args.drills):
                await all_running(stack)
                drills.append(await drill(stack, target, number, questions, args))
                print(json.dumps(drills[-1]), flush=True)
        finally:
            if args.keep_logs is not None:
                shutil.copytree(stack.log_dir, args.keep_logs, dirs_exist_ok=True)
            supervision.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervision
    held = all(d["lost"] == 0 and d["duplicated"] == 0 and d["silent"] == 0 for d in drills)
    return {
        "command": " ".join(["python -m benchmarks.chaos", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "bar": "every drill: lost = 0, duplicated = 0, silent = 0",
        "met": held,
        "conversations": args.conversations,
        "think_seconds": [args.think_min, args.think_max],
        "warm_up_seconds": args.warm_up,
        "margin_seconds": args.margin,
        "wait_seconds": args.wait,
        "redis_appendfsync": appendfsync(),
        "run_seconds": round(time.monotonic() - started),
        "drills": drills,
    }


def appendfsync() -> str:
    for line in (ROOT / "config" / "redis.conf").read_text().splitlines():
        if line.startswith("appendfsync"):
            return line.split()[1]
    return "everysec"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--drills", type=lambda text: text.split(","), default=list(DRILLS))
    parser.add_argument("--think-min", type=float, default=15.0)
    parser.add_argument("--think-max", type=float, default=35.0)
    parser.add_argument("--warm-up", type=float, default=30.0)
    parser.add_argument("--margin", type=float, default=20.0)
    parser.add_argument("--wait", type=float, default=60.0, help="seconds a customer waits")
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--keep-logs", type=Path, help="copy the stack's logs here at the end")
    args = parser.parse_args()
    unknown = set(args.drills) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drills {sorted(unknown)}; the drills are {', '.join(DRILLS)}")
    result = asyncio.run(run(args))
    write_result(result, args.out)
    if not result["met"]:
        raise SystemExit("[chaos] a drill lost, duplicated or left a message in silence")


if __name__ == "__main__":
    main()
