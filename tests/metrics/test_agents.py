"""Per-agent figures: first response after the queue, handling time, CSAT, re-asks, QA score."""

from __future__ import annotations

from metrics.agents import per_agent
from metrics.compute import build_context
from metrics.windows import Filters
from tests.metrics.builders import escalated, record, sessions, survey, ticket, window


def test_each_agent_gets_their_own_tickets_figures() -> None:
    records = [
        escalated("a"),  # maya: 1 min after the queue, 18 min with her
        escalated("b", survey=survey("agent", csat=5)),
        escalated(
            "c",
            ticket=ticket(
                1,
                12,
                31,
                closed_as="resolved",
                agent_id="theo",
                queue_wait_seconds=60.0,
                agent_reasks=("email",),
            ),
        ),
        escalated("d", ticket=ticket(closed_as="cancelled")),  # nobody took it
        record("e"),
    ]
    all_sessions = sessions(records)
    rows = per_agent(all_sessions, window(), Filters(), build_context(all_sessions), {"luis": 4.5})

    by_agent = {row.agent_id: row.to_json() for row in rows}
    assert list(by_agent) == ["luis", "maya", "theo"]
    maya, theo, luis = by_agent["maya"], by_agent["theo"], by_agent["luis"]
    assert maya["tickets"] == 2
    assert maya["first_response_seconds"]["p50"] == 60.0
    assert maya["handling_seconds"]["p50"] == 1080.0
    assert maya["csat"] == {"count": 1, "mean": 5.0, "p50": 5.0, "p90": 5.0}
    assert maya["reask"] == {"value": 0.0, "numerator": 0, "denominator": 2}
    assert maya["qa_score"] is None  # no scorecards yet
    assert theo["first_response_seconds"]["p50"] == 600.0
    assert theo["reask"]["value"] == 1.0
    assert theo["csat"]["mean"] is None
    assert (luis["tickets"], luis["qa_score"], luis["reask"]["value"]) == (0, 4.5, None)


def test_no_tickets_no_rows() -> None:
    all_sessions = sessions([record("a")])
    assert per_agent(all_sessions, window(), Filters(), build_context(all_sessions)) == []
