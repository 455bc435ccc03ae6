"""The outcome record: how one conversation session ended, the one fact every escalation metric,
the dashboard and the QA sample are computed from.

A session ends after `inactivity` without a customer message (configurable; widgets that just
close never say goodbye), and only once no ticket of the session is still open with an agent.
It ends as exactly one of:

- `contained`: answered without a person (`last_answer_helpful` says whether the customer marked
  the last answer helpful; `None` when they did not say);
- `escalated`: a person took it (the escalation's reason, type, team, priority, turn and the
  decision's signals; the ticket's times, SLA, resolution and surveys);
- `withdrawn`: the customer cancelled the request for a person before anyone joined;
- `abandoned`: the customer left after a miss, in the middle of a flow, or while waiting for a
  person in open hours (`abandoned_at`);
- `after_hours`: handed off while the team was closed; the team follows up later.

Whatever the outcome, `actions` counts what the assistant did to the customer's orders in the
session (a cancellation, a return, a refund) by action and result: a contained session with a
completed action (`resolved_with_action`) is one the assistant resolved by acting.

Every knowledge-base lookup that showed an article is in `articles_shown`: the article, whether
it answered or was only offered as the closest title, the section that answered, the customer's
feedback, the turn and the version read (content/article_performance.py counts them).

Records are append-only (a Redis stream), one per conversation and session (`key`), and hold no
customer text: ids, labels, counts, times and ratings only. The JSON form (`to_json`/`from_json`)
is versioned; a field added later gets a default so older records still read.

Pure and standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

RECORD_VERSION = 1

Outcome = Literal["contained", "escalated", "withdrawn", "abandoned", "after_hours"]
OUTCOMES: tuple[Outcome, ...] = ("contained", "escalated", "withdrawn", "abandoned", "after_hours")
ORDER_ACTIONS = ("cancel", "return", "refund")
"""What the assistant does to an order (actions/orders.py)."""
ACTION_RESULTS = ("done", "issued", "needs_approval", "refused", "unavailable")
"""How an action on an order ended: `done` (a cancellation or return), `issued` (a refund),
`needs_approval` (above the assistant's limit: handed to supervisors), `refused` (the policy or
the shop said no), `unavailable` (the shop could not be reached)."""
COMPLETED_RESULTS = frozenset({"done", "issued"})
"""The results that mean the action happened."""
AbandonedAt = Literal["after_miss", "mid_flow", "while_waiting"]
ABANDONED_AT: tuple[AbandonedAt, ...] = ("after_miss", "mid_flow", "while_waiting")
Audience = Literal["bot", "agent"]
"""Who a survey was about: the assistant alone, or an agent's chat."""


class OutcomeFormatError(ValueError):
    """A stored outcome record that cannot be read back; the message says what is wrong."""


@dataclass(frozen=True)
class Signal:
    """One signal of the escalation decision: its name (handoff/detection), its contribution."""

    name: str
    contribution: float


@dataclass(frozen=True)
class Escalation:
    """Why and where the session went to a person (from the decision record and routing)."""

    reason: str  # explicit_request | frustration | unresolved | policy
    escalation_type: str  # functional | hierarchical | priority | automated
    team: str
    priority: str
    turn: int
    explicit: bool
    signals: tuple[Signal, ...] = ()


@dataclass(frozen=True)
class TicketTimes:
    """The ticket's life, as ISO 8601 UTC times (None: did not happen)."""

    ticket_id: str
    created_at: str
    first_agent_message_at: str | None = None
    closed_at: str | None = None
    closed_as: str | None = None  # resolved | handed_back | cancelled | closed
    resolution_code: str | None = None
    agent_id: str | None = None
    first_response_sla_met: bool | None = None
    resolution_sla_met: bool | None = None
    queue_wait_seconds: float | None = None
    agent_reasks: tuple[str, ...] = ()
    """What an agent asked for that the ticket already had (order_number, email, amount,
    what_was_tried): the agent re-ask rate."""
    escalation_not_needed: bool = False
    """The agent marked, when resolving, that a person was not needed."""


@dataclass(frozen=True)
class Survey:
    """The customer's answers: CSAT 1-5, customer effort (CES) 1-7; None when not answered."""

    audience: Audience
    csat: int | None = None
    ces: int | None = None
    skipped: bool = False


@dataclass(frozen=True)
class ActionCount:
    """How many of the session's actions on orders were this action with this result (no
    order number, no amount)."""

    action: str  # cancel | return | refund
    result: str  # done | issued | needs_approval | refused | unavailable
    count: int

    @property
    def completed(self) -> bool:
        return self.result in COMPLETED_RESULTS


@dataclass(frozen=True)
class ShownArticle:
    """One knowledge-base lookup of the session that showed an article (the ticket's
    `ArticleShown`, handoff/ticket/model.py, without its title and score)."""

    article_id: str
    answered: bool
    """False: only offered as the closest title of a question it could not answer."""
    feedback: str = "none"  # helpful | not_helpful | none
    turn: int | None = None
    """The customer turn it answered (numbered from 1 in the session, as the escalation's)."""
    section: str | None = None
    """The heading of the section that answered ("" for the introduction); None: unknown."""
    article_version: str | None = None
    article_updated: str | None = None


