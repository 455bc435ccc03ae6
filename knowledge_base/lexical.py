"""Lexical scoring of passages: BM25 over their words, for questions whose words matter more than
their meaning (product names, "C-wire", "Klarna", an order number's "HL-").

Pure and numpy only. Built once per index from the passages' texts; `scores(query)` gives every
passage's BM25 score (0 where no query word occurs), touching only the passages that hold a query
word, so a query costs what its words' postings cost, not the number of passages.

Words are lowercased letters and digits; a small English stop list is dropped and a light suffix
rule folds plurals and -ing/-ed forms together ("bulbs" ~ "bulb", "charged" ~ "charge"), so
customers' inflections meet the articles' wording without a stemming package.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

K1 = 1.2
"""How fast repeated words stop adding (BM25's term-frequency saturation)."""
B = 0.75
"""How much a long passage is discounted against the average length."""
WORD = re.compile(r"[a-z0-9]+")
_STOP_LIST = """a an and are as at be been but by can could did do does doing for from had has have
how i if in into is it its me my of on or our so that the their them then there they this to was we
were what when where which who why will with would you your yours im pls please hi hey hello
thanks thank"""
STOP_WORDS = frozenset(_STOP_LIST.split())


def words(text: str) -> list[str]:
    """The words BM25 counts: lowercase, stop words dropped, suffixes folded."""
    return [fold(word) for word in WORD.findall(text.lower()) if word not in STOP_WORDS]


def fold(word: str) -> str:
    """A light suffix rule: "bulbs" -> "bulb", "charged" -> "charg", "charging" -> "charg",
    "charges" -> "charg". Short words and numbers stay as they are."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix in ("ing", "ies", "es", "ed", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class LexicalIndex:
    def __init__(self, texts: Sequence[str]) -> None:
        counted = [Counter(words(text)) for text in texts]
        self.size = len(texts)
        lengths = np.array([sum(counts.values()) for counts in counted], dtype=float)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        self._norm = K1 * (1 - B + B * lengths / average)
        postings: dict[str, list[tuple[int, int]]] = {}
        for row, counts in enumerate(counted):
            for word, count in counts.items():
                postings.setdefault(word, []).append((row, count))
        self._postings = {
            word: (
                np.array([row for row, _ in rows], dtype=int),
                np.array([count for _, count in rows], dtype=float),
            )
            for word, rows in postings.items()
        }
        self._idf = {
            word: math.log(1 + (self.size - len(rows) + 0.5) / (len(rows) + 0.5))
            for word, rows in postings.items()
        }

    def scores(self, query: str) -> np.ndarray:
        """Every passage's BM25 score for the query (each query word counted once)."""
        total = np.zeros(self.size)
        for word in set(words(query)):
            found = self._postings.get(word)
            if found is None:
                continue
            rows, counts = found
            total[rows] += self._idf[word] * counts * (K1 + 1) / (counts + self._norm[rows])
        return total
