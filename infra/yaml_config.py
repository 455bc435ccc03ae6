"""The one reader of YAML: `load_yaml_mapping` reads a file whose top level is a mapping,
`load_yaml_config` also hands it to a pure parser and names the file in its error, and
`parse_yaml_mapping` reads YAML text that is not a file of its own (an article's front matter).

A config module pairs a pure `parse_*` (a mapping in, a typed config out, validated with
infra/config_checks.py's `Checker`) with a one-line `load_*` built on `load_yaml_config`. The
parsers stay free of PyYAML, so the bot env's handoff/detection can use them; this module is the
edge that touches the disk. Python 3.10 compatible (the bot env reads its escalation file here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

Config = TypeVar("Config")


def parse_yaml_mapping(text: str) -> Mapping[str, Any]:
    """YAML text whose top level is a mapping; the ValueError's message completes a sentence
    about the text ("is not valid YAML (...)", "must be a mapping (key: value lines)")."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as failure:
        raise ValueError(f"is not valid YAML ({failure})") from failure
    if not isinstance(data, Mapping):
        raise ValueError("must be a mapping (key: value lines)")
    return data


def load_yaml_mapping(
    path: Path, what: str = "YAML file", error: type[Exception] = ValueError
) -> Mapping[str, Any]:
    """The parsed file; `error` names the file when it cannot be read, is not YAML, or does not
    hold a mapping at the top level."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as failure:
        raise error(f"cannot read {what} {path}: {failure}") from failure
    try:
        return parse_yaml_mapping(text)
    except ValueError as problem:
        raise error(f"{path}: invalid {what}:\n  - the file {problem}") from problem


def load_yaml_config(
    path: Path,
    parse: Callable[[Mapping[str, Any]], Config],
    what: str,
    error: type[Exception],
) -> Config:
    """Read the file and parse it; a parser's `error` (every problem listed) gets the file's
    path in front."""
    data = load_yaml_mapping(path, what, error)
    try:
        return parse(data)
    except error as invalid:
        raise error(f"{path}: {invalid}") from None
