"""Handoff latency: from the customer's "a person, please" to the ticket stored and routed.

    python -m benchmarks.handoff_latency [--handoffs 100] [--questions data/kb_questions.yml]

Starts its own stack (Redis, service, action server, Rasa with the trained model) on free
loopback ports. Each handoff is a new customer who first asks a question (untimed: it gives the
ticket a conversation to package) and then asks for a person; the time is from sending that
message to Rasa's reply, which comes after the action server's `POST /handoff/tickets` returned,
i.e. after the ticket was built (masking, transcript, spaCy NER, summary), routed, stored in
Redis and placed. Every reply is checked to carry a ticket (slot `handoff_ticket_id` in Redis).
A plain rule reply ("thanks") is timed in the same conversations, interleaved, for the ratio.
Questions differ per customer, so no incident links the tickets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from pathlib import Path

import aiohttp
import redis.asyncio as redis
import yaml

from benchmarks.bench_stack import throwaway_stack, write_result
from benchmarks.reply_latency import summary, timed_message
from stack.config import ROOT
from stack.supervisor import Stack

REQUEST = "I'd like to talk to a real person please"


async def ticket_of(client: redis.Redis, sender: str) -> str | None:
    stored = await client.get(f"tracker:{sender}")
    if stored is None:
        return None
    ticket = None
    for event in json.loads(stored)["events"]:
        if event.get("event") == "slot" and event.get("name") == "handoff_ticket_id":
            ticket = event.get("value")
    return ticket


async def measure(stack: Stack, questions: list[str], count: int) -> dict:
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    handoff_times: list[float] = []
    rule_times: list[float] = []
    missing = 0
    client = redis.Redis.from_url(stack.config.redis.url)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            for warm_up in range(3):
                sender = f"warm-up-{warm_up}"
                await timed_message(session, url, sender, questions[-1 - warm_up])
                await timed_message(session, url, sender, REQUEST)
            for number in range(count):
                sender = f"handoff-{number}-{secrets.token_hex(4)}"
                await timed_message(session, url, sender, questions[number % len(questions)])
                elapsed, _ = await timed_message(session, url, sender, "thanks")
                rule_times.append(elapsed)
                elapsed, _ = await timed_message(session, url, sender, REQUEST)
                handoff_times.append(elapsed)
                if not await ticket_of(client, sender):
                    missing += 1
    finally:
        await client.aclose()
    handoff, rule = summary(handoff_times), summary(rule_times)
    return {
        "handoff": handoff,
        "rule_response": rule,
        "ratio_p50": round(handoff["p50_ms"] / rule["p50_ms"], 2),
        "ratio_p95": round(handoff["p95_ms"] / rule["p95_ms"], 2),
        "handoffs_without_ticket": missing,
    }


async def main_async(args: argparse.Namespace) -> dict:
    data = yaml.safe_load(args.questions.read_text())
    questions = [row["text"] for row in data["questions"]]
    async with throwaway_stack() as stack:
        return await measure(stack, questions, args.handoffs)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--handoffs", type=int, default=100)
    parser.add_argument("--questions", type=Path, default=ROOT / "data" / "kb_questions.yml")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "var" / "results" / "handoff_latency.json"
    )
    args = parser.parse_args()
    if not 1 <= args.handoffs <= 10_000:
        parser.error("--handoffs must be between 1 and 10000")
    result = asyncio.run(main_async(args))
    write_result(result, args.json)
    return 0 if result["handoffs_without_ticket"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
