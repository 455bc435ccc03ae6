"""Agent scorecards: a reviewer scores one agent-handled chat on five criteria (1-5 each) with a
note, and per-agent trends show who needs coaching on what and what the whole team should train
on. Pure.

    resolved_need    the customer's need was resolved
    accurate         what the agent said was correct
    no_reask         the agent asked for nothing the ticket already said (5: nothing re-asked)
    empathy          tone and acknowledgement
    followed_policy  refunds, exceptions and security steps as the policy says
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from handoff.privacy.redact import redact_text

CRITERIA = ("resolved_need", "accurate", "no_reask", "empathy", "followed_policy")
MAX_NOTE_CHARS = 2000
COACHING_BELOW = 3.5
"""A criterion whose mean is below this is worth coaching on."""


class ScorecardError(ValueError):
    """A scorecard the review refuses; the message lists every problem."""


@dataclass(frozen=True)
class Scorecard:
    ticket_id: str
    agent_id: str
    reviewer: str
    at: str
    """ISO 8601 UTC, when the reviewer scored it."""
    resolved_need: int
    accurate: int
    no_reask: int
    empathy: int
    followed_policy: int
    note: str = ""

    @property
    def scores(self) -> dict[str, int]:
        return {criterion: getattr(self, criterion) for criterion in CRITERIA}

    @property
    def overall(self) -> float:
        return round(statistics.fmean(self.scores.values()), 2)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "overall": self.overall}

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Scorecard:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as error:
            raise ScorecardError(f"unreadable stored scorecard: {error}") from error


def parse_scorecard(
    body: Mapping[str, Any], ticket_id: str, agent_id: str, reviewer: str, at: str
) -> Scorecard:
    """The scorecard in a reviewer's request: every criterion 1-5, an optional note (masked)."""
    problems = []
    unknown = sorted(set(body) - {*CRITERIA, "note"})
    if unknown:
        problems.append(f"unknown fields {unknown} (known: {', '.join(CRITERIA)}, note)")
    for criterion in CRITERIA:
        value = body.get(criterion)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            problems.append(f"{criterion} must be a whole number from 1 to 5")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        problems.append(f"note must be text of at most {MAX_NOTE_CHARS} characters")
    if problems:
        raise ScorecardError("; ".join(problems))
    return Scorecard(
        ticket_id=ticket_id,
        agent_id=agent_id,
        reviewer=reviewer,
        at=at,
        note=redact_text(note.strip()),
        **{criterion: body[criterion] for criterion in CRITERIA},
    )


def week_of(at: str) -> str:
    """The ISO week of a time: '2026-W11'."""
    year, week, _ = datetime.fromisoformat(at.replace("Z", "+00:00")).isocalendar()
    return f"{year}-W{week:02d}"


def means(cards: Sequence[Scorecard]) -> dict[str, float]:
    return {
        criterion: round(statistics.fmean(getattr(card, criterion) for card in cards), 2)
        for criterion in CRITERIA
    }


def agent_trend(cards: Iterable[Scorecard]) -> dict[str, Any]:
    """One agent's scorecards: the means per criterion overall and per ISO week (oldest
    first), and the criteria below COACHING_BELOW, weakest first."""
    ordered = sorted(cards, key=lambda card: card.at)
    if not ordered:
        return {"scorecards": 0, "means": {}, "overall": None, "weeks": [], "coaching": []}
    weekly: dict[str, list[Scorecard]] = defaultdict(list)
    for card in ordered:
        weekly[week_of(card.at)].append(card)
    overall_means = means(ordered)
    return {
        "scorecards": len(ordered),
        "means": overall_means,
        "overall": round(statistics.fmean(card.overall for card in ordered), 2),
        "weeks": [
            {
                "week": week,
                "scorecards": len(group),
                "means": means(group),
                "overall": round(statistics.fmean(card.overall for card in group), 2),
            }
            for week, group in sorted(weekly.items())
        ],
        "coaching": _weakest(overall_means),
    }


def team_summary(cards: Iterable[Scorecard]) -> dict[str, Any]:
    """Every agent's trend, and what the whole team should train on (criteria whose team mean
    is below COACHING_BELOW, weakest first)."""
    by_agent: dict[str, list[Scorecard]] = defaultdict(list)
    for card in cards:
        by_agent[card.agent_id].append(card)
    everyone = [card for group in by_agent.values() for card in group]
    team_means = means(everyone) if everyone else {}
    return {
        "agents": {agent: agent_trend(group) for agent, group in sorted(by_agent.items())},
        "team": {
            "scorecards": len(everyone),
            "means": team_means,
            "train_on": _weakest(team_means),
        },
    }


def _weakest(criterion_means: Mapping[str, float]) -> list[str]:
    low = [(mean, name) for name, mean in criterion_means.items() if mean < COACHING_BELOW]
    return [name for _, name in sorted(low)]
