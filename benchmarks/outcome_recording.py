"""What recording outcomes costs a turn: reply latency through Rasa with the activity mark on
and off, side by side in one run.

    python -m benchmarks.outcome_recording [--messages 300] [--turns 8]

Starts one stack (Redis, service, action server, Rasa with the trained model) and a second Rasa
server on the same model, Redis and action server, started with OUTCOME_RECORDING=0: its
tracker store does not mark conversations active (rasa_extensions/redacting_tracker_store.py),
everything else is the same. Each message is sent to both, one right after the other, the
order alternating, in conversations of `--turns` turns (a tracker that grows as in real
chats): knowledge-base questions (action server -> service search) and rule messages
("thanks"). Reports p50/p95/mean per server and kind and the difference (on - off); checks
that only the recording server marked its conversations; and times the mark itself (one ZADD
on a synchronous client, as Rasa's) against the same Redis. JSON in
benchmarks/results/outcome_recording.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import redis

from benchmarks.bench_stack import RULE_MESSAGES, answerable_questions, write_result
from benchmarks.stats import percentile
from outcomes import keys
from stack.config import ROOT, StackConfig
from stack.processes import ProcessSpec, rasa_spec, stack_specs
from stack.supervisor import Stack, free_port

RESULT = ROOT / "benchmarks" / "results" / "outcome_recording.json"
BAR_P95_MS = 2.0


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "mean_ms": round(statistics.fmean(values), 2),
    }


def compared(on: list[float], off: list[float]) -> dict[str, Any]:
    first, second = summary(on), summary(off)
    return {
        "recording_on": first,
        "recording_off": second,
        "difference_p50_ms": round(first["p50_ms"] - second["p50_ms"], 2),
        "difference_p95_ms": round(first["p95_ms"] - second["p95_ms"], 2),
        "difference_mean_ms": round(first["mean_ms"] - second["mean_ms"], 2),
        "paired_median_difference_ms": round(
            statistics.median(a - b for a, b in zip(on, off, strict=True)), 2
        ),
    }


def recording_off_spec(config: StackConfig, port: int) -> ProcessSpec:
    """Rasa as the stack runs it, on another port, with the activity mark turned off."""
    spec = rasa_spec(config)
    argv = [str(port) if arg == str(config.rasa_port) else arg for arg in spec.argv]
    return dataclasses.replace(
        spec,
        name="rasa-off",
        argv=argv,
        health_url=f"http://127.0.0.1:{port}/",
        env=spec.env | {keys.RECORDING_SETTING: "0"},
    )


@contextlib.asynccontextmanager
async def two_rasas() -> AsyncIterator[tuple[Stack, str, str]]:
    ports = ("REDIS_PORT", "SERVICE_PORT", "ACTIONS_PORT", "RASA_PORT")
    with tempfile.TemporaryDirectory() as var_dir:
        config = StackConfig.from_env(
            {name: str(free_port()) for name in ports}
            | {"KB_EMBEDDING_CACHE_DIR": str(ROOT / "var" / "cache" / "embeddings")},
            var_dir=Path(var_dir),
        )
        off_port = free_port()
        specs = [*stack_specs(config), recording_off_spec(config, off_port)]
        async with Stack(config, specs, echo=None) as stack:
            yield stack, config.rasa_url, f"http://127.0.0.1:{off_port}"


async def timed(
    session: aiohttp.ClientSession, url: str, sender: str, text: str, silent: list[str]
) -> float:
    """The turn's time; a turn without a reply (Rasa's [] - the bot may just listen, or it
    failed) is noted in `silent`."""
    started = time.perf_counter()
    async with session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as response:
        response.raise_for_status()
        replies = await response.json()
    elapsed = (time.perf_counter() - started) * 1000
    if not replies:
        silent.append(url)
    return elapsed


async def measure(
    on_url: str, off_url: str, questions: list[str], count: int, turns: int, silent: list[str]
) -> dict[str, dict[str, list[float]]]:
    """Latencies by kind (knowledge_base_answer, rule_response) and server (on, off)."""
    times: dict[str, dict[str, list[float]]] = {
        kind: {"on": [], "off": []} for kind in ("knowledge_base_answer", "rule_response")
    }
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for url in (on_url, off_url):  # warm up both
            for number in range(5):
                await timed(session, url, f"warm-{number}", questions[number], [])
                await timed(session, url, f"warm-{number}", "thanks", [])
        senders = {"on": "", "off": ""}
        for number in range(count):
            if number % (turns // 2 or 1) == 0:  # a new conversation every few exchanges
                senders = {side: f"bench-{side}-{secrets.token_hex(4)}" for side in senders}
            exchange = (
                ("knowledge_base_answer", questions[number % len(questions)]),
                ("rule_response", RULE_MESSAGES[number % len(RULE_MESSAGES)]),
            )
            for kind, text in exchange:
                order = ("on", "off") if number % 2 == 0 else ("off", "on")
                for side in order:
                    url = on_url if side == "on" else off_url
                    elapsed = await timed(session, url, senders[side], text, silent)
                    times[kind][side].append(elapsed)
    return times


def mark_cost(redis_url: str, calls: int = 2000) -> dict[str, float]:
    """One ZADD on a synchronous client, as Rasa's tracker store sends it, timed alone."""
    client = redis.Redis.from_url(redis_url)
    samples = []
    try:
        for number in range(calls):
            started = time.perf_counter()
            client.zadd(keys.ACTIVE, {f"bench-mark-{number % 50}": time.time()})
            samples.append((time.perf_counter() - started) * 1000)
        client.zrem(keys.ACTIVE, *(f"bench-mark-{n}" for n in range(50)))
    finally:
        client.close()
    return {**summary(samples), "p99_ms": round(percentile(samples, 0.99), 3)}


def marked(redis_url: str) -> dict[str, int]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        members = [str(member) for member in client.zrange(keys.ACTIVE, 0, -1)]
    finally:
        client.close()
    return {
        "on": sum(m.startswith("bench-on-") for m in members),
        "off": sum(m.startswith("bench-off-") for m in members),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    questions = answerable_questions(args.questions)
    silent: list[str] = []
    async with two_rasas() as (stack, on_url, off_url):
        times = await measure(on_url, off_url, questions, args.messages, args.turns, silent)
        conversations_marked = marked(stack.config.redis.url)
        mark = mark_cost(stack.config.redis.url)
    every_on = [t for kind in times.values() for t in kind["on"]]
    every_off = [t for kind in times.values() for t in kind["off"]]
    overall = compared(every_on, every_off)
    return {
        "command": "python -m benchmarks.outcome_recording "
        f"--messages {args.messages} --turns {args.turns}",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "bar": f"recording adds <= {BAR_P95_MS} ms to a turn's p95",
        "met": overall["difference_p95_ms"] <= BAR_P95_MS,
        "all_turns": overall,
        **{kind: compared(sides["on"], sides["off"]) for kind, sides in times.items()},
        "turns_without_a_reply": {
            "on": silent.count(on_url),
            "off": silent.count(off_url),
        },
        "conversations_marked_active": conversations_marked,
        "the_mark_alone_zadd": mark,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=300, help="exchanges per server")
    parser.add_argument("--turns", type=int, default=8, help="turns per conversation")
    parser.add_argument("--questions", type=Path, default=ROOT / "data" / "kb_questions.yml")
    parser.add_argument("--json", type=Path, default=RESULT)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
