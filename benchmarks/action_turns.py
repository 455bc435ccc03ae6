"""An order action turn beside a knowledge-base answer, interleaved on one stack (issue 19).

    python -m benchmarks.action_turns [--rounds 120] [--long-every 6] [--long-turns 20]

Starts its own stack (Redis, the sample shop's order service, service, action server, Rasa
with the trained model) on free loopback ports. Before the shop starts, its database gets the
sample orders (order_service/seed.py) and one small delivered order per refund to make (one
item of $19.99-$89.99, within the assistant's $100 refund limit; order numbers from HL-900000,
which the sample orders never use): a refund takes what is left to refund, so every refund
needs an order of its own. Every customer gives the order's right email, so no verification
attempt fails (commerce/identity.py's AttemptLimits count failures only).

Each round, in a rotating order, over Rasa's REST webhook, each in a fresh conversation:
- knowledge base: "hello", then two questions the stack answers with an article (turns 2 and
  3, both timed);
- status: "where is my order?", the order number, then the order's email (timed): the form's
  validation verifies the pair (service -> shop) and action_order_request reads the live
  status (service -> shop); a sample order, its status cycled through the sample cases;
- refund: "I want a refund", the number, the email (Rasa asks "Shall I refund ...?"), then
  "yes" (timed): action_order_confirm -> POST /commerce/orders/refund -> the shop refunds.
A turn counts only when its reply is the expected one (article link / the order's status /
"Done: a refund of"); the others are listed. Every `--long-every` rounds a long conversation
(`--long-turns` turns of answered questions and "thanks", then a timed question, then the
status flow, timed) shows whether the action turn grows with the conversation more than a
knowledge-base turn does (Rasa's own growth).

Where the time goes, per kind: Rasa's steps from the tracker's own event timestamps (read from
Redis after the turn, untimed): until the user event (HTTP, tracker read, NLU with the
service's sentence vector), each action (its policy prediction and its run, action-server
calls included), then the tracker saved and the reply sent; the service's own time per route
(its Prometheus request histogram, sum / count over the measured rounds); the shop's answer to
a plain order read, timed from here once per round. Reports n, median, p95, mean per kind and
the ratios to the knowledge-base answer; the bar: p95(action) <= 1.5 x p95(knowledge base).
JSON in benchmarks/results/action_turns.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as redis

from benchmarks.bench_stack import (
    RULE_MESSAGES,
    answerable_questions,
    answered_questions,
    write_result,
)
from benchmarks.stats import percentile
from benchmarks.turn_breakdown import CODE_PATHS
from infra.clock import iso_utc
from order_service import catalog
from order_service.schema import open_database
from order_service.seed import INSERTS, Rows, seed_if_empty
from order_service.seed_plans import CASE_PLANS, CASES, CUSTOMERS
from stack.config import ROOT, StackConfig
from stack.processes import order_service_spec, stack_specs
from stack.supervisor import Stack, free_port

RESULT = ROOT / "benchmarks" / "results" / "action_turns.json"
BAR_P95_RATIO = 1.5
KB, STATUS, REFUND = "knowledge_base_answer", "status_turn", "refund_confirm_turn"
STATUS_CASES = (
    "placed",
    "label_created",
    "in_transit",
    "delayed",
    "delivered_recently",
    "delivered_long_ago",
    "cancelled",
    "high_value",
)
REFUND_PRODUCTS = (
    catalog.GLOW_2_PACK,
    catalog.HEARTHLY_PLUG,
    catalog.CAM_MOUNT,
    catalog.HEARTHLY_HUB,
    catalog.SENTINEL_CAM,
)
FIRST_BENCH_ORDER = 900_000  # the sample orders are HL-100xxx and HL-200000..899999
WARM_UP_ROUNDS = 3
OFFER_MARKERS = ("talk to a person",)  # utter_offer_human (bot/domain/handoff.yml)
ROUTE_METRIC = re.compile(
    r"^support_request_duration_seconds_(sum|count)\{([^}]*)\} ([-+0-9.eE]+|NaN)$"
)
LABEL = re.compile(r'(\w+)="([^"]*)"')


# --- the shop's orders -------------------------------------------------------------------


def bench_order_number(index: int) -> str:
    return f"HL-{FIRST_BENCH_ORDER + index}"


def bench_order_email(index: int) -> str:
    return CUSTOMERS[index % len(CUSTOMERS)][1]


def bench_order_rows(count: int, today: date) -> Rows:
    """`count` delivered one-item orders (delivered 3 days ago), each refundable in full
    within the assistant's refund limit."""
    rows = Rows()
    noon = datetime.combine(today, datetime.min.time(), timezone.utc) + timedelta(hours=12)
    for index in range(count):
        number, product = bench_order_number(index), REFUND_PRODUCTS[index % len(REFUND_PRODUCTS)]
        name, email = CUSTOMERS[index % len(CUSTOMERS)]
        placed, shipped, delivered = (noon - timedelta(days=days) for days in (8, 7, 3))
        price = product.unit_price_cents
        rows.orders.append((number, email, name, iso_utc(placed), "delivered", price))
        rows.items.append(
            (number, product.sku, product.name, 1, price, product.final_sale, product.kind)
        )
        tracking = f"1ZBENCH{index:011d}"
        rows.shipments.append(
            (
                number,
                "UPS",
                tracking,
                f"https://www.ups.com/track?tracknum={tracking}",
                "delivered",
                iso_utc(shipped),
                delivered.date().isoformat(),
                iso_utc(delivered),
            )
        )
    return rows


