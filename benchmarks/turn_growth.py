"""Cost per turn: does a turn get slower as the conversation grows? (issue 15, item 3)

    python -m benchmarks.turn_growth [--conversations 8] [--turns 30]

Starts its own stack (Redis, service, action server, Rasa with the trained model) on free
loopback ports. A warm-up pass keeps the knowledge-base questions of `data/kb_questions.yml`
that the stack answers with an article link. Then it runs the conversations one after the
other over Rasa's REST webhook: turn 1 "hello", odd turns a "thanks"-type message (a rule
reply), even turns a different answered question each (the action server and the service's
search), so no escalation offer fires. A conversation's turns run back to back, so the
machine's drift over the run hits every turn position alike.

Reports, per turn position, the median latency over the conversations, and for each kind the
least-squares slope (ms per turn) and turn 20 / turn 2 (knowledge base) or turn 21 / turn 3
(rule), both raw (medians) and from the fitted line (less noisy). Replies offering a person
are counted (they should be 0).

On shared cores the wall-clock figures move with other work; the CPU time each turn costs the
Rasa server and the action server (every thread's run time from /proc/<pid>/task/*/schedstat
of the process and its children - Rasa's Sanic workers are children of the process the stack
starts - nanoseconds, read before and after each message: the messages go one at a time) moves
much less, so the same slopes are reported for it too (`cpu_*`, mean over the conversations).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import secrets
import statistics
import sys
from pathlib import Path

import aiohttp

from benchmarks.bench_stack import (
    RULE_MESSAGES,
    answerable_questions,
    answered_questions,
    throwaway_stack,
    timed_message,
    write_result,
)
from benchmarks.turn_breakdown import git_state
from stack.config import ROOT
from stack.supervisor import Stack

OFFER_MARKERS = ("talk to a person",)  # utter_offer_human (bot/domain/handoff.yml)


def cpu_ms(pid: int) -> float:
    """CPU time of every thread of the process so far, in ms (0 where /proc cannot say)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total / 1e6


def pids(stack: Stack, names: tuple[str, ...]) -> list[int]:
    """The processes the stack started under these names, and all their descendants."""
    started = [r.process.pid for r in stack.running if r.spec.name in names]
    return [*started, *descendants(started)]


def descendants(roots: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid ...: comm may hold spaces and parentheses
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # a process that ended meanwhile
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found: list[int] = []
    waiting = list(roots)
    while waiting:
        kids = children.get(waiting.pop(), [])
        found += kids
        waiting += kids
    return found


def fit(positions: list[int], values: list[float]) -> tuple[float, float]:
    """Least-squares (slope, intercept)."""
    mean_x, mean_y = statistics.fmean(positions), statistics.fmean(values)
    sxx = sum((x - mean_x) ** 2 for x in positions)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(positions, values, strict=True))
    slope = sxy / sxx
    return slope, mean_y - slope * mean_x


def growth(medians: dict[int, float], first: int, last: int) -> dict[str, float]:
    positions = sorted(medians)
    slope, intercept = fit(positions, [medians[p] for p in positions])
    return {
        "slope_ms_per_turn": round(slope, 3),
        f"turn{last}_over_turn{first}": round(medians[last] / medians[first], 3),
        f"fitted_turn{last}_over_turn{first}": round(
            (intercept + slope * last) / (intercept + slope * first), 3
        ),
        f"turn{first}_ms": round(medians[first], 1),
        f"turn{last}_ms": round(medians[last], 1),
    }


def even(by_turn: dict[int, float]) -> dict[int, float]:
    return {t: v for t, v in by_turn.items() if t % 2 == 0}


def odd(by_turn: dict[int, float]) -> dict[int, float]:
    return {t: v for t, v in by_turn.items() if t % 2 and t > 1}


async def measure(stack: Stack, questions: list[str], conversations: int, turns: int) -> dict:
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    times: dict[int, list[float]] = {turn: [] for turn in range(1, turns + 1)}
    cpu: dict[int, list[float]] = {turn: [] for turn in range(1, turns + 1)}
    bot_pids = pids(stack, ("rasa", "actions"))
    offers = unanswered = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        answered = await answered_questions(session, url, questions, opening="hello")
        per_conversation = turns // 2
        if len(answered) < per_conversation:
            raise SystemExit(f"only {len(answered)} answered questions, need {per_conversation}")
        for number in range(conversations):
            sender = f"growth-{number}-{secrets.token_hex(4)}"
            start = number * per_conversation
            asked = [answered[(start + i) % len(answered)] for i in range(per_conversation)]
            for turn in range(1, turns + 1):
                if turn == 1:
                    text = "hello"
                elif turn % 2:
                    text = RULE_MESSAGES[turn % len(RULE_MESSAGES)]
                else:
                    text = asked[turn // 2 - 1]
                used = sum(cpu_ms(pid) for pid in bot_pids)
                elapsed, reply = await timed_message(session, url, sender, text)
                replies = json.dumps(reply)
                cpu[turn].append(sum(cpu_ms(pid) for pid in bot_pids) - used)
                times[turn].append(elapsed)
                offers += any(marker in replies for marker in OFFER_MARKERS)
                unanswered += turn % 2 == 0 and "/articles/" not in replies
    medians = {turn: statistics.median(values) for turn, values in times.items()}
    cpu_means = {turn: statistics.fmean(values) for turn, values in cpu.items()}
    return {
        "conversations": conversations,
        "turns": turns,
        "answered_questions_used": len(answered),
        "knowledge_base_turns": growth(even(medians), 2, 20),
        "rule_turns": growth(odd(medians), 3, 21),
        "cpu_knowledge_base_turns": growth(even(cpu_means), 2, 20),
        "cpu_rule_turns": growth(odd(cpu_means), 3, 21),
        "median_ms_by_turn": {str(t): round(m, 1) for t, m in medians.items()},
        "cpu_mean_ms_by_turn": {str(t): round(m, 2) for t, m in cpu_means.items()},
        "replies_offering_a_person": offers,
        "kb_turns_without_article_link": unanswered,
    }


async def main_async(args: argparse.Namespace) -> dict:
    questions = answerable_questions(args.questions)
    code = {"commit": args.commit, "uncommitted_code_changes": []} if args.commit else git_state()
    async with throwaway_stack() as stack:
        figures = await measure(stack, questions, args.conversations, args.turns)
    return {
        "command": "python -m benchmarks.turn_growth " + " ".join(sys.argv[1:]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "label": args.label,
        **code,
        **figures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--label", default="", help="a note kept in the JSON (e.g. 'before')")
    parser.add_argument(
        "--commit", help="the commit of the code, when running from an export (no .git)"
    )
    parser.add_argument("--questions", type=Path, default=ROOT / "data" / "kb_questions.yml")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "turn_growth.json"
    )
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
