"""Frustration-scoring configuration: the `frustration:` section of
handoff/detection/escalation.yml.

`parse_frustration_config` is pure (a mapping in, a typed and validated config out) and reports
every problem at once (infra/config_checks.py). Reading the file needs PyYAML, which this package
may not import: handoff/escalation_file.py does it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from infra.config_checks import Checker

DEFAULT_CONFIG_PATH = Path(__file__).with_name("escalation.yml")


class ConfigError(ValueError):
    """The escalation config is missing values or has invalid ones; the message lists all."""


@dataclass(frozen=True)
class SignalWeights:
    """How much each signal adds to a turn's frustration score (politeness subtracts)."""

    negative_sentiment: float
    frustration_phrase: float
    profanity: float
    shouting: float
    emphatic_punctuation: float
    person_request: float
    sarcasm: float
    customer_correction: float
    customer_doubt: float
    customer_pushback: float
    politeness: float
    bot_failure: float
    unresolved_streak: float
    customer_repeat: float
    bot_repeat: float
    sentiment_trend: float


CALMING_SIGNALS = frozenset({"politeness"})


@dataclass(frozen=True)
class SignalLimits:
    """When a graded signal fires and how its strength (0..1) grows."""

    history_turns: int
    negation_window_tokens: int
    negative_sentiment_min: float
    shouted_word_min_letters: int
    shouted_words_for_full_strength: int
    emphatic_marks_min: int
    emphatic_marks_for_full_strength: int
    unresolved_streak_min: int
    customer_repeat_min_tokens: int
    customer_repeat_min_similarity: float
    bot_repeat_min_similarity: float
    sentiment_trend_min_drop: float


LIMIT_RANGES: dict[str, tuple[type, float, float]] = {
    "history_turns": (int, 1, 50),
    "negation_window_tokens": (int, 0, 10),
    "negative_sentiment_min": (float, 0.0, 1.0),
    "shouted_word_min_letters": (int, 2, 20),
    "shouted_words_for_full_strength": (int, 1, 20),
    "emphatic_marks_min": (int, 2, 10),
    "emphatic_marks_for_full_strength": (int, 2, 20),
    "unresolved_streak_min": (int, 1, 20),
    "customer_repeat_min_tokens": (int, 1, 20),
    "customer_repeat_min_similarity": (float, 0.0, 1.0),
    "bot_repeat_min_similarity": (float, 0.0, 1.0),
    "sentiment_trend_min_drop": (float, 0.0, 2.0),
}


@dataclass(frozen=True)
class PhrasePatterns:
    """Each list of phrases compiled into one case-insensitive, whole-word pattern."""

    frustration_phrase: re.Pattern[str]
    profanity: re.Pattern[str]
    person_request: re.Pattern[str]
    sarcasm: re.Pattern[str]
    customer_correction: re.Pattern[str]
    customer_doubt: re.Pattern[str]
    customer_pushback: re.Pattern[str]
    politeness: re.Pattern[str]
    bot_failure: re.Pattern[str]
    negator: frozenset[str]


@dataclass(frozen=True)
class FrustrationConfig:
    threshold: float
    weights: SignalWeights
    limits: SignalLimits
    phrases: PhrasePatterns


def parse_frustration_config(data: object) -> FrustrationConfig:
    """Validate the `frustration:` section of the parsed escalation document and build the
    typed config; raises ConfigError listing every problem."""
    check = Checker("escalation config", ConfigError)
    root = data if isinstance(data, Mapping) else {}
    section = check.mapping(root.get("frustration"), "frustration")
    threshold = check.number(section.get("threshold"), "frustration.threshold")
    if threshold <= 0:
        check.add(f"frustration.threshold={threshold!r} must be greater than 0")
    weights = _weights(check, check.mapping(section.get("weights"), "frustration.weights"))
    limits = _limits(check, check.mapping(section.get("limits"), "frustration.limits"))
    phrases = _phrases(check, check.mapping(section.get("phrases"), "frustration.phrases"))
    check.raise_problems()
    return FrustrationConfig(threshold=threshold, weights=weights, limits=limits, phrases=phrases)


def _weights(check: Checker, section: Mapping) -> SignalWeights:
    names = {field.name for field in fields(SignalWeights)}
    check.known(section, names, "frustration.weights.")
    values: dict[str, float] = {}
    for name in sorted(names):
        value = check.number(section.get(name), f"frustration.weights.{name}")
        if name in CALMING_SIGNALS and value > 0:
            check.add(f"frustration.weights.{name}={value!r} must be <= 0 (it calms)")
        elif name not in CALMING_SIGNALS and value < 0:
            check.add(f"frustration.weights.{name}={value!r} must be >= 0")
        values[name] = value
    return SignalWeights(**values)


def _limits(check: Checker, section: Mapping) -> SignalLimits:
    check.known(section, LIMIT_RANGES, "frustration.limits.")
    values: dict[str, float] = {}
    for name, (kind, low, high) in LIMIT_RANGES.items():
        key = f"frustration.limits.{name}"
        values[name] = kind(check.number(section.get(name), key, low, high, whole=kind is int))
    return SignalLimits(**values)  # type: ignore[arg-type]


def _phrases(check: Checker, section: Mapping) -> PhrasePatterns:
    """Phrases are regular expressions, matched case-insensitively as whole words."""
    names = {field.name for field in fields(PhrasePatterns)}
    check.known(section, names, "frustration.phrases.")
    patterns: dict[str, object] = {
        name: check.patterns(section.get(name), f"frustration.phrases.{name}")
        for name in sorted(names - {"negator"})
    }
    negators = section.get("negator")
    if not isinstance(negators, list) or not all(isinstance(word, str) for word in negators):
        check.add(
            f"frustration.phrases.negator={negators!r} must be a list of words "
            '(quote "no": a bare no is false in YAML)'
        )
        negators = []
    patterns["negator"] = frozenset(word.lower() for word in negators)
    return PhrasePatterns(**patterns)  # type: ignore[arg-type]
