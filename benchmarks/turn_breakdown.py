"""Where a turn's time goes: py-spy samples of Rasa, the action server and the service while a
steady load of conversations runs through Rasa's REST webhook.

    python -m benchmarks.turn_breakdown [--conversations 10] [--concurrent-conversations 12]
        [--concurrency 4] [--turns 10] [--rate 100]

Starts its own stack (Redis, service, action server, Rasa with the trained model) on free
loopback ports and warms it up. Then:
1. a wall-clock check without the profiler: conversations of `--turns` turns alternating a
   knowledge-base question (data/kb_questions.yml) and a rule message ("thanks"), one at a
   time; mean latency of the kb and the rule turns;
2. the same load at concurrency 1 with `py-spy record --format raw --idle --threads
   --nonblocking --full-filenames` attached to the three Python processes;
3. `--concurrent-conversations` such conversations, `--concurrency` at a time, profiled alike.
Each sampled stack is put in a category (benchmarks/turn_breakdown_profile.py); per process the
result gives each category's share of the busy samples and its ms per turn (samples x the
measured sampling interval / turns of the phase). The raw stacks stay in --raw-dir. Needs
ptrace rights (root, or CAP_SYS_PTRACE) for py-spy.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from benchmarks.bench_stack import throwaway_stack, write_result
from benchmarks.turn_breakdown_load import LoadResult, run_load
from benchmarks.turn_breakdown_profile import (
    RULES,
    breakdown,
    categorize,
    main_thread_samples,
    parse_raw,
)
from stack.config import ROOT, SERVICE_ENV
from stack.supervisor import Stack

PROFILED = ("rasa", "actions", "service")


async def start_py_spy(pid: int, output: Path, rate: int) -> asyncio.subprocess.Process:
    argv = [
        str(SERVICE_ENV / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--idle",
        "--threads",
        "--nonblocking",
        "--full-filenames",
        "--rate",
        str(rate),
        "--output",
        str(output),
    ]
    return await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )


async def profiled_load(
    stack: Stack, questions: list[str], args: argparse.Namespace, phase: str, **load: int
) -> dict[str, object]:
    """Run one phase of load with py-spy on each Python process; the load's figures and the
    breakdown per process."""
    pids = {process.spec.name: process.process.pid for process in stack.running}
    args.raw_dir.mkdir(parents=True, exist_ok=True)
    outputs = {name: args.raw_dir / f"{phase}-{name}.txt" for name in PROFILED}
    spies = {name: await start_py_spy(pids[name], outputs[name], args.rate) for name in PROFILED}
    started = time.perf_counter()
    await asyncio.sleep(1.0)  # py-spy attaches
    result = await run_load(stack.config.rasa_url, questions, turns=args.turns, **load)
    await asyncio.sleep(0.5)
    for spy in spies.values():
        spy.send_signal(signal.SIGINT)  # py-spy writes its file and exits
    for name, spy in spies.items():
        out, _ = await spy.communicate()
        if spy.returncode != 0 or not outputs[name].exists():
            raise RuntimeError(f"py-spy on {name} failed: {out.decode(errors='replace')}")
    window_ms = (time.perf_counter() - started) * 1000
    return {"load": result.summary(), "processes": process_breakdowns(outputs, window_ms, result)}


def process_breakdowns(
    outputs: dict[str, Path], window_ms: float, result: LoadResult
) -> dict[str, object]:
    figures: dict[str, object] = {}
    for name, path in outputs.items():
        samples = parse_raw(path.read_text())
        ticks = main_thread_samples(samples)
        interval_ms = window_ms / ticks if ticks else 0.0
        figures[name] = {
            "sampling_interval_ms": round(interval_ms, 2),
            **breakdown(categorize(samples, RULES[name]), interval_ms, result.count()),
        }
    return figures


async def measure(stack: Stack, questions: list[str], args: argparse.Namespace) -> dict:
    """Warm-up, then the three phases; each phase's texts follow the previous phase's, so no
    message is sent twice in a run (benchmarks/turn_breakdown_load.py)."""
    pairs = (args.turns + 1) // 2
    url = stack.config.rasa_url
    await run_load(url, questions, conversations=2, turns=args.turns, concurrency=1)
    one = {"conversations": args.conversations, "concurrency": 1}
    many = {"conversations": args.concurrent_conversations, "concurrency": args.concurrency}
    first_pairs = [
        2 * pairs,
        (2 + args.conversations) * pairs,
        (2 + 2 * args.conversations) * pairs,
    ]
    wall = await run_load(url, questions, turns=args.turns, first_pair=first_pairs[0], **one)
    return {
        "wall_clock_concurrency_1_no_profiler": wall.summary(),
        "profiled_concurrency_1": await profiled_load(
            stack, questions, args, "c1", first_pair=first_pairs[1], **one
        ),
        f"profiled_concurrency_{args.concurrency}": await profiled_load(
            stack, questions, args, f"c{args.concurrency}", first_pair=first_pairs[2], **many
        ),
    }


CODE_PATHS = ("rasa_extensions", "actions", "handoff", "service", "knowledge_base", "bot")


def git_state() -> dict[str, object]:
    """The commit the stack runs (taken before it starts: other work may commit meanwhile) and
    the files of the stack's code changed but not committed then."""

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout  # not stripped: a porcelain line starts with its status columns

    changed = git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "uncommitted_code_changes": [line[3:] for line in changed.splitlines() if line.strip()],
    }


async def main_async(args: argparse.Namespace) -> dict:
    data = yaml.safe_load(args.questions.read_text())
    questions = [row["text"] for row in data["questions"] if row.get("expected")]
    code = {"commit": args.commit, "uncommitted_code_changes": []} if args.commit else git_state()
    async with throwaway_stack() as stack:
        figures = await measure(stack, questions, args)
    return {
        "command": "python -m benchmarks.turn_breakdown " + " ".join(sys.argv[1:]),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **code,
        "turns_per_conversation": args.turns,
        "py_spy_rate_hz": args.rate,
        **figures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=10, help="at concurrency 1")
    parser.add_argument("--concurrent-conversations", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument(
        "--commit", help="the commit of the code, when running from an export (no .git)"
    )
    parser.add_argument("--questions", type=Path, default=ROOT / "data" / "kb_questions.yml")
    parser.add_argument("--raw-dir", type=Path, default=ROOT / "var" / "results" / "turn_breakdown")
    parser.add_argument(
        "--json", type=Path, default=ROOT / "benchmarks" / "results" / "turn_breakdown.json"
    )
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
