"""Reply latency through Rasa: knowledge-base answers vs plain rule responses, side by side.

    python -m benchmarks.reply_latency [--messages 200] [--questions data/kb_questions.yml]

Starts its own stack (Redis, service, action server, Rasa with the trained model) on free
loopback ports, warms it up, then sends N knowledge-base questions and N rule messages
("thanks", answered by a rule with utter_you_are_welcome) interleaved one by one, so machine
noise hits both alike. Reports p50/p95/mean per kind and the ratio of medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
from pathlib import Path

import aiohttp

from benchmarks.bench_stack import (
    RULE_MESSAGES,
    answerable_questions,
    throwaway_stack,
    timed_message,
    write_result,
)
from benchmarks.stats import percentile
from stack.config import ROOT
from stack.supervisor import Stack


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


async def measure(stack: Stack, questions: list[str], count: int) -> dict:
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    kb_times: list[float] = []
    rule_times: list[float] = []
    unanswered = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for warm_up in range(5):
            await timed_message(session, url, "warm-up", questions[warm_up])
            await timed_message(session, url, "warm-up", "thanks")
        for number in range(count):
            sender = f"bench-{number // 10}-{secrets.token_hex(4)}"  # short conversations
            elapsed, replies = await timed_message(
                session, url, sender, questions[number % len(questions)]
            )
            kb_times.append(elapsed)
            if "/articles/" not in json.dumps(replies):
                unanswered += 1
            elapsed, replies = await timed_message(
                session, url, sender, RULE_MESSAGES[number % len(RULE_MESSAGES)]
            )
            rule_times.append(elapsed)
    kb, rule = summary(kb_times), summary(rule_times)
    return {
        "knowledge_base_answer": kb,
        "rule_response": rule,
        "ratio_p50": round(kb["p50_ms"] / rule["p50_ms"], 2),
        "ratio_p95": round(kb["p95_ms"] / rule["p95_ms"], 2),
        "kb_messages_without_article_link": unanswered,
    }


async def main_async(args: argparse.Namespace) -> dict:
    questions = answerable_questions(args.questions)
    async with throwaway_stack() as stack:
        return await measure(stack, questions, args.messages)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--questions", type=Path, default=ROOT / "data" / "kb_questions.yml")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "var" / "results" / "reply_latency.json"
    )
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
