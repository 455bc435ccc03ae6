"""VADER's polarity as the escalation decision uses it: remembered scores are the scores."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from handoff.sentiment import vader_polarity

TEXTS = [
    "this is useless, I have asked three times",
    "thanks, that worked!",
    "where is my order",
    "I am so angry \ud800",  # a lone surrogate can arrive in JSON
]


def test_a_remembered_score_is_the_score_vader_gives() -> None:
    analyzer = SentimentIntensityAnalyzer()
    polarity = vader_polarity(memo_size=2)
    for _ in range(3):  # cold, remembered, and after the small memo has dropped them
        for text in TEXTS:
            assert polarity(text) == analyzer.polarity_scores(text)["compound"]


def test_a_text_is_scored_once_while_it_is_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    scored: list[str] = []
    original = SentimentIntensityAnalyzer.polarity_scores

    def counting(self: SentimentIntensityAnalyzer, text: str) -> dict[str, float]:
        scored.append(text)
        return original(self, text)

    monkeypatch.setattr(SentimentIntensityAnalyzer, "polarity_scores", counting)
    polarity = vader_polarity(memo_size=2)
    for _ in range(5):
        polarity(TEXTS[0])
        polarity(TEXTS[1])
    assert scored == TEXTS[:2]
    polarity(TEXTS[2])  # the memo holds two: the least recently used goes
    polarity(TEXTS[0])
    assert scored == [*TEXTS[:3], TEXTS[0]]
