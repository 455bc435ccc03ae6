"""Frustration-scoring configuration: the `frustration:` section of
handoff/detection/escalation.yml.

`parse_config` is pure (a mapping in, a typed and validated config out); `load_config` is the
thin edge that reads the YAML file. Every problem in a file is reported at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

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


def load_config(path: Path = DEFAULT_CONFIG_PATH) -> FrustrationConfig:
    """Read and validate the escalation YAML file (the only I/O in this module)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read escalation config {path}: {error}") from error
    return parse_config(data)


def parse_config(data: object) -> FrustrationConfig:
    """Validate the parsed YAML document and build the typed config."""
    problems: list[str] = []
    section = _section(data, "frustration", problems)
    threshold = _number(section.get("threshold"), "frustration.threshold", problems)
    if threshold <= 0:
        problems.append(f"frustration.threshold={threshold!r} must be greater than 0")
    weights = _weights(_section(section, "weights", problems, "frustration."), problems)
    limits = _limits(_section(section, "limits", problems, "frustration."), problems)
    phrases = _phrases(_section(section, "phrases", problems, "frustration."), problems)
    if problems:
        raise ConfigError("invalid escalation config:\n  - " + "\n  - ".join(problems))
    return FrustrationConfig(threshold=threshold, weights=weights, limits=limits, phrases=phrases)


def _section(data: object, key: str, problems: list[str], prefix: str = "") -> Mapping:
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, Mapping):
        problems.append(f"{prefix}{key} must be a mapping")
        return {}
    return value


def _number(raw: object, name: str, problems: list[str]) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        problems.append(f"{name}={raw!r} must be a finite number")
        return 0.0
    return float(raw)


def _unexpected_keys(section: Mapping, known: set[str], prefix: str, problems: list[str]) -> None:
    for key in sorted(set(map(str, section)) - known):
        problems.append(
            f"{prefix}.{key} is not a known setting (known: {', '.join(sorted(known))})"
        )


def _weights(section: Mapping, problems: list[str]) -> SignalWeights:
    names = {field.name for field in fields(SignalWeights)}
    _unexpected_keys(section, names, "frustration.weights", problems)
    values: dict[str, float] = {}
    for name in sorted(names):
        value = _number(section.get(name), f"frustration.weights.{name}", problems)
        if name in CALMING_SIGNALS and value > 0:
            problems.append(f"frustration.weights.{name}={value!r} must be <= 0 (it calms)")
        elif name not in CALMING_SIGNALS and value < 0:
            problems.append(f"frustration.weights.{name}={value!r} must be >= 0")
        values[name] = value
    return SignalWeights(**values)


def _limits(section: Mapping, problems: list[str]) -> SignalLimits:
    _unexpected_keys(section, set(LIMIT_RANGES), "frustration.limits", problems)
    values: dict[str, float] = {}
    for name, (kind, low, high) in LIMIT_RANGES.items():
        raw = section.get(name)
        key = f"frustration.limits.{name}"
        value = _number(raw, key, problems)
        if kind is int and not isinstance(raw, int):
            problems.append(f"{key}={raw!r} must be a whole number")
        elif not low <= value <= high:
            problems.append(f"{key}={raw!r} must be between {low} and {high}")
        values[name] = kind(value)
    return SignalLimits(**values)  # type: ignore[arg-type]


def _phrases(section: Mapping, problems: list[str]) -> PhrasePatterns:
    names = {field.name for field in fields(PhrasePatterns)}
    _unexpected_keys(section, names, "frustration.phrases", problems)
    patterns: dict[str, object] = {}
    for name in sorted(names - {"negator"}):
        patterns[name] = _compile(section.get(name), f"frustration.phrases.{name}", problems)
    negators = section.get("negator")
    if not isinstance(negators, list) or not all(isinstance(word, str) for word in negators):
        problems.append(
            f"frustration.phrases.negator={negators!r} must be a list of words "
            '(quote "no": a bare no is false in YAML)'
        )
        negators = []
    patterns["negator"] = frozenset(word.lower() for word in negators)
    return PhrasePatterns(**patterns)  # type: ignore[arg-type]


def _compile(raw: object, name: str, problems: list[str]) -> re.Pattern[str]:
    """Phrases are regular expressions, matched case-insensitively as whole words."""
    if not isinstance(raw, list) or not raw:
        problems.append(f"{name} must be a non-empty list of phrases")
        return re.compile(r"(?!x)x")
    good: list[str] = []
    for phrase in raw:
        try:
            if not isinstance(phrase, str) or not phrase.strip():
                raise re.error("a phrase must be non-empty text")
            re.compile(phrase)
            good.append(phrase)
        except re.error as error:
            problems.append(f"{name}: phrase {phrase!r} is not a valid pattern ({error})")
    return re.compile(r"(?<![\w'])(?:" + "|".join(good) + r")(?![\w'])", re.IGNORECASE)
