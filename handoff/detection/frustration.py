"""Per-turn frustration scoring: explainable signals from a customer's turn and its history.

Pure core: no I/O, no clock. The caller passes the conversation so far as `Turn`s (the last one
is the customer turn being scored) and a sentiment function (handoff/sentiment.py's VADER for
the Rasa policy: this package imports no third-party code). Every signal that fires says what
it is, how much it weighs, the words behind it and the index (into the given history) of the
turn those words come from.

Text is enough. A caller that knows what its own bot turns achieved (a knowledge-base miss, a
failed booking, an NLU fallback) sets `Turn.outcome` on them; the bot_failure signal then
follows that outcome instead of guessing from the bot's words.

The score is the sum of weight x strength over the signals (strength is 0..1; up to 2 for
several distinct frustration phrases or swear words), floored at 0; a turn is frustrated
when its score reaches the configured threshold. Weights, thresholds and phrase lists live
in handoff/detection/escalation.yml (see handoff/detection/frustration_config.py).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from handoff.detection.frustration_config import FrustrationConfig

Speaker = Literal["customer", "bot"]
BotOutcome = Literal["answered", "no_result", "failed", "not_understood"]
"""What a bot turn achieved, as the system itself knows it (see `Turn.outcome`)."""
BOT_OUTCOMES = frozenset(get_args(BotOutcome))
FAILED_OUTCOMES = frozenset({"no_result", "failed", "not_understood"})
Polarity = Callable[[str], float]
"""Sentiment of a text from -1 (very negative) to +1 (very positive), e.g. VADER's compound."""

