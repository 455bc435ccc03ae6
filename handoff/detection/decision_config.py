"""Escalation-decision configuration: the `decision:` section of handoff/detection/escalation.yml.

`parse_decision_config` is pure (a mapping in, a typed and validated config out);
`load_decision_config` is the thin edge that reads the YAML file. Every problem in a file is
reported at once. Python 3.10 compatible: the Rasa policy imports this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH, ConfigError, SignalWeights


@dataclass(frozen=True)
class DecisionWeights:
    """How much each conversation signal adds to the escalation score."""

    frustration: float  # x the customer turn's frustration score (the `frustration:` section)
    kb_miss: float
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


def load_decision_config(path: Path = DEFAULT_CONFIG_PATH) -> DecisionConfig:
    """Read and validate the `decision:` section of the escalation YAML file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read escalation config {path}: {error}") from error
    return parse_decision_config(data)


def parse_decision_config(data: object) -> DecisionConfig:
    problems: list[str] = []
    section = data.get("decision") if isinstance(data, Mapping) else None
    if not isinstance(section, Mapping):
        raise ConfigError("invalid escalation config:\n  - decision must be a mapping")
    numbers = {
        name: _ranged(section.get(name), f"decision.{name}", float, low, high, problems)
        for name, (low, high) in TOP_NUMBERS.items()
    }
    if numbers["handoff_at"] < numbers["offer_at"]:
        problems.append("decision.handoff_at must be >= decision.offer_at")
    weights = _weights(_mapping(section, "weights", problems), problems)
    limits = _limits(_mapping(section, "limits", problems), problems)
    tiers = _tiers(_mapping(section, "tier_factors", problems), problems)
    phrases = _mapping(section, "phrases", problems)
    policy = _compile(phrases.get("policy"), "decision.phrases.policy", problems)
    withdraw = _compile(phrases.get("withdraw"), "decision.phrases.withdraw", problems)
    signals = _signal_names(section.get("frustration_signals"), problems)
    known = {*TOP_NUMBERS, "weights", "limits", "tier_factors", "phrases", "frustration_signals"}
    for key in sorted(set(map(str, section)) - known):
        problems.append(f"decision.{key} is not a known setting")
    if problems:
        raise ConfigError("invalid escalation config:\n  - " + "\n  - ".join(problems))
    return DecisionConfig(
        weights=weights,
        limits=limits,
        tier_factors=tiers,
        policy_phrases=policy,
        withdraw_phrases=withdraw,
        frustration_signals=signals,
        **numbers,
    )


def _mapping(section: Mapping, key: str, problems: list[str]) -> Mapping:
    value = section.get(key)
    if not isinstance(value, Mapping):
        problems.append(f"decision.{key} must be a mapping")
        return {}
    return value


def _ranged(
    raw: object, name: str, kind: type, low: float, high: float, problems: list[str]
) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        problems.append(f"{name}={raw!r} must be a finite number")
        return low
    if kind is int and not isinstance(raw, int):
        problems.append(f"{name}={raw!r} must be a whole number")
    if not low <= raw <= high:
        problems.append(f"{name}={raw!r} must be between {low} and {high}")
    return kind(raw)


def _weights(section: Mapping, problems: list[str]) -> DecisionWeights:
    names = [field.name for field in fields(DecisionWeights)]
    for key in sorted(set(map(str, section)) - set(names)):
        problems.append(f"decision.weights.{key} is not a known signal")
    values = {
        name: _ranged(section.get(name), f"decision.weights.{name}", float, 0.0, 100.0, problems)
        for name in names
    }
    return DecisionWeights(**values)


def _limits(section: Mapping, problems: list[str]) -> DecisionLimits:
    for key in sorted(set(map(str, section)) - set(LIMIT_RANGES)):
        problems.append(f"decision.limits.{key} is not a known setting")
    values = {
        name: _ranged(section.get(name), f"decision.limits.{name}", kind, low, high, problems)
        for name, (kind, low, high) in LIMIT_RANGES.items()
    }
    return DecisionLimits(**values)  # type: ignore[arg-type]


def _tiers(section: Mapping, problems: list[str]) -> dict[str, float]:
    return {
        str(tier).lower(): _ranged(
            factor, f"decision.tier_factors.{tier}", float, 0.05, 1.0, problems
        )
        for tier, factor in section.items()
    }


def _signal_names(raw: object, problems: list[str]) -> frozenset[str]:
    known = {f.name for f in fields(SignalWeights)} - {"person_request"}
    if not isinstance(raw, list) or not raw:
        problems.append("decision.frustration_signals must be a non-empty list of signal names")
        return frozenset()
    unknown = sorted(str(name) for name in raw if name not in known)
    if unknown:
        problems.append(
            f"decision.frustration_signals: unknown {unknown} (known: {', '.join(sorted(known))})"
        )
    return frozenset(str(name) for name in raw)


def _compile(raw: object, name: str, problems: list[str]) -> re.Pattern[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) and p for p in raw):
        problems.append(f"{name} must be a non-empty list of phrases")
        return re.compile(r"(?!x)x")
    try:
        return re.compile(r"(?<![\w'])(?:" + "|".join(raw) + r")(?![\w'])", re.IGNORECASE)
    except re.error as error:
        problems.append(f"{name}: not a valid pattern ({error})")
        return re.compile(r"(?!x)x")