@dataclass(frozen=True)
class OutcomeRecord:
    conversation_id: str
    session: str
    """The session's start time (ISO 8601 UTC): a conversation has one session per Rasa
    session; with `conversation_id` it makes the record's key."""
    started_at: str
    ended_at: str
    outcome: Outcome
    channel: str = "widget"
    turns: int = 0
    """Customer turns typed or pressed in the session."""
    first_intent: str | None = None
    """The topic: the intent of the first substantive customer turn."""
    articles: tuple[str, ...] = ()
    """Knowledge-base articles shown, in order."""
    misses: int = 0
    last_answer_helpful: bool | None = None
    abandoned_at: AbandonedAt | None = None
    escalation: Escalation | None = None
    ticket: TicketTimes | None = None
    survey: Survey | None = None
    customer_key: str | None = None
    """A keyed hash of the verified customer's id (never the id itself): repeat contacts and
    first-contact resolution. None for anonymous customers."""
    frustrated_without_offer: bool = False
    """Frustration signals fired but no person was offered: a QA sampling rule."""
    actions: tuple[ActionCount, ...] = ()
    """The assistant's actions on orders in the session, counted by action and result (sorted);
    empty in records written before actions were counted."""
    articles_shown: tuple[ShownArticle, ...] = ()
    """Every lookup that showed an article, in order; empty in records written before they were
    recorded (`articles` then holds the answers' ids)."""
    version: int = RECORD_VERSION

    @property
    def key(self) -> str:
        return f"{self.conversation_id}:{self.session}"

    @property
    def escalated(self) -> bool:
        return self.escalation is not None

    @property
    def completed_actions(self) -> int:
        """Actions on orders that happened: cancellations and returns done, refunds issued."""
        return sum(item.count for item in self.actions if item.completed)

    @property
    def resolved_with_action(self) -> bool:
        """Contained, and the assistant completed at least one action on an order."""
        return self.outcome == "contained" and self.completed_actions > 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> OutcomeRecord:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise OutcomeFormatError(f"not JSON: {error}") from error
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: object) -> OutcomeRecord:
        if not isinstance(data, Mapping):
            raise OutcomeFormatError("an outcome record is a JSON object")
        problems = []
        for name in ("conversation_id", "session", "started_at", "ended_at"):
            if not isinstance(data.get(name), str) or not data[name]:
                problems.append(f"{name} must be non-empty text")
        if data.get("outcome") not in OUTCOMES:
            problems.append(f"outcome must be one of {', '.join(OUTCOMES)}")
        if data.get("abandoned_at") not in (None, *ABANDONED_AT):
            problems.append(f"abandoned_at must be one of {', '.join(ABANDONED_AT)}")
        if not _actions_readable(data.get("actions", [])):
            problems.append("actions must be a list of {action, result, count >= 1}")
        if not _shown_readable(data.get("articles_shown", [])):
            problems.append("articles_shown must be a list of {article_id, answered, ...}")
        if problems:
            raise OutcomeFormatError("; ".join(problems))
        try:
            return _build(cls, data)
        except (TypeError, ValueError) as error:
            raise OutcomeFormatError(str(error)) from error


def _build(cls: type[OutcomeRecord], data: Mapping[str, Any]) -> OutcomeRecord:
    known = {f.name for f in fields(cls)}
    values = {name: value for name, value in data.items() if name in known}
    escalation = values.get("escalation")
    if escalation is not None:
        signals = tuple(Signal(**signal) for signal in escalation.get("signals", ()))
        values["escalation"] = Escalation(**{**escalation, "signals": signals})
    ticket = values.get("ticket")
    if ticket is not None:
        reasks = tuple(ticket.get("agent_reasks", ()))
        values["ticket"] = TicketTimes(**{**ticket, "agent_reasks": reasks})
    if values.get("survey") is not None:
        values["survey"] = Survey(**values["survey"])
    values["articles"] = tuple(values.get("articles", ()))
    values["actions"] = tuple(
        ActionCount(item["action"], item["result"], item["count"])
        for item in values.get("actions", ())
    )
    values["articles_shown"] = tuple(
        ShownArticle(**item) for item in values.get("articles_shown", ())
    )
    return cls(**values)


def _actions_readable(items: object) -> bool:
    return isinstance(items, list) and all(
        isinstance(item, Mapping)
        and {"action", "result", "count"} <= set(item)
        and isinstance(item["action"], str)
        and isinstance(item["result"], str)
        and isinstance(item["count"], int)
        and not isinstance(item["count"], bool)
        and item["count"] >= 1
        for item in items
    )


def _shown_readable(items: object) -> bool:
    known = {field.name for field in fields(ShownArticle)}
    return isinstance(items, list) and all(
        isinstance(item, Mapping)
        and set(item) <= known
        and isinstance(item.get("article_id"), str)
        and isinstance(item.get("answered"), bool)
        for item in items
    )


__all__ = [
    "ABANDONED_AT",
    "ACTION_RESULTS",
    "COMPLETED_RESULTS",
    "ORDER_ACTIONS",
    "OUTCOMES",
    "ActionCount",
    "AbandonedAt",
    "Audience",
    "Escalation",
    "Outcome",
    "OutcomeFormatError",
    "OutcomeRecord",
    "ShownArticle",
    "Signal",
    "Survey",
    "TicketTimes",
]
