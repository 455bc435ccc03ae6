"""Validators for a parsed YAML document that collect every problem instead of stopping.

Each method returns a usable placeholder when the value is bad, so validation continues and
the caller raises once with the whole list (`Checker.problems`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import timedelta

DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")
NEVER = re.compile(r"(?!x)x")


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def mapping(self, value: object, name: str) -> Mapping:
        if not isinstance(value, Mapping):
            self.add(f"{name} must be a mapping")
            return {}
        return value

    def known(self, section: Mapping, known: Collection[str], prefix: str) -> None:
        """Report keys that are not settings (a typo would otherwise be silently ignored)."""
        for key in sorted(set(map(str, section)) - set(known)):
            self.add(f"{prefix}{key} is not a known setting (known: {', '.join(sorted(known))})")

    def text(self, value: object, name: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.add(f"{name}={value!r} must be non-empty text")
            return ""
        return value.strip()

    def texts(self, value: object, name: str, required: bool = False) -> list[str]:
        if value is None and not required:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.add(f"{name}={value!r} must be a list of non-empty texts")
            return []
        if required and not value:
            self.add(f"{name} must not be empty")
        return [v.strip() for v in value]

    def choice(self, value: object, name: str, choices: Collection[str], default: str) -> str:
        if not isinstance(value, str) or value not in choices:
            self.add(f"{name}={value!r} must be one of {', '.join(choices)}")
            return default
        return value

    def whole(self, value: object, name: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(f"{name}={value!r} must be a whole number from {low} to {high}")
            return low
        return value

    def fraction(self, value: object, name: str) -> float:
        """A number in (0, 1]."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            self.add(f"{name}={value!r} must be a number above 0 and at most 1")
            return 1.0
        return float(value)

    def flag(self, value: object, name: str) -> bool:
        if not isinstance(value, bool):
            self.add(f"{name}={value!r} must be true or false")
            return False
        return value

    def duration(self, value: object, name: str) -> timedelta:
        """'15m', '2h' or '1h30m'."""
        match = DURATION.match(value) if isinstance(value, str) else None
        if match is None or not any(match.groups()):
            self.add(f"{name}={value!r} must be a duration such as 15m, 2h or 1h30m")
            return timedelta(minutes=1)
        hours, minutes = (int(group or 0) for group in match.groups())
        if hours == minutes == 0:
            self.add(f"{name}={value!r} must be longer than zero")
            return timedelta(minutes=1)
        return timedelta(hours=hours, minutes=minutes)

    def phrases(self, value: object, name: str) -> re.Pattern[str]:
        """Plain-text phrases (not regular expressions): whole words, any case, any spacing.

        Longer phrases are tried first so the reason quotes "someone in charge", not "charge".
        """
        phrases = self.texts(value, name, required=True)
        if not phrases:
            return NEVER
        alternatives = [r"\s+".join(map(re.escape, p.split())) for p in phrases]
        alternatives.sort(key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
