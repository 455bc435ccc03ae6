"""The seed verdict set (data/escalation_verdicts/): labelled review cases the evaluation and the
tuning run on from a clean clone.

`cases.jsonl` has one line per conversation: its `id`, `split` (tuning | held_out, fixed before
any tuning), the reviewer's `expected` first escalation, the `verdict` that follows from it and
from what the live policy did (`verdict_for`), the review `case` itself, and for the escalation
stories of tests/test_escalation_stories.yml their name and per-turn `expect`.
benchmarks/escalation_seed.py records it; `load_seed` reads it. Pure but for reading the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review.case import CaseFormatError, ReviewCase, case_from_dict
from review.verdicts import KINDS, REASONS, Verdict

SEED_DIR = Path(__file__).resolve().parent.parent / "data" / "escalation_verdicts"
SEED_CONVERSATIONS = SEED_DIR / "conversations.yml"
SEED_CASES = SEED_DIR / "cases.jsonl"
SPLITS = ("tuning", "held_out")


@dataclass(frozen=True)
class LabelledCase:
    """A review case with its verdict, its split and, for an escalation story, its per-turn
    expectations."""

    id: str
    split: str
    case: ReviewCase
    verdict: Verdict
    story: str | None = None
    expect: tuple[Mapping[str, Any], ...] = ()


def verdict_for(
    case: ReviewCase, expected: Mapping[str, Any] | None, note: str = ""
) -> dict[str, Any]:
    """The verdict a reviewer gives when a person was first needed as `expected` says
    ({turn, action: offer|handoff, reason} or None) and the live policy did what the case
    recorded: right within one turn (a handoff that was only offered is late), over when it
    escalated with no need or more than a turn early, under (offer) or late (handoff) when it
    escalated more than a turn late or never."""
    live = case.first_escalation
    if expected is None:
        return {"verdict": "over" if live else "right", "turn": None, "reason": None, "note": note}
    turn, action, reason = expected["turn"], expected["action"], expected.get("reason")
    if live is not None and abs(live.turn - turn) <= 1:
        kind = "late" if action == "handoff" and live.action == "offer" else "right"
    elif live is not None and live.turn < turn:
        kind = "over"
    else:
        kind = "late" if action == "handoff" else "under"
    return {"verdict": kind, "turn": turn, "reason": reason, "note": note}


def load_seed(path: Path = SEED_CASES) -> list[LabelledCase]:
    """Every labelled case of the file; raises CaseFormatError naming the line at fault."""
    labelled = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            labelled.append(_labelled(json.loads(text)))
        except (ValueError, KeyError, TypeError) as error:
            raise CaseFormatError(f"{path}:{number}: {error}") from error
    return labelled


def _labelled(line: Mapping[str, Any]) -> LabelledCase:
    case = case_from_dict(line["case"])
    raw = line["verdict"]
    if raw.get("verdict") not in KINDS or raw.get("reason") not in (None, *REASONS):
        raise ValueError(f"bad verdict {raw}")
    if line["split"] not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    verdict = Verdict(
        key=case.key,
        verdict=raw["verdict"],
        turn=raw.get("turn"),
        reason=raw.get("reason"),
        note=raw.get("note", ""),
        reviewer="seed",
    )
    return LabelledCase(
        id=str(line["id"]),
        split=line["split"],
        case=case,
        verdict=verdict,
        story=line.get("story"),
        expect=tuple(line.get("expect") or ()),
    )