CUMULATIVE_PHRASES = frozenset({"frustration_phrase", "profanity"})
CLAUSE_BREAK = re.compile(r"[,.;:!?]|\bbut\b", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9']+")
EMPHATIC_RUN = re.compile(r"[!?]{2,}")
ANSWER_NO = re.compile(r"^\W*(?:no|nope|nah)\b[\s,.]*", re.IGNORECASE)
STOPWORD_TEXT = """
a an the and or but if so to of in on at for from by with about as is are was were be been
am i i'm i'd i'll me my we our you your it it's its this that these those there here
do does did can could would will should may might please just also any some what which
how when where who why hi hello hey ok okay yes no not
"""
STOPWORDS = frozenset(STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Turn:
    """One turn of the conversation.

    `outcome` is optional and only for bot turns, set by the caller from its own events:
    "answered" (the turn gave what was asked: an article, a status, a booking), "no_result" (a
    lookup found nothing: knowledge-base miss, no matching record), "failed" (an action could not
    be completed: booking refused, backend error), "not_understood" (NLU fallback, or the bot
    asked again for something the customer had already given). None means unknown: the bot's
    words decide, as for a text-only transcript.
    """

    speaker: Speaker
    text: str
    outcome: BotOutcome | None = None

    def __post_init__(self) -> None:
        if self.outcome is None:
            return
        if self.speaker != "bot":
            raise ValueError(f"only a bot turn has an outcome, not a {self.speaker} turn")
        if self.outcome not in BOT_OUTCOMES:
            known = ", ".join(sorted(BOT_OUTCOMES))
            raise ValueError(f"unknown bot outcome {self.outcome!r} (known: {known})")


@dataclass(frozen=True)
class Signal:
    name: str
    weight: float
    strength: float
    evidence: str
    turn_index: int

    @property
    def contribution(self) -> float:
        return self.weight * self.strength


@dataclass(frozen=True)
class FrustrationAssessment:
    turn_index: int
    score: float
    threshold: float
    signals: tuple[Signal, ...]

    @property
    def frustrated(self) -> bool:
        return self.score >= self.threshold

    def explain(self) -> str:
        verdict = ">=" if self.frustrated else "<"
        parts = [
            f"{s.name} {s.contribution:+.2f} (turn {s.turn_index}: {s.evidence})"
            for s in sorted(self.signals, key=lambda s: -abs(s.contribution))
        ]
        return f"frustration {self.score:.2f} {verdict} {self.threshold:.2f}: " + (
            "; ".join(parts) or "no signals"
        )


def content_words(text: str) -> frozenset[str]:
    return frozenset(
        w for w in WORD.findall(_normalise(text).lower()) if len(w) > 1 and w not in STOPWORDS
    )


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Token overlap (Jaccard) of two sets of content words."""
    union = first | second
    return len(first & second) / len(union) if union else 0.0


class FrustrationScorer:
    """Scores the latest customer turn of a conversation; create once, call per turn."""

    def __init__(self, config: FrustrationConfig, polarity: Polarity) -> None:
        self.config = config
        self.polarity = polarity
        letters = config.limits.shouted_word_min_letters
        self._shouted_word = re.compile(rf"(?<![\w'])[A-Z]{{{letters},}}(?![\w'])")

    def assess(self, history: Sequence[Turn]) -> FrustrationAssessment:
        weighted = tuple(s for s in self.detect(history) if s.contribution != 0)
        score = max(0.0, sum(s.contribution for s in weighted))
        return FrustrationAssessment(
            turn_index=len(history) - 1,
            score=round(score, 4),
            threshold=self.config.threshold,
            signals=weighted,
        )

    def detect(self, history: Sequence[Turn]) -> list[Signal]:
        """Every signal that fires on the last turn, whatever its weight."""
        if not history or history[-1].speaker != "customer":
            raise ValueError("the last turn of the history must be the customer's")
        index = len(history) - 1
        text = _normalise(history[-1].text)
        start = max(0, index - self.config.limits.history_turns)
        earlier = [(i, history[i]) for i in range(start, index)]
        polarity = self.sentiment(text)
        return [
            *self._turn_signals(text, index, polarity),
            *self._conversation_signals(text, index, polarity, earlier),
        ]

    def sentiment(self, text: str) -> float:
        """Polarity without a leading answer "no": VADER reads "No, thanks" as negative."""
        return self.polarity(ANSWER_NO.sub("", text, count=1))

    def _signal(
        self, name: str, strength: float, evidence: str, turn_index: int, cap: float = 1.0
    ) -> Signal:
        weight = getattr(self.config.weights, name)
        return Signal(name, weight, round(min(cap, strength), 4), evidence, turn_index)

    def _turn_signals(self, text: str, index: int, polarity: float) -> list[Signal]:
        phrases, limits = self.config.phrases, self.config.limits
        found: list[Signal] = []
        for name, negatable in (
            ("frustration_phrase", True),
            ("profanity", False),
            ("person_request", True),
            ("sarcasm", False),
            ("customer_correction", False),
            ("customer_doubt", False),
            ("customer_pushback", False),
            ("politeness", True),
        ):
            if name == "politeness" and any(s.name == "sarcasm" for s in found):
                continue  # "great, just great" is not a thank-you
            matches = self._phrase_matches(getattr(phrases, name), text, negatable)
            if matches and name in CUMULATIVE_PHRASES:
                # "three times already, come on": each further distinct phrase adds half
                distinct = len({m.strip().lower() for m in matches})
                strength = 1.0 + 0.5 * (distinct - 1)
                found.append(self._signal(name, strength, _quoted(matches), index, cap=2.0))
            elif matches:
                found.append(self._signal(name, 1.0, _quoted(matches), index))
        if -polarity >= limits.negative_sentiment_min:
            found.append(self._signal("negative_sentiment", -polarity, f"{polarity:+.2f}", index))
        shouted = self._shouted_word.findall(text)
        if shouted:
            strength = len(shouted) / limits.shouted_words_for_full_strength
            found.append(self._signal("shouting", strength, _quoted(shouted), index))
        runs = EMPHATIC_RUN.findall(text)
        longest = max(runs, key=len, default="")
        if len(longest) >= limits.emphatic_marks_min:
            strength = len(longest) / limits.emphatic_marks_for_full_strength
            found.append(self._signal("emphatic_punctuation", strength, _quoted(runs), index))
        return found

    def _phrase_matches(self, pattern: re.Pattern[str], text: str, negatable: bool) -> list[str]:
        """Phrases in the text; a negatable phrase after a negator in its clause does not count."""
        window = self.config.limits.negation_window_tokens
        matches = []
        for match in pattern.finditer(text):
            if negatable and window and self._negated(text[: match.start()], window):
                continue
            matches.append(match.group(0))
        return matches

    def _negated(self, before: str, window: int) -> bool:
        clause = CLAUSE_BREAK.split(before)[-1]
        words = WORD.findall(clause.lower())[-window:]
        return any(word in self.config.phrases.negator for word in words)

    def _conversation_signals(
        self, text: str, index: int, polarity: float, earlier: list[tuple[int, Turn]]
    ) -> list[Signal]:
        replies = _bot_replies(earlier)
        failed = [self._bot_failure(reply) for reply in replies]
        found: list[Signal] = []
        if failed and failed[-1] is not None:
            found.append(failed[-1])
        streak = _trailing_streak(failed)
        limits = self.config.limits
        if streak >= limits.unresolved_streak_min:
            turns = ", ".join(str(s.turn_index) for s in failed[-streak:] if s is not None)
            strength = (streak - limits.unresolved_streak_min + 1) / 2
            evidence = f"{streak} bot replies in a row did not resolve (turns {turns})"
            found.append(self._signal("unresolved_streak", strength, evidence, index))
        customer_turns = [(i, t) for i, t in earlier if t.speaker == "customer"]
        found.extend(self._customer_repeat(text, index, customer_turns))
        found.extend(self._bot_repeat(replies))
        found.extend(self._sentiment_trend(polarity, index, customer_turns))
        return found

    def _bot_failure(self, reply: list[tuple[int, Turn]]) -> Signal | None:
        """The last failing turn of one bot reply (the bot turns between two customer turns).

        A turn's known outcome wins over its words: "no_result" fails whatever the text says,
        and "answered" does not fail even when it apologises ("sorry for the wait, booked")."""
        for turn_index, turn in reversed(reply):
            if turn.outcome in FAILED_OUTCOMES:
                return self._signal("bot_failure", 1.0, f"outcome {turn.outcome}", turn_index)
            if turn.outcome is not None:
                continue
            pattern = self.config.phrases.bot_failure
            matches = [m.group(0) for m in pattern.finditer(_normalise(turn.text))]
            if matches:
                return self._signal("bot_failure", 1.0, _quoted(matches), turn_index)
        return None

    def _customer_repeat(
        self, text: str, index: int, customer_turns: list[tuple[int, Turn]]
    ) -> list[Signal]:
        limits = self.config.limits
        words = content_words(text)
        if len(words) < limits.customer_repeat_min_tokens:
            return []
        best, best_index, shared = 0.0, -1, frozenset[str]()
        for turn_index, turn in customer_turns:
            other = content_words(turn.text)
            score = similarity(words, other)
            if len(other) >= limits.customer_repeat_min_tokens and score > best:
                best, best_index, shared = score, turn_index, words & other
        if best < limits.customer_repeat_min_similarity:
            return []
        evidence = f"{best:.2f} word overlap with turn {best_index}: {_quoted(sorted(shared))}"
        return [self._signal("customer_repeat", best, evidence, index)]

    def _bot_repeat(self, replies: list[list[tuple[int, Turn]]]) -> list[Signal]:
        if len(replies) < 2:
            return []
        last_index, last = replies[-1][-1]
        words = content_words(last.text)
        for reply in reversed(replies[:-1]):
            for turn_index, turn in reply:
                score = similarity(words, content_words(turn.text))
                if score >= self.config.limits.bot_repeat_min_similarity:
                    evidence = f"{score:.2f} word overlap with bot turn {turn_index}"
                    return [self._signal("bot_repeat", score, evidence, last_index)]
        return []

    def _sentiment_trend(
        self, polarity: float, index: int, customer_turns: list[tuple[int, Turn]]
    ) -> list[Signal]:
        if not customer_turns or -polarity < self.config.limits.negative_sentiment_min:
            return []  # only a fall into negative sentiment counts
        before = statistics.fmean(self.sentiment(_normalise(t.text)) for _, t in customer_turns)
        drop = before - polarity
        if drop < self.config.limits.sentiment_trend_min_drop:
            return []
        # no turn positions in the words: a caller numbers turns its own way (the decision
        # counts customer turns); the signal's turn is this one
        count = len(customer_turns)
        average = f"{count} earlier customer turns" if count > 1 else "the earlier customer turn"
        evidence = f"sentiment fell from {before:+.2f} ({average}) to {polarity:+.2f}"
        return [self._signal("sentiment_trend", drop, evidence, index)]


def _bot_replies(earlier: list[tuple[int, Turn]]) -> list[list[tuple[int, Turn]]]:
    """Group consecutive bot turns into replies, oldest first."""
    replies: list[list[tuple[int, Turn]]] = []
    previous_speaker: Speaker | None = None
    for turn_index, turn in earlier:
        if turn.speaker == "bot":
            if previous_speaker != "bot":
                replies.append([])
            replies[-1].append((turn_index, turn))
        previous_speaker = turn.speaker
    return replies


def _trailing_streak(failed: list[Signal | None]) -> int:
    streak = 0
    for signal in reversed(failed):
        if signal is None:
            break
        streak += 1
    return streak


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def _quoted(matches: Sequence[str]) -> str:
    unique = dict.fromkeys(m.strip() for m in matches)
    return ", ".join(f"'{m}'" for m in unique)
