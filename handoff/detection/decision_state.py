"""What the escalation decision's walk over the turns carries from one turn to the next, and
what it reads of a turn (the key its memo remembers a walk by). Plain data. Python 3.10
compatible."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from handoff.detection.decision_record import CustomerTurn, EvidenceSignal, Reason


@dataclass
class WalkState:
    """What the walk through the conversation carries from one turn to the next."""

    frustration: list[tuple[float, EvidenceSignal]] = field(default_factory=list)
    unresolved: list[EvidenceSignal] = field(default_factory=list)
    open_questions: list[CustomerTurn] = field(default_factory=list)
    bot_texts: list[tuple[int, str]] = field(default_factory=list)
    turns_unresolved: int = 0
    last_answered: CustomerTurn | None = None
    last_offer_score: float | None = None
    last_offer_reason: Reason | None = None
    declined_score: float | None = None
    handoff_turn: int | None = None

    def copy(self) -> WalkState:
        """A state the next steps can change without changing this one (the lists' items are
        frozen)."""
        return replace(
            self,
            frustration=list(self.frustration),
            unresolved=list(self.unresolved),
            open_questions=list(self.open_questions),
            bot_texts=list(self.bot_texts),
        )


def walk_key(turn: CustomerTurn) -> tuple:
    """What the walk reads of a turn, but its sentence vector: the NLU's vector of the text, so
    the text stands for it (and the memo keeps no vectors)."""
    return (
        turn.number,
        turn.text,
        turn.intent,
        turn.confidence,
        turn.vector is not None,
        turn.bot_actions,
        turn.bot_texts,
        turn.outcome,
    )
