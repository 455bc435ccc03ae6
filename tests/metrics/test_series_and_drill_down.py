"""One metric over time, and the sessions behind a figure's numerator or denominator: the same
definitions as the figures, so the numbers a chart or a drill-down shows add up to the tile's."""

from __future__ import annotations

import pytest

from metrics.compute import MetricId, behind, build_context, compute, parse_metric, series
from metrics.rates import Distribution, Rate
from metrics.windows import Filters, QueryError
from outcomes.record import ActionCount
from tests.metrics.builders import escalated, escalation, record, sessions, survey, window

DAY = 24 * 60
WEEK = {"window": "custom", "from": "2026-03-09", "to": "2026-03-11"}
RECORDS = [
    record("a", -DAY),  # 2026-03-09
    escalated("b", -DAY + 60),
    record("c", 0, survey=survey("bot", csat=5)),  # 2026-03-10
    escalated("d", 60, escalation=escalation("technical", "explicit_request")),
    escalated("e", 120, survey=survey("agent", csat=2)),
]


def test_parse_metric_names_rates_distributions_and_groups() -> None:
    assert parse_metric("containment") == MetricId("containment")
    assert parse_metric("first_response_seconds").is_distribution
    assert parse_metric("escalation_by_reason:frustration") == MetricId(
        "escalation_by_reason", "frustration"
    )
    assert parse_metric("action_containment") == MetricId("action_containment")
    assert parse_metric("actions_by_result:refund_needs_approval") == MetricId(
        "actions_by_result", "refund_needs_approval"
    )
    for bad in (
        None,
        "",
        "speed",
        "containment:x",
        "escalation_by_reason",
        "escalation_by_reason:",
    ):
        with pytest.raises(QueryError, match="metric"):
            parse_metric(bad)


def test_a_daily_series_adds_up_to_the_window() -> None:
    all_sessions = sessions(RECORDS)
    context = build_context(all_sessions)
    found = series(all_sessions, MetricId("escalation"), window(WEEK), "day", Filters(), context)
    points = [(bucket, point) for bucket, point in found if isinstance(point, Rate)]

    assert [(p.numerator, p.denominator) for _, p in points] == [(1, 2), (2, 3), (0, 0)]
    assert points[2][1].value is None  # a day without sessions has no rate
    total = compute(all_sessions, window(WEEK), Filters(), context).rates["escalation"]
    assert sum(point.numerator for _, point in points) == total.numerator


def test_an_hourly_series_of_a_time() -> None:
    all_sessions = sessions(RECORDS)
    today = {"window": "custom", "from": "2026-03-10", "to": "2026-03-10"}
    points = series(
        all_sessions,
        MetricId("first_response_seconds"),
        window(today),
        "hour",
        Filters(),
        build_context(all_sessions),
    )

    assert len(points) == 24
    assert all(isinstance(point, Distribution) for _, point in points)
    assert [(p.count, p.p50) for _, p in points[9:12] if isinstance(p, Distribution)] == [
        (0, None),
        (1, 180.0),
        (1, 180.0),
    ]


def test_drill_down_lists_numerator_or_denominator_newest_first() -> None:
    all_sessions = sessions(RECORDS)
    context = build_context(all_sessions)

    def keys(metric: str, part: str) -> list[str]:
        rows = behind(all_sessions, parse_metric(metric), part, window(WEEK), Filters(), context)  # type: ignore[arg-type]
        return [row[0].record.conversation_id for row in rows]

    assert keys("escalation", "numerator") == ["e", "d", "b"]
    assert keys("escalation", "denominator") == ["e", "d", "c", "b", "a"]
    assert keys("explicit_request", "numerator") == ["d"]
    assert keys("explicit_request", "denominator") == ["e", "d", "b"]
    assert keys("escalation_by_reason:frustration", "numerator") == ["e", "b"]
    assert keys("escalation_by_reason:frustration", "denominator") == ["e", "d", "c", "b", "a"]
    assert keys("escalation_by_intent:order_status", "numerator") == ["e", "d", "b"]
    assert keys("csat_agent_satisfied", "denominator") == ["e"]
    assert keys("csat_agent_satisfied", "numerator") == []


def test_drill_down_to_the_sessions_the_assistant_resolved_by_acting() -> None:
    acted = [
        record("refunded", 0, actions=(ActionCount("refund", "issued", 1),)),
        record("refused", 30, actions=(ActionCount("cancel", "refused", 1),)),
        escalated("held", 60, actions=(ActionCount("refund", "needs_approval", 1),)),
    ]
    all_sessions = sessions([*RECORDS, *acted])
    context = build_context(all_sessions)

    def keys(metric: str, part: str) -> list[str]:
        rows = behind(all_sessions, parse_metric(metric), part, window(WEEK), Filters(), context)  # type: ignore[arg-type]
        return [row[0].record.conversation_id for row in rows]

    assert keys("action_containment", "numerator") == ["refunded"]
    assert len(keys("action_containment", "denominator")) == len(RECORDS) + 3
    assert keys("actions_by_result:refund_needs_approval", "numerator") == ["held"]
    assert keys("actions_by_result:refund_issued", "denominator") == [
        "held",
        "refused",
        "refunded",
    ]


def test_drill_down_of_a_distribution_gives_each_value() -> None:
    all_sessions = sessions(RECORDS)
    rows = behind(
        all_sessions,
        parse_metric("csat_bot"),
        "numerator",
        window(WEEK),
        Filters(),
        build_context(all_sessions),
    )

    assert [(row[0].record.conversation_id, row[1]) for row in rows] == [("c", 5.0)]


def test_drill_down_respects_filters() -> None:
    all_sessions = sessions(RECORDS)
    rows = behind(
        all_sessions,
        parse_metric("escalation"),
        "numerator",
        window(WEEK),
        Filters(team="technical"),
        build_context(all_sessions),
    )

    assert [row[0].record.conversation_id for row in rows] == ["d"]
