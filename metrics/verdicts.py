"""A QA verdict as the metrics read it: what the review (review/) decided about one session's
escalation. The review keeps more (the note, the reviewer, the decision's inputs); the metrics
need only this, so review/ hands its verdicts over in this shape:

    Verdict(conversation_key="conv-1:2026-03-14T09:30:00.000Z", verdict="over", turn=None)

- `conversation_key`: the session's `OutcomeRecord.key` ("{conversation_id}:{session}");
- `verdict`: right (a person at the right turn, or rightly none), over (no person was needed),
  under (a person should have been offered, at `turn`), late (should have been handed off
  earlier, at `turn`);
- `turn`: the customer turn the reviewer names (under and late), else None.

A verdict whose key matches no outcome record is left out of every rate and counted
(`Metrics.notes["verdicts_unknown"]`); one session's later verdict replaces an earlier one.

Pure and standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

VerdictKind = Literal["right", "over", "under", "late"]
VERDICTS: tuple[VerdictKind, ...] = ("right", "over", "under", "late")


@dataclass(frozen=True)
class Verdict:
    conversation_key: str
    verdict: VerdictKind
    turn: int | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")


def latest_by_session(verdicts: Iterable[Verdict]) -> dict[str, Verdict]:
    """One verdict per session: the last one given."""
    return {verdict.conversation_key: verdict for verdict in verdicts}
