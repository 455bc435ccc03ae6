"""`make eval-escalation` and `make tune-escalation`: the commands' results, on a small verdict
file cut from the seed set (the full runs are measured in BENCHMARKS.md)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import escalation_eval, escalation_tune
from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH
from review.seed import SEED_CASES

PICKED = (
    "greeting-alternating-shipping",
    "greeting-alternating-devices",
    "story-polite-two-misses",
    "story-sarcasm-after-miss",
    "story-angry-then-answered",
    "miss-once-then-fine",
    "contained-plus-price",
    "request-agent-short",
    "story-gibberish-twice",
    "miss-alexa-twice",
    "frustration-caps-doorbell",
    "other-language-spanish",
)


def small_seed(tmp_path: Path) -> Path:
    lines = [json.loads(line) for line in SEED_CASES.read_text(encoding="utf-8").splitlines()]
    picked = [line for line in lines if line["id"] in PICKED]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in picked), encoding="utf-8")
    return path


def test_the_evaluation_writes_the_figures_the_issue_asks_for(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "escalation_eval.json"
    assert escalation_eval.main(["--cases", str(small_seed(tmp_path)), "--out", str(out)]) == 0

    result = json.loads(out.read_text())
    for key in ("conversations", "precision", "recall", "f1", "over", "under"):
        assert key in result
    assert result["conversations"] == len(PICKED)
    assert set(result["splits"]) == {"tuning", "held_out"}
    assert result["replay_matches_live"]["same"] == len(PICKED)
    results = {case["id"]: case["result"] for case in result["cases"]}
    # the alternating-greeting conversations: over-escalated until bot_repeat was tuned to 0
    assert results["greeting-alternating-shipping"] == "right_no"
    assert results["greeting-alternating-devices"] == "right_no"
    assert result["over"] == sum(kind == "over" for kind in results.values())
    assert "stories:" in capsys.readouterr().out


def test_the_tuning_proposes_a_diff_and_never_touches_the_shipped_file(tmp_path: Path) -> None:
    shipped = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    out = tmp_path / "tuning"

    assert escalation_tune.main(["--cases", str(small_seed(tmp_path)), "--out", str(out)]) == 0

    report = json.loads((out / "report.json").read_text())
    assert DEFAULT_CONFIG_PATH.read_text(encoding="utf-8") == shipped
    assert set(report["before"]) == set(report["after"]) == {"tuning", "held_out"}
    assert report["after"]["tuning"]["f1"] >= report["before"]["tuning"]["f1"]
    assert report["stories"]["regressed"] == []
    assert "tuned_out_of_fold" in report["cross_validation_on_tuning"]
    diff = (out / "escalation.diff").read_text()
    for path in report["changed_parameters"]:
        assert path.split(".")[-1] + ":" in diff
    assert (out / "escalation.yml").read_text() != shipped or not report["changed_parameters"]
