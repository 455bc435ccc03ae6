"""The shop's products and the words customers use for each ("cam" for Sentinel Cam), from the
content file knowledge_base/products.yml (`KB_PRODUCTS_FILE`). Follow-up questions use them
(knowledge_base/follow_up.py): "what about the doorbell?" after a camera answer names another
product; "how much does it cost?" after a Plus answer means Hearthly Plus.

A company adopting the project edits the file with its help centre, not the code. `parse_products`
is pure and lists every problem at once; `load_products` reads the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.config_checks import Checker
from infra.yaml_config import load_yaml_config

DEFAULT_PRODUCTS_PATH = Path(__file__).resolve().parent / "products.yml"
MAX_PRODUCTS = 200
MAX_WORD_CHARS = 60


class ProductsError(ValueError):
    """A products file that cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class Products:
    words: Mapping[str, tuple[str, ...]]
    """Product name -> the words customers use for it (the name itself among them)."""
    _patterns: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = {
            name: re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
            for name, words in self.words.items()
        }
        object.__setattr__(self, "_patterns", patterns)

    def named_in(self, text: str) -> str | None:
        """The product the text names first (by position), or None."""
        found = [
            (match.start(), name)
            for name, pattern in self._patterns.items()
            if (match := pattern.search(text))
        ]
        return min(found)[1] if found else None

    def swap(self, text: str, named: str, other: str) -> str:
        """The text with its first word for `named` replaced by the product `other`."""
        return self._patterns[named].sub(other, text, count=1)


NO_PRODUCTS = Products({})


def parse_products(data: Mapping[str, Any]) -> Products:
    """`products:` maps each product's name to a list of the words customers use for it."""
    check = Checker("products file", ProductsError)
    check.known(data, ("products",), "")
    section = check.mapping(data.get("products", {}), "products")
    if len(section) > MAX_PRODUCTS:
        check.add(f"products lists {len(section)} products; at most {MAX_PRODUCTS}")
    words: dict[str, tuple[str, ...]] = {}
    for name, listed in section.items():
        label = check.text(name, "a product name")
        found = check.texts(listed, f"products.{name}", required=True)
        for word in found:
            if len(word) > MAX_WORD_CHARS:
                check.add(f"products.{name}: {word[:40]!r}... is over {MAX_WORD_CHARS} characters")
        if label:
            names = [label.lower(), *(word.lower() for word in found)]
            words[label] = tuple(dict.fromkeys(names))  # the name first, no repeats
    check.raise_problems()
    return Products(words)


def load_products(path: Path = DEFAULT_PRODUCTS_PATH) -> Products:
    return load_yaml_config(path, parse_products, "products file", ProductsError)