async def prepare_shop(path: Path, refund_orders: int, today: date) -> None:
    """The shop's database before it starts: the sample orders and the benchmark's own."""
    db = await open_database(path)
    try:
        await seed_if_empty(db, today)
        rows = bench_order_rows(refund_orders, today)
        await db.execute("BEGIN IMMEDIATE")
        for table, sql in INSERTS.items():
            await db.executemany(sql, getattr(rows, table))
        await db.execute("COMMIT")
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def stack_with_orders(refund_orders: int) -> AsyncIterator[Stack]:
    """The stack on free loopback ports, state in a temp folder, the shop prepared first."""
    ports = ("REDIS_PORT", "SERVICE_PORT", "ACTIONS_PORT", "RASA_PORT", "ORDER_SERVICE_PORT")
    with tempfile.TemporaryDirectory() as var_dir:
        config = StackConfig.from_env(
            {name: str(free_port()) for name in ports}
            | {"KB_EMBEDDING_CACHE_DIR": str(ROOT / "var" / "cache" / "embeddings")},
            var_dir=Path(var_dir),
        )
        shop_db = Path(order_service_spec(config).env["ORDER_SERVICE_DB"])
        await prepare_shop(shop_db, refund_orders, datetime.now(timezone.utc).date())
        async with Stack(config, stack_specs(config), echo=None) as stack:
            yield stack


# --- figures (pure) ----------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


def against_kb(kind: dict[str, float], kb: dict[str, float]) -> dict[str, Any]:
    ratio = round(kind["p95_ms"] / kb["p95_ms"], 2)
    return {
        "ratio_median": round(kind["median_ms"] / kb["median_ms"], 2),
        "ratio_p95": ratio,
        "met": ratio <= BAR_P95_RATIO,
    }


def rasa_steps(
    events: list[dict[str, Any]], posted_at: float, answered_at: float
) -> list[tuple[str, float]]:
    """The last turn of a tracker cut at its own event timestamps (seconds since the epoch, as
    Rasa stamps them; `posted_at` and `answered_at` on the same clock), in ms: until the user
    event (HTTP, tracker read, NLU), each action until it was logged (its prediction and its
    run), then until the reply arrived (the tracker saved, the answer sent). An action run
    twice in a turn is named `name#2`."""
    last_user = max(i for i, event in enumerate(events) if event.get("event") == "user")
    previous = float(events[last_user]["timestamp"])
    steps = [("until the user event (NLU)", (previous - posted_at) * 1000)]
    seen: Counter[str] = Counter()
    for event in events[last_user + 1 :]:
        if event.get("event") != "action":
            continue
        seen[event["name"]] += 1
        name = event["name"] + (f"#{seen[event['name']]}" if seen[event["name"]] > 1 else "")
        stamp = float(event["timestamp"])
        steps.append((name, (stamp - previous) * 1000))
        previous = stamp
    steps.append(("tracker saved and reply sent", (answered_at - previous) * 1000))
    return steps


def steps_summary(turns: list[list[tuple[str, float]]]) -> dict[str, Any]:
    """Per step name, in the order the most common sequence has them: n and median ms."""
    sequences = Counter(tuple(name for name, _ in steps) for steps in turns)
    order = list(sequences.most_common(1)[0][0]) if sequences else []
    times: dict[str, list[float]] = {}
    for steps in turns:
        for name, ms in steps:
            times.setdefault(name, []).append(ms)
    order += [name for name in times if name not in order]
    return {
        "sequence_seen": {" > ".join(seq): n for seq, n in sequences.most_common()},
        "median_ms": {name: round(statistics.median(times[name]), 1) for name in order},
        "n": {name: len(times[name]) for name in order},
    }


def route_totals(metrics_text: str) -> dict[str, dict[str, float]]:
    """The service's request time per route: {route: {"sum": seconds, "count": n}}, every
    method and status added up (Prometheus text format)."""
    totals: dict[str, dict[str, float]] = {}
    for line in metrics_text.splitlines():
        match = ROUTE_METRIC.match(line)
        if match is None:
            continue
        part, labels, value = match.groups()
        route = dict(LABEL.findall(labels)).get("route", "?")
        totals.setdefault(route, {"sum": 0.0, "count": 0.0})[part] += float(value)
    return totals


