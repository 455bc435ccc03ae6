"""Reads the escalation file (handoff/detection/escalation.yml unless a path is given) into the
frustration config and the decision config.

The detection package validates both sections with pure parsers, but may import no third-party
code (the bot env's import rule), and reading YAML needs PyYAML: so the two loaders live here, at
handoff's root, one line each on infra/yaml_config.py. The Rasa escalation policy, the USS
benchmark and the tests call them. Python 3.10 compatible.
"""

from __future__ import annotations

from pathlib import Path

from handoff.detection.decision_config import DecisionConfig, parse_decision_config
from handoff.detection.frustration_config import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    FrustrationConfig,
    parse_frustration_config,
)
from infra.yaml_config import load_yaml_config

WHAT = "escalation config"


def load_frustration_config(path: Path = DEFAULT_CONFIG_PATH) -> FrustrationConfig:
    """The `frustration:` section: signal weights, limits, phrases and the threshold."""
    return load_yaml_config(path, parse_frustration_config, WHAT, ConfigError)


def load_decision_config(path: Path = DEFAULT_CONFIG_PATH) -> DecisionConfig:
    """The `decision:` section: when to offer a person and when to hand off."""
    return load_yaml_config(path, parse_decision_config, WHAT, ConfigError)
