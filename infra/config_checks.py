"""The one idiom for validating configuration: collect every problem, then raise one error that
lists them all, so a person fixes a file or an environment in one pass instead of one problem
per start-up.

`Problems` is the collector (infra/env.py's `EnvReader` is one for environment variables);
`Checker` validates the values of a parsed YAML document. Each `Checker` method returns a usable
placeholder when a value is bad, so validation continues and `raise_problems` reports the whole
list at the end.

Standard library only and Python 3.10 compatible: the bot env's handoff/detection validates its
config with it, and may import no third-party package. Reading a file (PyYAML) is
infra/yaml_config.py's job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from datetime import timedelta

DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")
NEVER = re.compile(r"(?!x)x")
"""A pattern that matches nothing: the placeholder for a bad list of phrases."""


class Problems:
    """Every problem found in one source of settings, raised at the end as one `error`:
    "invalid {what}:" followed by one "  - problem" line each."""

    def __init__(self, what: str, error: type[Exception] = ValueError) -> None:
        self.what = what
        self.error = error
        self.problems: list[str] = []

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def raise_problems(self) -> None:
        """Raise the error listing every problem found so far; nothing when there is none."""
        if self.problems:
            raise self.error(f"invalid {self.what}:\n  - " + "\n  - ".join(self.problems))


class Checker(Problems):
    """Validators for the values of a parsed YAML document; `name` is the value's dotted path
    (`sla.policies.urgent.first_response`), quoted in the problem."""

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

    def number(
        self,
        value: object,
        name: str,
        low: float = -math.inf,
        high: float = math.inf,
        whole: bool = False,
    ) -> float:
        """A finite number from `low` to `high`; `whole` refuses a fraction. The placeholder
        for a value that is not a number is `low` (0.0 when unbounded)."""
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.add(f"{name}={value!r} must be a finite number")
            return low if math.isfinite(low) else 0.0
        if whole and not isinstance(value, int):
            self.add(f"{name}={value!r} must be a whole number")
        elif not low <= value <= high:
            self.add(f"{name}={value!r} must be between {low} and {high}")
        return float(value)

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

    def patterns(self, value: object, name: str) -> re.Pattern[str]:
        """Phrases written as regular expressions, in the order given, compiled into one
        pattern matched in any case as whole words (a letter or an apostrophe next to a match
        makes it part of a longer word). Each bad phrase is its own problem."""
        if not isinstance(value, list) or not value:
            self.add(f"{name} must be a non-empty list of phrases")
            return NEVER
        good: list[str] = []
        for phrase in value:
            try:
                if not isinstance(phrase, str) or not phrase.strip():
                    raise re.error("a phrase must be non-empty text")
                re.compile(phrase)
                good.append(phrase)
            except re.error as error:
                self.add(f"{name}: phrase {phrase!r} is not a valid pattern ({error})")
        try:
            joined = r"(?<![\w'])(?:" + "|".join(good) + r")(?![\w'])"
            return re.compile(joined, re.IGNORECASE) if good else NEVER
        except re.error as error:  # each phrase compiles, together they don't (a group name twice)
            self.add(f"{name}: the phrases do not combine into one pattern ({error})")
            return NEVER
