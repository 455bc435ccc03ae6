"""The one reader of YAML config files: `load_yaml_mapping` reads a file whose top level is a
mapping; `load_yaml_config` also hands it to a pure parser and names the file in its error.

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


def load_yaml_mapping(
    path: Path, what: str = "YAML file", error: type[Exception] = ValueError
) -> Mapping[str, Any]:
    """The parsed file; `error` names the file when it cannot be read, is not YAML, or does not
    hold a mapping (`key: value` lines) at the top level."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as failure:
        raise error(f"cannot read {what} {path}: {failure}") from failure
    if not isinstance(data, Mapping):
        raise error(f"{path}: invalid {what}:\n  - the file must hold a mapping (key: value lines)")
    return data


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
