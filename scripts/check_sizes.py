"""Fail when a module or a function outgrows what fits in a head: modules over 400 lines,
functions over 60 lines (benchmarks/ and tests/ are exempt). The browser's JavaScript modules
(gateway/static/*.js) are held to the same 400 lines (their functions are not measured). Run by
`make lint`.

Usage: python scripts/check_sizes.py [FOLDER ...]   (default: the project's source folders)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FOLDERS = (
    "actions",
    "commerce",
    "content",
    "gateway",
    "handoff",
    "helpdesk",
    "infra",
    "knowledge_base",
    "mail",
    "metrics",
    "order_service",
    "outcomes",
    "rasa_extensions",
    "review",
    "service",
    "stack",
    "scripts",
)
MODULE_LINES = 400
FUNCTION_LINES = 60


def too_long(path: Path, text: str) -> list[str]:
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines > MODULE_LINES:
        return [f"{path.relative_to(ROOT)}: {lines} lines (at most {MODULE_LINES})"]
    return []


def problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    where = path.relative_to(ROOT)
    found = too_long(path, text)
    if path.suffix == ".js":
        return found
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > FUNCTION_LINES:
                found.append(
                    f"{where}:{node.lineno}: {node.name}() has {length} lines "
                    f"(at most {FUNCTION_LINES})"
                )
    return found


def main(folders: list[str]) -> int:
    found = [
        problem
        for folder in folders or SOURCE_FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for problem in problems(path)
    ] + [
        problem
        for path in sorted((ROOT / "gateway" / "static").glob("*.js"))
        for problem in problems(path)
    ]
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
