"""Escalation-decision configuration: the `decision:` section of handoff/detection/escalation.yml.

`parse_decision_config` is pure (a mapping in, a typed and validated config out) and reports
every problem at once (infra/config_checks.py). handoff/escalation_file.py reads the file.
Python 3.10 compatible: the Rasa policy imports this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from handoff.detection.frustration_config import ConfigError, SignalWeights
from infra.config_checks import Checker


@dataclass(frozen=True)
class DecisionWeights:
    """How much each conversation signal adds to the escalation score."""

    frustration: float  # x the customer turn's frustration score (the `frustration:` section)
    kb_miss: float
    follow_up_miss: float  # a miss on a question that leaned on the previous answer
    nlu_fallback: float
    not_helpful: float
    service_unavailable: float
    rephrase: float
    declined: float
    bot_repeat: float
    unresolved_turns: float


@dataclass(frozen=True)
class DecisionLimits:
    history_turns: int
    rephrase_min_similarity: float
    rephrase_min_word_overlap: float
    unresolved_turns_min: int
    request_min_confidence: float
    fallback_max_confidence: float


@dataclass(frozen=True)
class DecisionConfig:
    offer_at: float
    handoff_at: float
    re_offer_margin: float
    frustration_decay: float
    resolution_keeps: float
    weights: DecisionWeights
    limits: DecisionLimits
    tier_factors: Mapping[str, float]
    prior_escalation_factor: float
    min_threshold_factor: float
    policy_phrases: re.Pattern[str]
    withdraw_phrases: re.Pattern[str]
    frustration_signals: frozenset[str]


TOP_NUMBERS = {
    "offer_at": (0.01, 100.0),
    "handoff_at": (0.01, 100.0),
    "re_offer_margin": (0.0, 100.0),
    "frustration_decay": (0.0, 1.0),
    "resolution_keeps": (0.0, 1.0),
    "prior_escalation_factor": (0.1, 1.0),
    "min_threshold_factor": (0.05, 1.0),
}
LIMIT_RANGES: dict[str, tuple[type, float, float]] = {
    "history_turns": (int, 1, 100),
    "rephrase_min_similarity": (float, 0.0, 1.0),
    "rephrase_min_word_overlap": (float, 0.0, 1.0),
    "unresolved_turns_min": (int, 1, 50),
    "request_min_confidence": (float, 0.0, 1.0),
    "fallback_max_confidence": (float, 0.0, 1.0),
}
TOP_LEVEL = (*TOP_NUMBERS, "weights", "limits", "tier_factors", "phrases", "frustration_signals")


def parse_decision_config(data: object) -> DecisionConfig:
    """Validate the `decision:` section of the parsed escalation document and build the typed
    config; raises ConfigError listing every problem."""
    check = Checker("escalation config", ConfigError)
    root = data if isinstance(data, Mapping) else {}
    section = check.mapping(root.get("decision"), "decision")
    check.raise_problems()  # without the section, nothing else is worth listing
    numbers = {
        name: check.number(section.get(name), f"decision.{name}", low, high)
        for name, (low, high) in TOP_NUMBERS.items()
    }
    if numbers["handoff_at"] < numbers["offer_at"]:
        check.add("decision.handoff_at must be >= decision.offer_at")
    check.known(section, TOP_LEVEL, "decision.")
    weights = _weights(check, check.mapping(section.get("weights"), "decision.weights"))
    limits = _limits(check, check.mapping(section.get("limits"), "decision.limits"))
    tiers = check.mapping(section.get("tier_factors"), "decision.tier_factors")
    phrases = check.mapping(section.get("phrases"), "decision.phrases")
    config = DecisionConfig(
        weights=weights,
        limits=limits,
        tier_factors={
            str(tier).lower(): check.number(factor, f"decision.tier_factors.{tier}", 0.05, 1.0)
            for tier, factor in tiers.items()
        },
        policy_phrases=check.patterns(phrases.get("policy"), "decision.phrases.policy"),
        withdraw_phrases=check.patterns(phrases.get("withdraw"), "decision.phrases.withdraw"),
        frustration_signals=_signal_names(check, section.get("frustration_signals")),
        **numbers,
    )
    check.raise_problems()
    return config


def _weights(check: Checker, section: Mapping) -> DecisionWeights:
    names = [field.name for field in fields(DecisionWeights)]
    check.known(section, names, "decision.weights.")
    values = {
        name: check.number(section.get(name), f"decision.weights.{name}", 0.0, 100.0)
        for name in names
    }
    return DecisionWeights(**values)


def _limits(check: Checker, section: Mapping) -> DecisionLimits:
    check.known(section, LIMIT_RANGES, "decision.limits.")
    values = {
        name: kind(
            check.number(section.get(name), f"decision.limits.{name}", low, high, kind is int)
        )
        for name, (kind, low, high) in LIMIT_RANGES.items()
    }
    return DecisionLimits(**values)


def _signal_names(check: Checker, raw: object) -> frozenset[str]:
    known = {f.name for f in fields(SignalWeights)} - {"person_request"}
    if not isinstance(raw, list) or not raw:
        check.add("decision.frustration_signals must be a non-empty list of signal names")
        return frozenset()
    unknown = sorted(str(name) for name in raw if name not in known)
    if unknown:
        check.add(
            f"decision.frustration_signals: unknown {unknown} (known: {', '.join(sorted(known))})"
        )
    return frozenset(str(name) for name in raw)
