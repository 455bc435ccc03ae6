"""The load of the per-turn breakdown: conversations of knowledge-base questions and rule
messages through Rasa's REST webhook, one or several at a time, each turn timed.

Every message of a run is a text not sent before in that run, as customers' messages are: the
service keeps recent message vectors in memory (knowledge_base/recent_vectors.py), so a load
cycling through a few texts would measure that memory instead of the embedding. Past the end
of a list, a text comes back in a variant that means the same (its first letter's case
swapped, with or without a question mark, after a greeting)."""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from dataclasses import dataclass, field

import aiohttp

RULE_MESSAGES = [  # all answered by the rule "Reply to thanks" (utter_you_are_welcome)
    "thanks",
    "thank you!",
    "thanks a lot",
    "cheers, thanks",
    "thank you so much",
    "thank you very much",
    "thank you kindly",
    "thanks a ton",
    "thanks a bunch",
    "thanks so much",
    "many thanks",
    "thx",
    "thx a lot",
    "ty",
    "tysm",
    "cheers",
    "cheers mate",
    "cheers for that",
    "much appreciated",
    "really appreciate it",
    "appreciate it",
    "appreciate the help",
    "i appreciate your help",
    "thank u",
    "thank u so much",
    "great, thanks",
    "perfect, thank you",
    "thanks for the help",
    "that helps, thanks",
    "thank you for your help",
]
VARIANTS = 6


def variant(text: str, round_number: int) -> str:
    """The same message written a little differently; round 0 is the text itself."""
    kind = round_number % VARIANTS
    if kind == 1:
        return text[:1].swapcase() + text[1:]
    if kind == 2:
        return text.rstrip("?") if text.endswith("?") else text + "?"
    if kind == 3:
        return "hi, " + text
    if kind == 4:
        return "hello " + text
    if kind == 5:
        return "ok " + text
    return text


def distinct_text(texts: list[str], number: int) -> str:
    """The `number`th text of a run: the list, then its variants, each used once."""
    round_number, index = divmod(number, len(texts))
    if round_number >= VARIANTS:
        raise ValueError(f"more than {VARIANTS} x {len(texts)} messages: texts would repeat")
    return variant(texts[index], round_number)


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
    """`turns` messages alternating a knowledge-base question and a rule message ("thanks"),
    the `start`th pair of the run first."""
    script = []
    for turn in range(turns):
        pair = start + turn // 2
        if turn % 2 == 0:
            script.append(("kb", distinct_text(questions, pair)))
        else:
            script.append(("rule", distinct_text(RULE_MESSAGES, pair)))
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
    first_pair: int = 0,
) -> LoadResult:
    """`conversations` conversations of `turns` turns, at most `concurrency` at a time; the
    texts start at the `first_pair`th (question, rule message) pair of the run."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    result = LoadResult()
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def gated(number: int) -> None:
            pairs = (turns + 1) // 2
            script = conversation_script(questions, first_pair + number * pairs, turns)
            async with gate:
                await one_conversation(session, url, script, result)

        started = time.perf_counter()
        await asyncio.gather(*(gated(number) for number in range(conversations)))
        result.seconds = time.perf_counter() - started
    return result
