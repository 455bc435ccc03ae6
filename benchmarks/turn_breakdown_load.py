"""The load of the per-turn breakdown: conversations of knowledge-base questions and rule
messages through Rasa's REST webhook, one or several at a time, each turn timed."""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from dataclasses import dataclass, field

import aiohttp

RULE_MESSAGES = ["thanks", "thank you!", "thanks a lot", "cheers, thanks"]


@dataclass
class LoadResult:
    """What one phase of load did: each turn's kind ("kb" or "rule") and latency in ms."""

    turns: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, kind: str | None = None) -> int:
        return sum(1 for turn_kind, _ in self.turns if kind in (None, turn_kind))

    def mean_ms(self, kind: str | None = None) -> float:
        values = [ms for turn_kind, ms in self.turns if kind in (None, turn_kind)]
        return round(statistics.fmean(values), 1) if values else 0.0

    def summary(self) -> dict[str, float | int]:
        return {
            "turns": self.count(),
            "kb_turns": self.count("kb"),
            "rule_turns": self.count("rule"),
            "seconds": round(self.seconds, 1),
            "turns_per_second": round(self.count() / self.seconds, 2) if self.seconds else 0.0,
            "mean_ms": self.mean_ms(),
            "kb_mean_ms": self.mean_ms("kb"),
            "rule_mean_ms": self.mean_ms("rule"),
        }


def conversation_script(questions: list[str], start: int, turns: int) -> list[tuple[str, str]]:
    """`turns` messages alternating a knowledge-base question and a rule message ("thanks")."""
    script = []
    for turn in range(turns):
        if turn % 2 == 0:
            script.append(("kb", questions[(start + turn // 2) % len(questions)]))
        else:
            script.append(("rule", RULE_MESSAGES[(start + turn // 2) % len(RULE_MESSAGES)]))
    return script


async def one_conversation(
    session: aiohttp.ClientSession, url: str, script: list[tuple[str, str]], result: LoadResult
) -> None:
    sender = f"breakdown-{secrets.token_hex(6)}"
    for kind, text in script:
        started = time.perf_counter()
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            response.raise_for_status()
            await response.json()
        result.turns.append((kind, (time.perf_counter() - started) * 1000))


async def run_load(
    rasa_url: str,
    questions: list[str],
    *,
    conversations: int,
    turns: int,
    concurrency: int,
    first_question: int = 0,
) -> LoadResult:
    """`conversations` conversations of `turns` turns, at most `concurrency` at a time."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    result = LoadResult()
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def gated(number: int) -> None:
            script = conversation_script(questions, first_question + number * turns, turns)
            async with gate:
                await one_conversation(session, url, script, result)

        started = time.perf_counter()
        await asyncio.gather(*(gated(number) for number in range(conversations)))
        result.seconds = time.perf_counter() - started
    return result