def route_means(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """What the routes answered between two readings: n and mean ms, busiest first."""
    means = {}
    for route, now in after.items():
        then = before.get(route, {"sum": 0.0, "count": 0.0})
        count = now["count"] - then["count"]
        if count > 0:
            mean = (now["sum"] - then["sum"]) / count * 1000
            means[route] = {"n": int(count), "mean_ms": round(mean, 2)}
    return dict(sorted(means.items(), key=lambda item: -item[1]["n"]))


def growth(short: list[float], long: list[float]) -> dict[str, float]:
    """Medians of a kind's turn early in a conversation and after many turns."""
    early, late = statistics.median(short), statistics.median(long)
    return {
        "short_median_ms": round(early, 1),
        "long_median_ms": round(late, 1),
        "long_over_short": round(late / early, 3),
        "long_minus_short_ms": round(late - early, 1),
    }


def code_state() -> dict[str, Any]:
    """The commit and the files of the turn's code changed but not committed when the run
    started (others work in the same tree; `git status` only reads)."""

    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True).stdout

    paths = (*CODE_PATHS, "commerce", "order_service", "stack")
    changed = git("status", "--porcelain", "--untracked-files=no", "--", *paths)
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "uncommitted_code_changes": [line[3:] for line in changed.splitlines() if line.strip()],
    }


# --- the run -------------------------------------------------------------------------------


@dataclass
class Run:
    stack: Stack
    session: aiohttp.ClientSession
    store: redis.Redis
    questions: list[str] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=dict)
    steps: dict[str, list[list[tuple[str, float]]]] = field(default_factory=dict)
    unexpected: list[dict[str, str]] = field(default_factory=list)
    offers: int = 0
    shop_reads: list[float] = field(default_factory=list)
    refunds_made: int = 0
    asked: int = 0

    @property
    def url(self) -> str:
        return f"{self.stack.config.rasa_url}/webhooks/rest/webhook"

    async def say(self, sender: str, text: str) -> tuple[float, float, float, str]:
        """(ms, posted at, answered at, the reply's text) of one message."""
        posted_at, started = time.time(), time.perf_counter()
        async with self.session.post(self.url, json={"sender": sender, "message": text}) as answer:
            answer.raise_for_status()
            replies = await answer.json()
        elapsed, answered_at = (time.perf_counter() - started) * 1000, time.time()
        words = "\n".join(str(r.get("text", "")) for r in replies)
        self.offers += any(marker in words for marker in OFFER_MARKERS)
        return elapsed, posted_at, answered_at, words

    async def timed(self, kind: str, sender: str, text: str, ok: Callable[[str], bool]) -> None:
        """One measured turn: kept with its Rasa steps when the reply is the expected one."""
        elapsed, posted_at, answered_at, words = await self.say(sender, text)
        if not ok(words):
            self.unexpected.append({"kind": kind, "sent": text, "reply": words[:300]})
            return
        self.times.setdefault(kind, []).append(elapsed)
        stored = await self.store.get(f"tracker:{sender}")
        events = json.loads(stored)["events"] if stored else []
        if any(event.get("event") == "user" for event in events):
            self.steps.setdefault(kind, []).append(rasa_steps(events, posted_at, answered_at))

    def question(self) -> str:
        self.asked += 1
        return self.questions[self.asked % len(self.questions)]

    async def kb_conversation(self, kind: str = KB) -> None:
        sender = f"bench-kb-{secrets.token_hex(6)}"
        await self.say(sender, "hello")
        for _ in range(2):
            await self.timed(kind, sender, self.question(), lambda words: "/articles/" in words)

    async def status_conversation(
        self, round_number: int, sender: str = "", kind: str = STATUS
    ) -> None:
        case = STATUS_CASES[round_number % len(STATUS_CASES)]
        number, email = CASES[case], CUSTOMERS[CASE_PLANS[case].customer][1]
        sender = sender or f"bench-status-{secrets.token_hex(6)}"
        await self.say(sender, "where is my order?")
        await self.say(sender, number)
        await self.timed(kind, sender, email, lambda words: f"Order {number} (" in words)

    async def refund_conversation(self) -> None:
        index = self.refunds_made
        self.refunds_made += 1
        number, email = bench_order_number(index), bench_order_email(index)
        sender = f"bench-refund-{secrets.token_hex(6)}"
        await self.say(sender, "I want a refund")
        await self.say(sender, number)
        *_, words = await self.say(sender, email)
        if "Shall I refund" not in words:
            self.unexpected.append({"kind": REFUND, "sent": email, "reply": words[:300]})
            return
        await self.timed(REFUND, sender, "yes", lambda words: "Done: a refund of" in words)

    async def long_conversation(self, round_number: int, turns: int) -> None:
        """`turns` turns of answered questions and thanks, then one timed question and the
        status flow with its timed last turn, in the same conversation."""
        sender = f"bench-long-{secrets.token_hex(6)}"
        await self.say(sender, "hello")
        for turn in range(turns):
            text = self.question() if turn % 2 == 0 else RULE_MESSAGES[turn % len(RULE_MESSAGES)]
            await self.say(sender, text)
        await self.timed(f"{KB}_long", sender, self.question(), lambda w: "/articles/" in w)
        await self.status_conversation(round_number, sender, f"{STATUS}_long")

    async def shop_read(self, round_number: int) -> None:
        """One order read from the shop's own API, timed here (the shop's share of a call)."""
        config = self.stack.config
        number = CASES[STATUS_CASES[round_number % len(STATUS_CASES)]]
        headers = {"Authorization": f"Bearer {config.order_service_token}"}
        started = time.perf_counter()
        async with self.session.get(f"{config.shop_url}/v1/orders/{number}", headers=headers) as r:
            r.raise_for_status()
            await r.read()
        self.shop_reads.append((time.perf_counter() - started) * 1000)

    async def service_routes(self) -> dict[str, dict[str, float]]:
        config = self.stack.config
        headers = {"Authorization": f"Bearer {config.service_token}"}
        async with self.session.get(f"{config.service_url}/metrics", headers=headers) as r:
            r.raise_for_status()
            return route_totals(await r.text())

    async def one_round(self, number: int) -> None:
        kinds = [self.kb_conversation, self.refund_conversation]
        kinds.insert(1, lambda: self.status_conversation(number))
        for step in range(3):
            await kinds[(number + step) % 3]()
        await self.shop_read(number)


