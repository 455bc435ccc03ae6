"""Our stack beside a plain Rasa bot on the same cores, in one run (`make bench-vs-rasa`).

    python -m benchmarks.vs_rasa [--conversations 20] [--concurrent 50] [--rounds 3]

The baseline is what a team would otherwise deploy first: the bot `rasa init` makes
(benchmarks/plain_rasa.py; in-memory tracker store, as `rasa init` configures it), and, as a
second baseline, the same bot with Rasa's Redis tracker store, so the cost of Redis shows on
its own. All three serve from one process set started together: our stack (Redis, service,
action server, Rasa, public gateway) and the two plain bots.

Measured through REST (Rasa's webhook; our stack's Rasa directly) and socket.io (our gateway,
as the widget uses it, vs Rasa's own socket.io channel):
The questions are the first 30 of data/kb_questions.yml that our stack answers with an article
and both plain bots reply to (a turn with no reply cannot be timed through socket.io).
- concurrency 1: conversations of 10 turns (greeting, then questions and thanks), the systems
  taking turns message by message; p50/p95 per kind of turn;
- growth: conversations of 20 turns the same way; turn 20's median over turn 2's;
- concurrency N (50): N conversations of 10 turns at once, the systems taking turns round by
  round; throughput and p95 per round, medians over the rounds. Through the gateway all
  conversations come from one address (an office behind NAT) through one trusted reverse
  proxy (127.0.0.1, with X-Forwarded-For), under the gateway's default rate limits; refusals
  are counted.

Ratios (top-level "ratios", from REST, as the bars in issue 15 are set): our stack over Rasa
alone. `turn20_over_turn2` divides Rasa alone's own growth out. The JSON goes to
benchmarks/results/vs_rasa.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.bench_stack import (
    answerable_questions,
    answered_questions,
    throwaway_stack,
    timed_message,
    write_result,
)
from benchmarks.plain_rasa import PLAIN_BOT_DIR, plain_rasa_spec, prepare
from benchmarks.vs_rasa_clients import (
    RestConversation,
    SocketConversation,
    Target,
)
from benchmarks.vs_rasa_runs import (
    OpenConversation,
    by_kind,
    concurrent,
    growth,
    median_of_rounds,
    sequential,
)
from stack.config import ROOT, StackConfig
from stack.processes import ProcessSpec
from stack.supervisor import Stack, free_port

STACK, ALONE, ALONE_REDIS = "stack", "rasa_alone", "rasa_alone_redis"
GROWTH_TURNS = 20
OFFICE_ADDRESS = "198.51.100.7"


def baselines(ports: dict[str, int]) -> Callable[[StackConfig], list[ProcessSpec]]:
    def specs(config: StackConfig) -> list[ProcessSpec]:
        return [
            plain_rasa_spec(ALONE, ports[ALONE]),
            plain_rasa_spec(ALONE_REDIS, ports[ALONE_REDIS], redis_port=config.redis.port),
        ]

    return specs


def targets(stack: Stack, ports: dict[str, int]) -> dict[str, dict[str, Target]]:
    """Per transport, the three systems."""
    rasa, gateway = stack.config.rasa_url, stack.config.gateway_url
    alone = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    rest = {STACK: Target(STACK, rasa, f"{rasa}/webhooks/rest/webhook", rasa)}
    socket = {STACK: Target(STACK, gateway, "", gateway, {"Origin": gateway})}
    for name, url in alone.items():
        rest[name] = Target(name, url, f"{url}/webhooks/rest/webhook", url, may_stay_silent=True)
        socket[name] = Target(name, url, "", url, may_stay_silent=True)
    return {"rest": rest, "socketio": socket}


def openers(http: aiohttp.ClientSession) -> dict[str, Any]:
    def rest(target: Target, number: int) -> RestConversation:
        return RestConversation(target, http)

    def socket(target: Target, number: int) -> SocketConversation:
        # the harder case: every customer behind one office NAT and the site's one trusted
        # reverse proxy (the loopback peer), so all share one forwarded address
        return SocketConversation(target, OFFICE_ADDRESS)

    return {"rest": rest, "socketio": socket}


async def measure_transport(
    systems: dict[str, Target],
    opener: OpenConversation,
    questions: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    names = list(systems)
    calm = await sequential(list(systems.values()), opener, questions, args.conversations, 10)
    long = await sequential(
        list(systems.values()), opener, questions, args.conversations, GROWTH_TURNS
    )
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_number in range(args.rounds):
        for name in names[round_number % len(names) :] + names[: round_number % len(names)]:
            first = 1000 * (round_number + 1)
            rounds[name].append(
                await concurrent(systems[name], opener, questions, args.concurrent, 10, first)
            )
    return {
        name: {
            "concurrency_1": by_kind(calm, name),
            "growth": growth(long, name, GROWTH_TURNS),
            f"concurrency_{args.concurrent}": median_of_rounds(rounds[name]),
        }
        for name in names
    }


def ratios(figures: dict[str, Any], baseline: str, concurrency: int) -> dict[str, float | None]:
    ours, alone = figures[STACK], figures[baseline]
    loaded = f"concurrency_{concurrency}"

    def ratio(*path: str) -> float | None:
        a, b = ours, alone
        for key in path:
            a, b = a[key], b[key]
        return round(a / b, 2) if a is not None and b else None

    return {
        "rule_p50": ratio("concurrency_1", "rule", "p50_ms"),
        "greeting_p50": ratio("concurrency_1", "greeting", "p50_ms"),
        "kb_p50": ratio("concurrency_1", "kb", "p50_ms"),
        "throughput_50": ratio(loaded, "throughput_msg_s"),
        "p95_50": ratio(loaded, "p95_ms"),
        "turn20_over_turn2": ratio("growth", "last_over_turn2"),
    }


async def replied_by_all(
    http: aiohttp.ClientSession, rest_urls: list[str], questions: list[str], limit: int
) -> list[str]:
    """The first `limit` questions every plain bot replies to, each asked after "hello" in a
    fresh conversation: a `rasa init` bot trained on another machine can stay silent on some,
    and a turn with no reply cannot be timed through socket.io. Both systems get the same
    questions."""
    kept: list[str] = []
    for number, question in enumerate(questions):
        replied = True
        for url in rest_urls:
            sender = f"bench-pick-alone-{number}-{secrets.token_hex(4)}"
            await timed_message(http, url, sender, "hello")
            replied = replied and bool((await timed_message(http, url, sender, question))[1])
        if replied:
            kept.append(question)
        if len(kept) == limit:
            return kept
    raise RuntimeError(f"the plain bots replied to {len(kept)} questions, fewer than {limit}")


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    prepare(PLAIN_BOT_DIR)
    ports = {ALONE: free_port(), ALONE_REDIS: free_port()}
    env = {"GATEWAY_TRUSTED_PROXIES": "127.0.0.1"}  # the gateway's rate limits stay at default
    load_before = os.getloadavg()
    timeout = aiohttp.ClientTimeout(total=120)
    async with throwaway_stack(with_gateway=True, env=env, extra=baselines(ports)) as stack:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            systems = targets(stack, ports)
            answered = await answered_questions(
                http,
                f"{stack.config.rasa_url}/webhooks/rest/webhook",
                answerable_questions(ROOT / "data" / "kb_questions.yml"),
            )
            baselines_rest = [systems["rest"][name].rest_url for name in (ALONE, ALONE_REDIS)]
            questions = await replied_by_all(http, baselines_rest, answered, limit=30)
            open_by = openers(http)
            figures = {}
            for transport in ("rest", "socketio"):
                figures[transport] = await measure_transport(
                    systems[transport], open_by[transport], questions, args
                )
    socket_loaded = figures["socketio"][STACK][f"concurrency_{args.concurrent}"]
    return {
        "command": "python -m benchmarks.vs_rasa " + " ".join(sys.argv[1:]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "ratios": ratios(figures["rest"], ALONE, args.concurrent),
        "refused_behind_proxy": socket_loaded["refused"],
        "ratios_vs_redis_tracker": ratios(figures["rest"], ALONE_REDIS, args.concurrent),
        "ratios_socketio": ratios(figures["socketio"], ALONE, args.concurrent),
        "questions": len(questions),
        "figures": figures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=20, help="at concurrency 1")
    parser.add_argument("--concurrent", type=int, default=50, help="conversations at once")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per system under load")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "vs_rasa.json"
    )
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
