"""Per-agent figures for the supervisor: tickets handled, first response, handling time, CSAT,
re-ask rate and the QA score, over the sessions of a window and filters.

A session counts for the agent named on its ticket (`TicketTimes.agent_id`: the agent who had
it last). The figures are the same definitions as the team's (definitions.py):

- first response: from the ticket reaching the agent (created + queue wait) to their first
  message (`agent_first_response_seconds`), so the queue is not held against the agent;
- handling time: created -> resolved or handed back, minus the queue wait;
- CSAT: the customers' ratings after the agent's chats (1-5);
- re-ask rate: the agent's tickets where they asked again for something the ticket had;
- QA score: the mean of the agent's scorecards, given by the caller (review/); None without.

Pure and standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metrics.compute import selected
from metrics.definitions import Context, facts
from metrics.rates import Distribution, Rate
from metrics.sessions import Session
from metrics.windows import Filters, Window

AGENT_VALUES = ("agent_first_response_seconds", "handling_seconds", "csat_agent")


@dataclass(frozen=True)
class AgentFigures:
    agent_id: str
    tickets: int
    first_response: Distribution
    handling: Distribution
    csat: Distribution
    reask: Rate
    qa_score: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "tickets": self.tickets,
            "first_response_seconds": self.first_response.to_json(),
            "handling_seconds": self.handling.to_json(),
            "csat": self.csat.to_json(),
            "reask": self.reask.to_json(),
            "qa_score": None if self.qa_score is None else round(self.qa_score, 3),
        }


def per_agent(
    sessions: Sequence[Session],
    window: Window,
    filters: Filters,
    context: Context,
    qa_scores: Mapping[str, float] | None = None,
    everyone: Iterable[str] = (),
) -> list[AgentFigures]:
    """One row per agent with a ticket in the window, a QA score, or in `everyone` (the agents
    file: an agent without tickets gets a row of no data), by agent id."""
    values: dict[str, dict[str, list[float]]] = {}
    reasks: dict[str, list[int]] = {}
    for session in selected(sessions, window, filters):
        ticket = session.record.ticket
        if ticket is None or ticket.agent_id is None:
            continue
        found = facts(session, context)
        own = values.setdefault(ticket.agent_id, {name: [] for name in AGENT_VALUES})
        for name, value in found.values:
            if name in own:
                own[name].append(value)
        counts = reasks.setdefault(ticket.agent_id, [0, 0])
        counts[0] += any(hit for name, hit in found.rates if name == "agent_reask")
        counts[1] += 1
    scores = qa_scores or {}
    return [
        _figures(agent_id, values.get(agent_id), reasks.get(agent_id, [0, 0]), scores.get(agent_id))
        for agent_id in sorted(set(values) | set(scores) | set(everyone))
    ]


def _figures(
    agent_id: str, values: dict[str, list[float]] | None, reasks: list[int], qa: float | None
) -> AgentFigures:
    own = values or {}
    return AgentFigures(
        agent_id=agent_id,
        tickets=reasks[1],
        first_response=Distribution.of(own.get("agent_first_response_seconds", [])),
        handling=Distribution.of(own.get("handling_seconds", [])),
        csat=Distribution.of(own.get("csat_agent", [])),
        reask=Rate(*reasks),
        qa_score=qa,
    )