async def measure(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=60)
    store = redis.Redis.from_url(stack.config.redis.url)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        run = Run(stack, session, store)
        try:
            candidates = answerable_questions(args.questions)
            run.questions = await answered_questions(
                session, run.url, candidates, opening="hello", limit=args.kb_questions
            )
            for number in range(WARM_UP_ROUNDS):
                await run.one_round(number)
            run.times, run.steps, run.unexpected, run.shop_reads = {}, {}, [], []
            run.offers = 0
            before = await run.service_routes()
            started = time.perf_counter()
            for number in range(args.rounds):
                await run.one_round(number)
                if args.long_every and number % args.long_every == args.long_every - 1:
                    await run.long_conversation(number, args.long_turns)
            seconds = time.perf_counter() - started
            routes = route_means(before, await run.service_routes())
        finally:
            await store.aclose()
    return figures(run, routes, seconds)


def figures(run: Run, routes: dict[str, dict[str, float]], seconds: float) -> dict[str, Any]:
    kinds = {kind: summary(values) for kind, values in run.times.items()}
    kb = kinds[KB]
    result: dict[str, Any] = {
        "measured_seconds": round(seconds, 1),
        "bar": f"p95 of an action turn <= {BAR_P95_RATIO} x p95 of a knowledge-base answer",
        "met": all(against_kb(kinds[kind], kb)["met"] for kind in (STATUS, REFUND)),
        KB: kb,
    }
    for kind in (STATUS, REFUND):
        result[kind] = kinds[kind] | against_kb(kinds[kind], kb)
    if f"{STATUS}_long" in run.times:
        result["conversation_length"] = {
            KB: growth(run.times[KB], run.times[f"{KB}_long"]),
            STATUS: growth(run.times[STATUS], run.times[f"{STATUS}_long"]),
        }
    result["where_the_time_goes"] = {
        "rasa_steps": {kind: steps_summary(turns) for kind, turns in run.steps.items()},
        "service_routes": routes,
        "shop_order_read": summary(run.shop_reads),
    }
    result["unexpected_replies"] = run.unexpected
    result["replies_offering_a_person"] = run.offers
    result["refunds_made_with_warm_up"] = run.refunds_made
    result["questions_used"] = len(run.questions)
    return result


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    code = code_state()
    load_before = os.getloadavg()
    refunds = args.rounds + WARM_UP_ROUNDS
    async with stack_with_orders(refunds) as stack:
        figures_ = await measure(stack, args)
    return {
        "command": "python -m benchmarks.action_turns " + " ".join(sys.argv[1:]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **code,
        "cores": os.cpu_count(),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        **figures_,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=120, help="each: 2 KB, 1 status, 1 refund")
    parser.add_argument("--long-every", type=int, default=6, help="0: no long conversations")
    parser.add_argument("--long-turns", type=int, default=20)
    parser.add_argument("--kb-questions", type=int, default=30)
    parser.add_argument("--questions", type=Path, default=ROOT / "data" / "kb_questions.yml")
    parser.add_argument("--json", type=Path, default=RESULT)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
