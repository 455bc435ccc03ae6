"""What the escalation decision looks at and what it produces: plain data, no logic.

A conversation is a list of `CustomerTurn`s (each customer message with what the bot did in
reply); the verified `CustomerContext` comes from the channel (handoff/privacy/identity.py). A
`Decision` is kept in the conversation (Rasa slot `escalation_decision`) and travels with the
handoff ticket, so its `to_dict()` shape is a published contract (see docs/escalation.md).
Python 3.10 compatible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from handoff.privacy.identity import CustomerContext

RECORD_VERSION = 1

Action = Literal["continue", "offer", "handoff"]
Reason = Literal["explicit_request", "frustration", "unresolved", "policy"]
Category = Literal["request", "policy", "frustration", "unresolved", "customer"]


@dataclass(frozen=True)
class CustomerTurn:
    """One customer message (numbered from 1) and the bot's reply to it, as far as known."""

    number: int
    text: str
    intent: str | None = None
    confidence: float = 1.0
    vector: tuple[float, ...] | None = None  # unit-length sentence vector, when known
    bot_actions: tuple[str, ...] = ()  # actions the bot ran in reply, in order
    bot_texts: tuple[str, ...] = ()
    # "answered" | "tentative" | "miss" | "follow_up_miss" | "unavailable" (slot reply_outcome)
    outcome: str | None = None


@dataclass(frozen=True)
class EvidenceSignal:
    """One piece of evidence behind a decision, with the customer turn it came from."""

    name: str
    category: Category
    weight: float
    strength: float
    turn: int
    evidence: str

    @property
    def contribution(self) -> float:
        return self.weight * self.strength

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "weight": round(self.weight, 4),
            "strength": round(self.strength, 4),
            "contribution": round(self.contribution, 4),
            "turn": self.turn,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Decision:
    """Continue, offer a person, or hand off now - and why."""

    turn: int
    action: Action
    reason: Reason | None
    score: float
    offer_at: float  # the thresholds that applied (after the customer's tier)
    handoff_at: float
    signals: tuple[EvidenceSignal, ...] = ()
    customer: CustomerContext | None = None
    note: str = ""
    frustration: float = 0.0  # the two parts of the score
    unresolved: float = 0.0

    def explanation(self) -> str:
        parts = [
            f"{s.name} {s.contribution:+.2f} (turn {s.turn}: {s.evidence})"
            for s in sorted(self.signals, key=lambda s: -abs(s.contribution))
        ]
        head = (
            f"turn {self.turn}: {self.action}"
            + (f" ({self.reason})" if self.reason else "")
            + f", score {self.score:.2f} (offer at {self.offer_at:.2f}, "
            f"hand off at {self.handoff_at:.2f})"
        )
        tail = "; ".join(parts) or "no signals"
        return f"{head}: {tail}" + (f". {self.note}" if self.note else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": RECORD_VERSION,
            "turn": self.turn,
            "action": self.action,
            "reason": self.reason,
            "score": round(self.score, 4),
            "frustration": round(self.frustration, 4),
            "unresolved": round(self.unresolved, 4),
            "offer_at": round(self.offer_at, 4),
            "handoff_at": round(self.handoff_at, 4),
            "signals": [signal.to_dict() for signal in self.signals],
            "customer": self.customer.to_dict() if self.customer else None,
            "note": self.note,
            "explanation": self.explanation(),
        }
