"""Fits the escalation decision's weights and thresholds to the QA verdicts and proposes an edit
of handoff/detection/escalation.yml - never applied by itself.

    python -m benchmarks.escalation_tune [--cases data/escalation_verdicts/cases.jsonl]
        [--config handoff/detection/escalation.yml] [--out var/results/escalation_tuning]

Only the `tuning` split is used to fit (review/tuning.py: coordinate search, no escalation story
of that split may regress) and to cross-validate the fit (5 stratified folds, pooled out-of-fold
figures); the `held_out` split is scored once, for the shipped and the tuned policy side by side.
Then every escalation story's per-turn expectations are checked with the tuned values (the pure
replay over the stories' recorded cases, as `rasa test` would need a retrained model).

Writes to `--out`: `escalation.yml` (the shipped file with the fitted numbers changed, comments
kept), `escalation.diff` (what to review), `report.json` (the parameters before and after, the
figures before and after on both splits, the cross-validation, each change alone, the stories,
the conversations whose result changed). Applying it is a person's decision: copy the file
over the shipped one (README: "QA review and tuning the escalation policy").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH
from handoff.escalation_file import load_decision_config
from review.evaluate import replay_all, story_regressions, summary
from review.proposal import proposed_text, unified_diff
from review.replay import load_decider, with_config
from review.seed import SEED_CASES, load_seed
from review.tuning import changed_parameters, cross_validate, fit, set_value
from stack.config import ROOT

OUT = ROOT / "var" / "results" / "escalation_tuning"


def figures(cases: list, decider: Any) -> dict[str, Any]:
    results = replay_all(cases, decider)
    return {"summary": summary(results), "results": {r.id: r for r in results}}


def changed_cases(before: dict, after: dict) -> list[dict[str, Any]]:
    rows = []
    for case_id, old in before["results"].items():
        new = after["results"][case_id]
        if (old.predicted_turn, old.result) != (new.predicted_turn, new.result):
            rows.append(
                {
                    "id": case_id,
                    "split": old.split,
                    "expected_turn": old.expected_turn,
                    "shipped": {"turn": old.predicted_turn, "result": old.result},
                    "tuned": {"turn": new.predicted_turn, "result": new.result},
                }
            )
    return rows


def each_change_alone(
    cases: list, shipped: Any, changes: dict[str, list[float]]
) -> dict[str, dict[str, Any]]:
    """Each fitted change applied on its own to the shipped values: which part does what."""
    alone: dict[str, dict[str, Any]] = {}
    for path, (_, value) in changes.items():
        decider = with_config(shipped, set_value(shipped.config, path, value))
        alone[path] = {
            split: summary(replay_all([c for c in cases if c.split == split], decider))
            for split in ("tuning", "held_out")
        }
        alone[path]["stories_regressed"] = sorted(
            name for name, problems in story_regressions(cases, decider).items() if problems
        )
    return alone


def run(cases_path: Path, config: Path, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    cases = load_seed(cases_path)
    tuning = [case for case in cases if case.split == "tuning"]
    held_out = [case for case in cases if case.split == "held_out"]
    shipped = load_decider(config, cached=True)
    validation = cross_validate(tuning, shipped)
    fitted = fit(tuning, shipped)
    tuned = with_config(shipped, fitted.config)
    before = {
        name: figures(part, shipped) for name, part in (("tuning", tuning), ("held_out", held_out))
    }
    after = {
        name: figures(part, tuned) for name, part in (("tuning", tuning), ("held_out", held_out))
    }
    stories = story_regressions(cases, tuned)
    changes = changed_parameters(shipped.config, fitted.config)
    text = config.read_text(encoding="utf-8")
    proposal = proposed_text(text, {path: values[1] for path, values in changes.items()})
    out.mkdir(parents=True, exist_ok=True)
    (out / "escalation.yml").write_text(proposal, encoding="utf-8")
    diff = unified_diff(text, proposal, "handoff/detection/escalation.yml")
    (out / "escalation.diff").write_text(diff, encoding="utf-8")
    if load_decision_config(out / "escalation.yml") != fitted.config:
        raise RuntimeError("the proposed file does not read back as the fitted config")
    return {
        "command": "python -m benchmarks.escalation_tune " + " ".join(sys.argv[1:]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cases": {"tuning": len(tuning), "held_out": len(held_out)},
        "changed_parameters": changes,
        "fit_steps": fitted.steps,
        "cross_validation_on_tuning": {
            "shipped": summary(replay_all(tuning, shipped)),
            **validation,
        },
        "before": {name: part["summary"] for name, part in before.items()},
        "after": {name: part["summary"] for name, part in after.items()},
        "stories": {
            "checked": len(stories),
            "regressed": sorted(name for name, problems in stories.items() if problems),
            "problems": {name: problems for name, problems in stories.items() if problems},
        },
        "each_change_alone": each_change_alone(cases, shipped, changes),
        "changed_conversations": [
            *changed_cases(before["tuning"], after["tuning"]),
            *changed_cases(before["held_out"], after["held_out"]),
        ],
        "seconds": round(time.perf_counter() - started, 1),
        "files": [str(out / name) for name in ("escalation.yml", "escalation.diff", "report.json")],
    }


def headline(report: dict[str, Any]) -> str:
    lines = ["split     policy   n     P      R      F1    over under early late"]
    for split in ("tuning", "held_out"):
        for policy in ("before", "after"):
            f = report[policy][split]
            lines.append(
                f"{split:<9} {'shipped' if policy == 'before' else 'tuned':<7} "
                f"{f['conversations']:>3} {f['precision']:.3f}  {f['recall']:.3f}  {f['f1']:.3f} "
                f"{f['over']:>5} {f['under']:>5} {f['early']:>5} {f['late']:>4}"
            )
    cv = report["cross_validation_on_tuning"]["tuned_out_of_fold"]
    lines.append(
        f"tuning, tuned out of fold ({report['cross_validation_on_tuning']['folds']} "
        f"folds): P {cv['precision']:.3f} R {cv['recall']:.3f} F1 {cv['f1']:.3f}"
    )
    lines.append(f"changed: {report['changed_parameters'] or 'nothing'}")
    for path, alone in report["each_change_alone"].items():
        lines.append(
            f"  {path} alone: F1 tuning {alone['tuning']['f1']:.3f}, held-out "
            f"{alone['held_out']['f1']:.3f}; stories regressed: "
            f"{alone['stories_regressed'] or 'none'}"
        )
    stories = report["stories"]
    lines.append(
        f"stories regressed with the tuned values: {stories['regressed'] or 'none'} "
        f"(of {stories['checked']})"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=SEED_CASES)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    report = run(args.cases, args.config, args.out)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(headline(report))
    print(f"proposal (not applied): {args.out / 'escalation.diff'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
