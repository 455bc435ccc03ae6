"""A reviewer's verdict on the escalation policy in one conversation session.

    right   the policy did the right thing: a person at the right turn, or no person when none
            was needed (`turn` defaults to the live policy's first offer or handoff, if any)
    over    a person was offered or handed the chat but was not needed (`turn`, optional: a
            person was needed only from that turn on)
    under   a person should have been offered at `turn` (required) and was not, or later
    late    the chat should have been handed to a person at `turn` (required)

`reason` (optional) says why a person was needed, in the decision's words (explicit_request,
frustration, unresolved, policy): the evaluation's per-reason breakdown. `note` is masked.
`parse_verdict` checks a reviewer's JSON against the case and raises `VerdictError` with every
problem; `expected_turn` is what the evaluation compares the policy with. Pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

from handoff.privacy.redact import redact_text
from review.case import ReviewCase

Kind = Literal["right", "over", "under", "late"]
KINDS: tuple[Kind, ...] = ("right", "over", "under", "late")
REASONS = ("explicit_request", "frustration", "unresolved", "policy")
MAX_NOTE_CHARS = 2000
FIELDS = ("verdict", "turn", "reason", "note")


class VerdictError(ValueError):
    """A verdict the review refuses; the message lists every problem."""


@dataclass(frozen=True)
class Verdict:
    key: str
    """The case's key: `{conversation_id}:{session}`."""
    verdict: Kind
    turn: int | None = None
    reason: str | None = None
    note: str = ""
    reviewer: str = ""
    at: str = ""

    @property
    def expected_action(self) -> str | None:
        """What should have happened first: offer (under), handoff (late), else not said."""
        return {"under": "offer", "late": "handoff"}.get(self.verdict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Verdict:
        try:
            data = json.loads(text)
            if data.get("verdict") not in KINDS:
                raise ValueError(f"unknown verdict {data.get('verdict')!r}")
            return cls(**data)
        except (ValueError, TypeError, AttributeError) as error:
            raise VerdictError(f"unreadable stored verdict: {error}") from error


def parse_verdict(body: Mapping[str, Any], case: ReviewCase, reviewer: str, at: str) -> Verdict:
    """The verdict in a reviewer's request, checked against the case's turns."""
    problems = []
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        problems.append(f"unknown fields {unknown} (known: {', '.join(FIELDS)})")
    kind = body.get("verdict")
    if kind not in KINDS:
        problems.append(f"verdict must be one of {', '.join(KINDS)}")
    turn = body.get("turn")
    numbers = case.turn_numbers()
    if turn is not None and (
        not isinstance(turn, int) or isinstance(turn, bool) or turn not in numbers
    ):
        problems.append(f"turn must be one of the session's customer turns ({_span(numbers)})")
        turn = None
    if kind in ("under", "late") and body.get("turn") is None:
        problems.append(f"a verdict of {kind} needs the turn a person was needed at")
    reason = body.get("reason")
    if reason is not None and reason not in REASONS:
        problems.append(f"reason must be one of {', '.join(REASONS)} or absent")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        problems.append(f"note must be text of at most {MAX_NOTE_CHARS} characters")
        note = ""
    if problems:
        raise VerdictError("; ".join(problems))
    if kind == "right" and turn is None and case.first_escalation is not None:
        turn = case.first_escalation.turn
    return Verdict(
        key=case.key,
        verdict=cast(Kind, kind),
        turn=turn,
        reason=reason,
        note=redact_text(note.strip()),
        reviewer=reviewer,
        at=at,
    )


def expected_turn(verdict: Verdict) -> int | None:
    """The turn a person should first have been offered (or handed the chat) at; None when no
    person was needed in the session."""
    return verdict.turn


def _span(numbers: list[int]) -> str:
    return f"{numbers[0]}-{numbers[-1]}" if numbers else "none"
