"""How well an escalation policy agrees with the QA verdicts, replayed over the reviewed cases.

For each case the policy's first offer or handoff (review/replay.py `first_escalation`) is
compared with the turn the verdict says a person was first needed at (`expected_turn`):

    hit        both, within one turn of each other
    right_no   neither: no person needed and none offered
    over       a person offered, none needed
    early      offered more than one turn before a person was needed
    under      a person needed, none offered
    late       offered more than one turn after a person was needed

precision = hits / offers made, recall = hits / people needed, F1 their harmonic mean; `over`
and `under` count the conversations, `early` and `late` apart. By reason: recall per reason a
person was needed (the verdict's reason) and precision per reason the policy gave. The
escalation stories also have per-turn expectations (`story_regressions`), checked on the
conversation as it happened. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from handoff.detection.decision import EscalationDecider
from review.replay import decisions, first_escalation
from review.seed import LabelledCase
from review.verdicts import expected_turn

RESULTS = ("hit", "right_no", "over", "early", "under", "late")


@dataclass(frozen=True)
class CaseResult:
    id: str
    split: str
    expected_turn: int | None
    expected_reason: str | None
    predicted_turn: int | None
    predicted_action: str | None
    predicted_reason: str | None

    @property
    def result(self) -> str:
        expected, predicted = self.expected_turn, self.predicted_turn
        if expected is None:
            return "over" if predicted is not None else "right_no"
        if predicted is None:
            return "under"
        if abs(predicted - expected) <= 1:
            return "hit"
        return "early" if predicted < expected else "late"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "split": self.split,
            "expected_turn": self.expected_turn,
            "expected_reason": self.expected_reason,
            "predicted_turn": self.predicted_turn,
            "predicted_action": self.predicted_action,
            "predicted_reason": self.predicted_reason,
            "result": self.result,
        }


def replay_all(cases: Iterable[LabelledCase], decider: EscalationDecider) -> list[CaseResult]:
    results = []
    for labelled in cases:
        decision = first_escalation(labelled.case, decider)
        results.append(
            CaseResult(
                id=labelled.id,
                split=labelled.split,
                expected_turn=expected_turn(labelled.verdict),
                expected_reason=labelled.verdict.reason,
                predicted_turn=decision.turn if decision else None,
                predicted_action=decision.action if decision else None,
                predicted_reason=decision.reason if decision else None,
            )
        )
    return results


def summary(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Counts, precision, recall and F1 of a set of case results."""
    counts = Counter(result.result for result in results)
    offers = sum(1 for r in results if r.predicted_turn is not None)
    needed = sum(1 for r in results if r.expected_turn is not None)
    hits = counts["hit"]
    precision = hits / offers if offers else 0.0
    recall = hits / needed if needed else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "conversations": len(results),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "over": counts["over"],
        "under": counts["under"],
        "early": counts["early"],
        "late": counts["late"],
        "hits": hits,
        "right_without_person": counts["right_no"],
        "offers_made": offers,
        "people_needed": needed,
        "agreement": round((hits + counts["right_no"]) / len(results), 4) if results else 0.0,
    }


def by_reason(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """Per reason: recall where the verdict gave it, precision where the policy did."""
    reasons = sorted(
        {r.expected_reason for r in results if r.expected_reason}
        | {r.predicted_reason for r in results if r.predicted_reason}
    )
    table = {}
    for reason in reasons:
        needed = [r for r in results if r.expected_reason == reason]
        given = [r for r in results if r.predicted_reason == reason]
        needed_hits = sum(1 for r in needed if r.result == "hit")
        given_hits = sum(1 for r in given if r.result == "hit")
        table[reason] = {
            "needed": len(needed),
            "found": needed_hits,
            "recall": round(needed_hits / len(needed), 4) if needed else None,
            "missed": sum(1 for r in needed if r.result in ("under", "late")),
            "offered": len(given),
            "precision": round(given_hits / len(given), 4) if given else None,
            "over": sum(1 for r in given if r.result in ("over", "early")),
        }
    return table


def story_regressions(
    cases: Iterable[LabelledCase], decider: EscalationDecider
) -> dict[str, list[str]]:
    """Story name -> what differs from its per-turn expectations (empty when all hold)."""
    failures: dict[str, list[str]] = {}
    for labelled in cases:
        if not labelled.story:
            continue
        walk = {d.turn: d for d in decisions(labelled.case, decider)}
        problems = []
        for expected in labelled.expect:
            decision = walk.get(expected["turn"])
            wanted = (expected["action"], expected.get("reason"))
            got = (decision.action, decision.reason) if decision else None
            if got != wanted:
                problems.append(f"turn {expected['turn']}: wanted {wanted}, got {got}")
        escalations = [e["turn"] for e in labelled.expect if e["action"] != "continue"]
        first = min(escalations) if escalations else None
        for turn, decision in walk.items():
            if first is not None and turn < first and decision.action != "continue":
                problems.append(f"turn {turn}: {decision.action} before turn {first}")
        failures[labelled.story] = problems
    return failures


def evaluate(cases: Sequence[LabelledCase], decider: EscalationDecider) -> dict[str, Any]:
    """The whole evaluation: overall, per split, per reason, the stories and every case."""
    results = replay_all(cases, decider)
    splits = sorted({r.split for r in results})
    stories = story_regressions(cases, decider)
    return {
        **summary(results),
        "splits": {split: summary([r for r in results if r.split == split]) for split in splits},
        "reasons": by_reason(results),
        "stories": {
            "checked": len(stories),
            "regressed": sorted(name for name, problems in stories.items() if problems),
            "problems": {name: problems for name, problems in stories.items() if problems},
        },
        "cases": [result.to_dict() for result in results],
    }
