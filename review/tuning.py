"""Fitting the escalation decision's weights and thresholds to QA verdicts.

The decision is a replayed walk through the conversation, not a differentiable model, so the
fit is a coordinate search: starting from the shipped values, each parameter in turn takes the
value of its grid that most improves F1 of the first offer or handoff on the training cases
(review/evaluate.py), the others held fixed; three passes, or fewer when nothing changes. A
value is taken only when it is strictly better; ties keep the current value, so the fit moves
as few parameters as the verdicts ask for. A candidate that breaks a training escalation story's
per-turn expectations is never taken: the stories are the project's regression suite.

`cross_validate` runs the same fit inside k folds of the tuning split (scikit-learn's stratified
folds, fit on k-1, score the one left out) and pools the left-out results: an estimate of what
the procedure gives on conversations it did not see, without touching the held-out split.
Only the `decision:` section is tuned; the frustration scorer's weights were fitted on USS
MultiWOZ and stay as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.model_selection import StratifiedKFold

from handoff.detection.decision import EscalationDecider
from handoff.detection.decision_config import DecisionConfig
from review.evaluate import CaseResult, replay_all, story_regressions, summary
from review.replay import with_config
from review.seed import LabelledCase

PASSES = 3
FOLDS = 5
SEED = 13


@dataclass(frozen=True)
class Parameter:
    """One tunable number of the `decision:` section: its dotted path and the values tried."""

    path: str
    grid: tuple[float, ...]
    integer: bool = False


PARAMETERS = (
    Parameter("offer_at", (0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25)),
    Parameter("handoff_at", (1.75, 2.0, 2.5, 3.0, 3.5, 4.0)),
    Parameter("frustration_decay", (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)),
    Parameter("resolution_keeps", (0.0, 0.15, 0.3, 0.5)),
    Parameter("weights.frustration", (0.5, 0.75, 1.0, 1.25, 1.5)),
    Parameter("weights.kb_miss", (0.4, 0.5, 0.6, 0.75, 0.9, 1.0, 1.25)),
    Parameter("weights.follow_up_miss", (0.2, 0.3, 0.375, 0.5, 0.75)),
    Parameter("weights.nlu_fallback", (0.0, 0.1, 0.25, 0.4, 0.5, 0.75)),
    Parameter("weights.not_helpful", (0.4, 0.5, 0.6, 0.75, 0.9, 1.0, 1.25)),
    Parameter("weights.rephrase", (0.0, 0.25, 0.5, 0.75, 1.0)),
    Parameter("weights.declined", (0.25, 0.5, 0.75, 1.0, 1.25)),
    Parameter("weights.bot_repeat", (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)),
    Parameter("weights.unresolved_turns", (0.0, 0.1, 0.25, 0.4, 0.5)),
    Parameter("limits.unresolved_turns_min", (2, 3, 4, 5, 6, 8), integer=True),
)


def get_value(config: DecisionConfig, path: str) -> float:
    target: Any = config
    for name in path.split("."):
        target = getattr(target, name)
    return float(target)


def set_value(config: DecisionConfig, path: str, value: float) -> DecisionConfig:
    """A copy of the config with one number changed (handoff_at never below offer_at)."""
    head, _, rest = path.partition(".")
    if not rest:
        changed = dataclasses.replace(config, **{head: value})  # type: ignore[arg-type]
    else:
        part = getattr(config, head)
        kind = int if isinstance(getattr(part, rest), int) else float
        changed = dataclasses.replace(
            config, **{head: dataclasses.replace(part, **{rest: kind(value)})}
        )
    if changed.handoff_at < changed.offer_at:
        raise ValueError("handoff_at below offer_at")
    return changed


Score = tuple[float, float]
"""(F1, agreement): F1 first, the share of conversations judged right breaks ties."""


def score(results: Sequence[CaseResult]) -> Score:
    figures = summary(results)
    return (figures["f1"], figures["agreement"])


@dataclass
class Fit:
    config: DecisionConfig
    score: Score
    steps: list[dict[str, Any]]


def fit(
    cases: Sequence[LabelledCase],
    decider: EscalationDecider,
    parameters: Sequence[Parameter] = PARAMETERS,
    passes: int = PASSES,
) -> Fit:
    """Coordinate search from the decider's own config on `cases`."""
    stories = [case for case in cases if case.story]

    def objective(config: DecisionConfig) -> Score | None:
        candidate = with_config(decider, config)
        if any(story_regressions(stories, candidate).values()):
            return None
        return score(replay_all(cases, candidate))

    best = decider.config
    best_score = objective(best) or (-1.0, -1.0)
    steps: list[dict[str, Any]] = []
    for number in range(passes):
        moved = False
        for parameter in parameters:
            current = get_value(best, parameter.path)
            for value in parameter.grid:
                if value == current:
                    continue
                try:
                    candidate = set_value(best, parameter.path, value)
                except ValueError:
                    continue
                found = objective(candidate)
                if found is not None and found > best_score:
                    best, best_score, moved = candidate, found, True
                    steps.append(
                        {
                            "pass": number + 1,
                            "parameter": parameter.path,
                            "from": current,
                            "to": value,
                            "f1": found[0],
                            "agreement": found[1],
                        }
                    )
                    current = value
        if not moved:
            break
    return Fit(best, best_score, steps)


def cross_validate(
    cases: Sequence[LabelledCase],
    decider: EscalationDecider,
    folds: int = FOLDS,
    fitter: Callable[[Sequence[LabelledCase], EscalationDecider], Fit] = fit,
) -> dict[str, Any]:
    """Out-of-fold figures of the fit and of the starting config on the same folds."""
    labels = [case.verdict.turn is not None for case in cases]
    smallest = min(labels.count(True), labels.count(False))
    if smallest < 2:
        raise ValueError("cross-validation needs two cases with and two without a person needed")
    folds = min(folds, smallest)  # each fold needs both kinds of case
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    tuned: list[CaseResult] = []
    fold_figures = []
    for train, test in splitter.split(list(range(len(cases))), labels):
        fitted = fitter([cases[i] for i in train], decider)
        left_out = replay_all([cases[i] for i in test], with_config(decider, fitted.config))
        tuned.extend(left_out)
        fold_figures.append(
            {
                "train": len(train),
                "changed": changed_parameters(decider.config, fitted.config),
                **summary(left_out),
            }
        )
    return {
        "folds": folds,
        "tuned_out_of_fold": summary(tuned),
        "per_fold": fold_figures,
    }


def changed_parameters(before: DecisionConfig, after: DecisionConfig) -> dict[str, list[float]]:
    """path -> [before, after] for every tunable number that moved."""
    return {
        p.path: [get_value(before, p.path), get_value(after, p.path)]
        for p in PARAMETERS
        if get_value(before, p.path) != get_value(after, p.path)
    }
