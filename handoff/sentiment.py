"""The customer's sentiment for the frustration scorer: VADER's compound score (the
vaderSentiment package, an offline lexicon).

It lives outside handoff/detection/ because that package imports no third-party code (the bot
env's import rule); the scorer takes any `Polarity` function, and the Rasa escalation policy,
the USS benchmark and the tests pass this one in. Python 3.10 compatible.
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from handoff.detection.frustration import Polarity


def vader_polarity() -> Polarity:
    """VADER's compound sentiment, -1 to +1; builds the analyzer (reads its lexicon) when called."""
    analyzer = SentimentIntensityAnalyzer()

    def polarity(text: str) -> float:
        return float(analyzer.polarity_scores(text)["compound"])

    return polarity
