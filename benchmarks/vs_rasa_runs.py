"""The load shapes of `make bench-vs-rasa` and their figures.

Every conversation follows one script (`script()`): turn 1 a greeting, then a knowledge-base
question on every even turn and a "thanks" on every odd one, so turn 2 and turn 20 are the
same kind of turn. Both systems get the same texts; Rasa alone answers each with whatever its
`rasa init` intents make of it.

- `sequential`: concurrency 1; the systems take turns message by message (the order rotates
  each turn), so machine noise hits all alike.
- `concurrent`: N conversations at once against one system; the systems take turns round by
  round. Throughput is answered messages / wall time of the round, less the time each
  conversation spent making sure a socket.io reply was over (turns x `settle_s`).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from benchmarks.bench_stack import RULE_MESSAGES
from benchmarks.stats import percentile
from benchmarks.vs_rasa_clients import Conversation, Target, TurnTiming

GREETING = "hello"

OpenConversation = Callable[[Target, int], Conversation]  # (target, conversation number)


def script(questions: Sequence[str], turns: int, offset: int) -> list[tuple[str, str]]:
    """(kind, text) per turn; `offset` varies the questions between conversations."""
    lines = [("greeting", GREETING)]
    for turn in range(2, turns + 1):
        if turn % 2 == 0:
            lines.append(("kb", questions[(offset + turn // 2) % len(questions)]))
        else:
            lines.append(("rule", RULE_MESSAGES[(offset + turn) % len(RULE_MESSAGES)]))
    return lines


async def sequential(
    targets: Sequence[Target],
    open_conversation: OpenConversation,
    questions: Sequence[str],
    conversations: int,
    turns: int,
) -> list[TurnTiming]:
    timings: list[TurnTiming] = []
    for number in range(conversations):
        lines = script(questions, turns, offset=number * 3)
        talks = [open_conversation(target, number) for target in targets]
        for talk in talks:
            await talk.open()
        for turn, (kind, text) in enumerate(lines, start=1):
            order = list(range(len(targets)))
            shift = (number + turn) % len(order)
            for index in order[shift:] + order[:shift]:
                said = await talks[index].say(text)
                timings.append(TurnTiming(targets[index].name, turn, kind, *said))
        for talk in talks:
            await talk.close()
    return timings


async def concurrent(
    target: Target,
    open_conversation: OpenConversation,
    questions: Sequence[str],
    conversations: int,
    turns: int,
    first_number: int = 0,
) -> dict[str, Any]:
    """One round: `conversations` at once, each `turns` long; figures for the round."""
    talks = [open_conversation(target, first_number + n) for n in range(conversations)]
    await asyncio.gather(*(talk.open() for talk in talks))
    timings: list[TurnTiming] = []

    async def converse(number: int, talk: Conversation) -> None:
        for turn, (kind, text) in enumerate(script(questions, turns, number * 3), start=1):
            timings.append(TurnTiming(target.name, turn, kind, *await talk.say(text)))

    started = time.perf_counter()
    await asyncio.gather(*(converse(n, talk) for n, talk in enumerate(talks)))
    wall = time.perf_counter() - started - turns * talks[0].settle_s
    await asyncio.gather(*(talk.close() for talk in talks))
    answered = timed_ms(timings)
    return {
        "messages": len(timings),
        "refused": sum(t.refused for t in timings),
        "silent": sum(t.silent for t in timings),
        "wall_s": round(wall, 2),
        "throughput_msg_s": round(len(answered) / wall, 1),
        "p50_ms": round(statistics.median(answered), 1),
        "p95_ms": round(percentile(answered, 0.95), 1),
    }


def timed_ms(timings: Iterable[TurnTiming]) -> list[float]:
    """The milliseconds of the turns that were answered and timed: refusals (a gateway_error
    comes back at once) and silences through socket.io are counted, not timed."""
    return [t.ms for t in timings if t.ms is not None and not t.refused]


def latency_summary(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(list(values), 0.95), 1),
    }


def by_kind(timings: Sequence[TurnTiming], target: str) -> dict[str, Any]:
    """p50/p95 per kind of turn over the timed ones; refusals and silences are counted."""
    kinds = ("greeting", "rule", "kb")
    ours = [t for t in timings if t.target == target]
    summary: dict[str, Any] = {
        kind: latency_summary(timed_ms(t for t in ours if t.kind == kind)) for kind in kinds
    }
    summary["refused"] = sum(t.refused for t in ours)
    summary["silent"] = sum(t.silent for t in ours)
    return summary


def median_at_turn(timings: Sequence[TurnTiming], target: str, turn: int) -> float | None:
    answered = timed_ms(t for t in timings if t.target == target and t.turn == turn)
    return statistics.median(answered) if answered else None


def growth(timings: Sequence[TurnTiming], target: str, turns: int) -> dict[str, Any]:
    """Median latency per even (knowledge-base) turn, and turn `turns` over turn 2 (None
    when either was refused in every conversation: then there is nothing to compare)."""
    medians = {turn: median_at_turn(timings, target, turn) for turn in range(2, turns + 1, 2)}
    first, last = medians[2], medians[turns]
    return {
        "kb_turn_p50_ms": {
            str(turn): None if ms is None else round(ms, 1) for turn, ms in medians.items()
        },
        "last_over_turn2": round(last / first, 3) if first and last else None,
        "refused": sum(t.refused for t in timings if t.target == target),
    }


def median_of_rounds(rounds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the rounds, and the rounds themselves."""
    keys = ("throughput_msg_s", "p50_ms", "p95_ms")
    summary: dict[str, Any] = {
        key: round(statistics.median(r[key] for r in rounds), 1) for key in keys
    }
    summary["refused"] = sum(r["refused"] for r in rounds)
    summary["silent"] = sum(r.get("silent", 0) for r in rounds)
    summary["rounds"] = list(rounds)
    return summary
