"""The customer's sentiment for the frustration scorer: VADER's compound score (the
vaderSentiment package, an offline lexicon).

It lives outside handoff/detection/ because that package imports no third-party code (the bot
env's import rule); the scorer takes any `Polarity` function, and the Rasa escalation policy,
the USS benchmark and the tests pass this one in. Python 3.10 compatible.

The escalation decision walks the recent turns again whenever the window moves, and the
sentiment trend looks back over the earlier turns at each step: the same texts come back dozens
of times (about 40 VADER calls, 5 ms, at turn 10, before the decider remembered its walks).
`vader_polarity` remembers the score of the texts it scored last, keyed by a digest (no
customer text is kept), so a turn scores only its new message.
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from handoff.bounded_memo import BoundedMemo
from handoff.detection.frustration import Polarity
from handoff.privacy.text_digest import text_digest

# About 200 conversations' worth of recent turns; ~1 MB.
MEMO_SIZE = 10_000


def vader_polarity(memo_size: int = MEMO_SIZE) -> Polarity:
    """VADER's compound sentiment, -1 to +1, remembering the last `memo_size` texts' scores
    (pure, so a remembered score is what scoring again gives); builds the analyzer (reads its
    lexicon) when called."""
    analyzer = SentimentIntensityAnalyzer()
    scores: BoundedMemo[float] = BoundedMemo(memo_size)

    def polarity(text: str) -> float:
        key = text_digest(text)
        known = scores.get(key)
        if known is None:
            known = float(analyzer.polarity_scores(text)["compound"])
            scores.put(key, known)
        return known

    return polarity
