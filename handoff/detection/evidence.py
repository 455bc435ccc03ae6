"""Small pure helpers the escalation decision uses to turn a customer turn into evidence:
whether the customer typed it, the transcript the frustration scorer reads, a signal scaled by
decay, phrase matches, vector similarity, and a masked, shortened quote of the customer's words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from handoff.detection.decision_record import CustomerTurn, EvidenceSignal
from handoff.detection.frustration import Turn
from handoff.privacy.redact import redact_text


def typed(turn: CustomerTurn) -> bool:
    """Words the customer typed, not a payload: a pressed button or the widget's init payload
    ("/greet") says nothing about their mood. (Typed text starting with "/" reaches Rasa
    behind the gateway's invisible guard, so it counts as typed.)"""
    return not turn.text.lstrip().startswith("/")


def scorer_transcript(turns: Sequence[CustomerTurn]) -> list[Turn]:
    """The text conversation the frustration scorer reads, ending with the last customer turn;
    payload turns are left out (their bot replies stay)."""
    transcript: list[Turn] = []
    for index, turn in enumerate(turns):
        if typed(turn) or index == len(turns) - 1:
            transcript.append(Turn("customer", turn.text))
        if index < len(turns) - 1:
            transcript.extend(Turn("bot", text) for text in turn.bot_texts)
    return transcript


def scaled(share: float, signal: EvidenceSignal) -> EvidenceSignal:
    return EvidenceSignal(
        signal.name,
        signal.category,
        signal.weight,
        round(signal.strength * share, 4),
        signal.turn,
        signal.evidence,
    )


def matches(pattern: re.Pattern[str], text: str) -> str:
    return ", ".join(f"'{m.group(0)}'" for m in pattern.finditer(text))


def cosine(first: Sequence[float], second: Sequence[float]) -> float:
    dot = sum(a * b for a, b in zip(first, second, strict=False))
    norm = math.sqrt(sum(a * a for a in first)) * math.sqrt(sum(b * b for b in second))
    return dot / norm if norm else 0.0


def quote(text: str, limit: int = 60) -> str:
    """The customer's words for evidence: secrets masked first, then shortened (a cut card
    number would no longer be recognised as one)."""
    text = " ".join(redact_text(text).split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
