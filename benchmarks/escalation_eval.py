"""Replays the shipped escalation policy over every reviewed conversation and scores it against
the QA verdicts (review/evaluate.py): precision, recall and F1 of the first offer or handoff at
the right turn (within one turn), over/under counts, per reason, per split, and the per-turn
expectations of the escalation stories.

    python -m benchmarks.escalation_eval [--cases data/escalation_verdicts/cases.jsonl]
        [--config handoff/detection/escalation.yml] [--out benchmarks/results/escalation_eval.json]

`make eval-escalation` runs it on the seed verdict set. The JSON has `conversations`,
`precision`, `recall`, `f1`, `over`, `under` at the top (all cases), then `splits`, `reasons`,
`stories`, `replay_matches_live` (how often the replay's first escalation is the one the live
policy made when the case was recorded: a check of the replay itself) and every case's result.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH
from review.evaluate import evaluate
from review.replay import first_escalation, load_decider
from review.seed import SEED_CASES, LabelledCase, load_seed
from stack.config import ROOT

RESULT = ROOT / "benchmarks" / "results" / "escalation_eval.json"


def replay_matches_live(cases: list[LabelledCase], config: Path) -> dict[str, Any]:
    decider = load_decider(config)
    differ = []
    for labelled in cases:
        live = labelled.case.first_escalation
        replayed = first_escalation(labelled.case, decider)
        if (live and (live.turn, live.action)) != (replayed and (replayed.turn, replayed.action)):
            differ.append(labelled.id)
    return {"same": len(cases) - len(differ), "of": len(cases), "differ": differ}


def run(cases_path: Path, config: Path) -> dict[str, Any]:
    cases = load_seed(cases_path)
    report = evaluate(cases, load_decider(config, cached=True))
    return {
        "command": "python -m benchmarks.escalation_eval " + " ".join(sys.argv[1:]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "policy": _relative(config),
        "cases_file": _relative(cases_path),
        **report,
        "replay_matches_live": replay_matches_live(cases, config),
    }


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=SEED_CASES)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    result = run(args.cases, args.config)
    result["machine"] = f"{platform.machine()} Python {platform.python_version()}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(summary_lines(result))
    print(f"written to {_relative(args.out)}")
    return 0


def summary_lines(result: dict[str, Any]) -> str:
    """The headline figures, one line per split."""
    rows = [("all", result), *result["splits"].items()]
    lines = [
        f"{'split':<9} {'n':>4} {'P':>6} {'R':>6} {'F1':>6} {'over':>5} {'under':>6} "
        f"{'early':>6} {'late':>5}"
    ]
    for name, figures in rows:
        lines.append(
            f"{name:<9} {figures['conversations']:>4} {figures['precision']:>6.3f} "
            f"{figures['recall']:>6.3f} {figures['f1']:>6.3f} {figures['over']:>5} "
            f"{figures['under']:>6} {figures['early']:>6} {figures['late']:>5}"
        )
    stories = result["stories"]
    lines.append(
        f"stories: {stories['checked'] - len(stories['regressed'])} of "
        f"{stories['checked']} as expected turn by turn"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
