"""A tuning proposal as an edit of the escalation file: the same text, comments and order kept,
with only the numbers of the `decision:` section that the fit moved changed, and the unified
diff a person reviews before applying it by hand. Pure text work.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

SECTION = "decision"
_LINE = re.compile(r"^(?P<indent> *)(?P<key>[\w-]+):(?P<space> *)(?P<value>[^#\s]*)(?P<rest>.*)$")


class ProposalError(ValueError):
    """A setting the file does not have where the path says."""


def proposed_text(text: str, changes: Mapping[str, float]) -> str:
    """`text` with each `decision.<path>` number replaced (`offer_at`, `weights.kb_miss`,
    `limits.unresolved_turns_min`); raises ProposalError when a path is not in the file."""
    lines = text.split("\n")
    for path, value in changes.items():
        index = _find(lines, [SECTION, *path.split(".")])
        match = _LINE.match(lines[index])
        assert match is not None  # _find only returns lines that match
        number = _number(value)
        padding = match["rest"]
        if padding.startswith(" ") and len(match["value"]) != len(number):
            # keep a trailing comment in its column where the spaces allow it
            shift = len(number) - len(match["value"])
            spaces = len(padding) - len(padding.lstrip(" "))
            padding = " " * max(1, spaces - shift) + padding.lstrip(" ")
        lines[index] = f"{match['indent']}{match['key']}:{match['space']}{number}{padding}"
    return "\n".join(lines)


def unified_diff(before: str, after: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )


def _find(lines: list[str], keys: list[str]) -> int:
    """The line of the nested key `keys`, each one level below the one before."""
    start, parent_indent, found = 0, -1, -1
    for key in keys:
        found, child_indent = -1, None
        for index in range(start, len(lines)):
            match = _LINE.match(lines[index])
            if match is None:
                continue  # blank, comment or list item
            level = len(match["indent"])
            if level <= parent_indent:
                break  # the enclosing section ended
            child_indent = level if child_indent is None else child_indent
            if level == child_indent and match["key"] == key:
                found = index
                break
        if found < 0:
            raise ProposalError(f"{'.'.join(keys)} is not in the escalation file")
        start, parent_indent = found + 1, child_indent if child_indent is not None else 0
    if not _LINE.match(lines[found])["value"]:  # type: ignore[index]
        raise ProposalError(f"{'.'.join(keys)} is a section, not a number")
    return found


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{value:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
