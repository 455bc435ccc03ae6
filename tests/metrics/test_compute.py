"""Each metric on hand-made outcome records: the figure, its numerator and denominator, and the
edge cases a support lead would trip over (no data, one conversation, a second session after a
hand-back, a skipped survey, abandoned while waiting, after hours, unknown verdicts)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from metrics.compute import RATES
from metrics.verdicts import Verdict
from metrics.windows import Filters
from outcomes.record import ActionCount
from tests.metrics.builders import (
    escalated,
    escalation,
    metrics_of,
    rate,
    record,
    survey,
    ticket,
)


def test_no_data_gives_none_not_zero() -> None:
    metrics = metrics_of([])

    assert metrics.sessions == 0
    for name in RATES:
        assert rate(metrics, name) == (0, 0, None), name
    for figure in (*metrics.times.values(), *metrics.scores.values()):
        assert (figure.count, figure.mean, figure.p50, figure.p90) == (0, None, None, None)
    assert metrics.breakdowns["escalation_by_reason"] == {}
    assert metrics.breakdowns["actions_by_result"] == {}
    assert {name: r.value for name, r in metrics.breakdowns["outcomes"].items()} == {
        "contained": None,
        "escalated": None,
        "withdrawn": None,
        "abandoned": None,
        "after_hours": None,
    }
    json = metrics.to_json()
    assert json["rates"]["containment"] == {"value": None, "numerator": 0, "denominator": 0}
    assert json["times"]["first_response_seconds"]["p50"] is None


def test_one_contained_conversation() -> None:
    metrics = metrics_of([record(last_answer_helpful=True)])

    assert metrics.sessions == 1
    assert rate(metrics, "containment") == (1, 1, 1.0)
    assert rate(metrics, "escalation") == (0, 1, 0.0)
    assert rate(metrics, "explicit_request") == (0, 0, None)  # no escalation: no share
    assert rate(metrics, "sla_first_response") == (0, 0, None)
    assert rate(metrics, "fcr") == (1, 1, 1.0)
    assert rate(metrics, "repeat_contact") == (0, 1, 0.0)
    assert metrics.times["first_response_seconds"].count == 0


def test_containment_and_escalation_count_every_outcome() -> None:
    records = [
        record("a"),
        record("b"),
        escalated("c"),
        record("d", outcome="abandoned", abandoned_at="after_miss"),
        record(
            "e", outcome="withdrawn", escalation=escalation(), ticket=ticket(closed_as="cancelled")
        ),
    ]
    metrics = metrics_of(records)

    assert rate(metrics, "containment") == (2, 5, 0.4)
    assert rate(metrics, "escalation") == (2, 5, 0.4)  # escalated + withdrawn had a handoff
    assert rate(metrics, "withdrawal") == (1, 5, 0.2)
    outcomes = metrics.breakdowns["outcomes"]
    assert (outcomes["contained"].numerator, outcomes["contained"].denominator) == (2, 5)
    assert outcomes["after_hours"].numerator == 0


def test_escalation_by_reason_type_and_team_are_shares_of_all_sessions() -> None:
    records = [
        record("a"),
        escalated("b"),
        escalated("c", escalation=escalation("technical", "explicit_request")),
        escalated(
            "d", escalation=escalation("supervisors", "policy", escalation_type="hierarchical")
        ),
    ]
    breakdowns = metrics_of(records).breakdowns

    reasons = {
        name: (r.numerator, r.denominator) for name, r in breakdowns["escalation_by_reason"].items()
    }
    assert reasons == {"explicit_request": (1, 4), "frustration": (1, 4), "policy": (1, 4)}
    types = {name: r.numerator for name, r in breakdowns["escalation_by_type"].items()}
    assert types == {"functional": 2, "hierarchical": 1}
    assert list(breakdowns["escalation_by_type"]) == ["functional", "hierarchical"]  # largest first
    teams = {name: r.numerator for name, r in breakdowns["escalation_by_team"].items()}
    assert teams == {"billing": 1, "supervisors": 1, "technical": 1}


def test_escalation_by_intent_and_article_are_rates_within_the_group() -> None:
    records = [
        record("a", first_intent="refund_request", articles=("refund-timeline",)),
        escalated("b", first_intent="refund_request", articles=("plus-billing", "refund-timeline")),
        record("c", first_intent="order_status", articles=("refund-timeline", "hub-offline")),
        record("d", first_intent=None),
    ]
    breakdowns = metrics_of(records).breakdowns

    by_intent = breakdowns["escalation_by_intent"]
    assert (by_intent["refund_request"].numerator, by_intent["refund_request"].denominator) == (
        1,
        2,
    )
    assert by_intent["order_status"].value == 0.0
    assert set(by_intent) == {"refund_request", "order_status"}  # no intent: in no group
    by_article = breakdowns["escalation_by_article"]  # the last article shown
    assert (by_article["refund-timeline"].numerator, by_article["refund-timeline"].denominator) == (
        1,
        2,
    )
    assert by_article["hub-offline"].value == 0.0
    assert "plus-billing" not in by_article  # shown, but not last


def test_resolved_by_the_assistant_with_an_action_is_a_part_of_containment() -> None:
    refund_issued, cancel_done = (
        ActionCount("refund", "issued", 1),
        ActionCount("cancel", "done", 1),
    )
    return_refused = ActionCount("return", "refused", 1)
    records = [
        record("refunded", actions=(refund_issued,)),
        record("two", actions=(cancel_done, return_refused)),
        record("refused", actions=(return_refused,)),  # contained, but nothing was done
        record("answered"),
        escalated("held", actions=(ActionCount("refund", "needs_approval", 1),)),
        record("down", outcome="abandoned", abandoned_at="after_miss",
               actions=(ActionCount("cancel", "unavailable", 1),)),
    ]  # fmt: skip
    metrics = metrics_of(records)

    assert rate(metrics, "action_containment") == (2, 6, pytest.approx(1 / 3))
    assert rate(metrics, "containment") == (4, 6, pytest.approx(2 / 3))  # as it was
    assert rate(metrics, "escalation") == (1, 6, pytest.approx(1 / 6))
    by_result = {
        group: (r.numerator, r.denominator)
        for group, r in metrics.breakdowns["actions_by_result"].items()
    }
    assert by_result == {  # over the 5 sessions in which the assistant acted
        "return_refused": (2, 5),
        "cancel_done": (1, 5),
        "cancel_unavailable": (1, 5),
        "refund_issued": (1, 5),
        "refund_needs_approval": (1, 5),
    }
    assert list(by_result)[0] == "return_refused"  # largest first
    json = metrics.to_json()
    assert json["rates"]["action_containment"] == {
        "value": 0.3333,
        "numerator": 2,
        "denominator": 6,
    }


def test_an_escalated_session_with_a_completed_action_is_not_resolved_by_the_assistant() -> None:
    issued_then_asked = escalated("c", actions=(ActionCount("refund", "issued", 1),))
    metrics = metrics_of([issued_then_asked])

    assert rate(metrics, "action_containment") == (0, 1, 0.0)
    assert metrics.breakdowns["actions_by_result"]["refund_issued"].numerator == 1


def test_explicit_requests_are_a_share_of_escalations() -> None:
    records = [
        record("a"),
        escalated("b", escalation=escalation(reason="explicit_request")),
        escalated("c"),
        escalated("d"),
    ]
    assert rate(metrics_of(records), "explicit_request") == (1, 3, pytest.approx(1 / 3))


def test_first_response_resolution_queue_wait_and_handling_times() -> None:
    records = [
        escalated("a"),  # first reply 3 min after the ticket, resolved after 20, waited 2
        escalated(
            "b",
            ticket=ticket(
                1, 11, 61, closed_as="handed_back", agent_id="theo", queue_wait_seconds=300.0
            ),
        ),
        escalated("c", ticket=ticket(1, None, 5, closed_as="cancelled")),  # nobody answered
    ]
    metrics = metrics_of(records)

    first = metrics.times["first_response_seconds"]
    assert (first.count, first.p50, first.p90, first.mean) == (2, 180.0, 600.0, 390.0)
    agent_first = metrics.times["agent_first_response_seconds"]
    assert (agent_first.p50, agent_first.p90) == (60.0, 300.0)  # the queue is not the agent's
    resolution = metrics.times["resolution_seconds"]  # cancelled is not resolved
    assert (resolution.count, resolution.p50, resolution.p90) == (2, 1200.0, 3600.0)
    assert metrics.times["queue_wait_seconds"].count == 2
    handling = metrics.times["handling_seconds"]
    assert (handling.p50, handling.p90) == (1080.0, 3300.0)


def test_sla_attainment_counts_only_tickets_with_a_verdict() -> None:
    records = [
        escalated("a"),
        escalated("b", ticket=ticket(first_response_sla_met=False, resolution_sla_met=None)),
        escalated("c", ticket=ticket()),  # no SLA verdict at all
    ]
    metrics = metrics_of(records)

    assert rate(metrics, "sla_first_response") == (1, 2, 0.5)
    assert rate(metrics, "sla_resolution") == (1, 1, 1.0)


def test_csat_and_ces_for_bot_and_agent_apart_and_a_skipped_survey_counts_nowhere() -> None:
    records = [
        record("a", survey=survey("bot", csat=5, ces=7)),
        record("b", survey=survey("bot", csat=2, ces=None)),
        record("c", survey=survey("bot", csat=None, ces=None, skipped=True)),
        escalated("d", survey=survey("agent", csat=4, ces=3)),
        escalated("e", survey=survey("agent", csat=3, ces=5)),
        escalated("f", survey=survey("agent", csat=None, ces=2)),
    ]
    metrics = metrics_of(records)

    csat_bot = metrics.scores["csat_bot"]
    assert (csat_bot.count, csat_bot.mean) == (2, 3.5)
    assert rate(metrics, "csat_bot_satisfied") == (1, 2, 0.5)
    assert metrics.scores["ces_bot"].count == 1
    csat_agent = metrics.scores["csat_agent"]
    assert (csat_agent.count, csat_agent.mean) == (2, 3.5)
    assert rate(metrics, "csat_agent_satisfied") == (1, 2, 0.5)
    assert metrics.scores["ces_agent"].mean == pytest.approx(10 / 3)
    assert rate(metrics, "survey_answered") == (5, 6, pytest.approx(5 / 6))


def test_out_of_range_ratings_are_not_averaged() -> None:
    records = [
        record("a", survey=survey("bot", csat=9, ces=0)),
        record("b", survey=survey("bot", csat=4)),
    ]
    metrics = metrics_of(records)

    assert metrics.scores["csat_bot"].count == 1
    assert rate(metrics, "survey_answered") == (1, 2, 0.5)


def test_agent_reask_rate_and_per_kind() -> None:
    records = [
        escalated(
            "a", ticket=ticket(agent_id="maya", agent_reasks=("order_number", "email", "email"))
        ),
        escalated("b", ticket=ticket(agent_id="maya", agent_reasks=("order_number",))),
        escalated("c", ticket=ticket(agent_id="theo")),
        escalated("d", ticket=ticket(agent_id=None)),  # nobody took it: not agent-handled
    ]
    metrics = metrics_of(records)

    assert rate(metrics, "agent_reask") == (2, 3, pytest.approx(2 / 3))
    kinds = {
        name: (r.numerator, r.denominator)
        for name, r in metrics.breakdowns["agent_reask_by_kind"].items()
    }
    assert kinds == {"order_number": (2, 3), "email": (1, 3)}


def test_abandonment_by_where_and_abandoned_while_waiting_is_an_escalation() -> None:
    waiting = record(
        "w",
        outcome="abandoned",
        abandoned_at="while_waiting",
        escalation=escalation(),
        ticket=ticket(1, None, 9, closed_as="closed", queue_wait_seconds=480.0),
    )
    records = [
        waiting,
        record("m", outcome="abandoned", abandoned_at="mid_flow"),
        record("x", outcome="abandoned", abandoned_at="after_miss"),
        record("y", outcome="abandoned", abandoned_at="after_miss"),
        record("ok"),
    ]
    metrics = metrics_of(records)

    assert rate(metrics, "abandonment") == (4, 5, 0.8)
    where = {name: r.numerator for name, r in metrics.breakdowns["abandonment_by_where"].items()}
    assert where == {"after_miss": 2, "mid_flow": 1, "while_waiting": 1}
    assert rate(metrics, "escalation") == (1, 5, 0.2)
    assert rate(metrics, "containment") == (1, 5, 0.2)
    assert metrics.times["queue_wait_seconds"].p50 == 480.0  # the wait it was left after
    assert metrics.times["first_response_seconds"].count == 0


def test_after_hours_is_escalated_not_contained_and_its_overnight_wait_counts() -> None:
    overnight = escalated(
        "n",
        outcome="after_hours",
        ticket=ticket(
            1,
            13 * 60,
            14 * 60,
            closed_as="resolved",
            agent_id="maya",
            first_response_sla_met=False,
            queue_wait_seconds=13 * 3600.0 - 120,
        ),
    )
    metrics = metrics_of([overnight, escalated("d")])

    assert rate(metrics, "after_hours") == (1, 2, 0.5)
    assert rate(metrics, "escalation") == (2, 2, 1.0)
    assert rate(metrics, "containment") == (0, 2, 0.0)
    assert metrics.times["first_response_seconds"].p90 == (13 * 60 - 1) * 60
    assert rate(metrics, "sla_first_response") == (1, 2, 0.5)


def test_handed_back_then_escalated_again_is_two_sessions_and_not_first_contact_resolution() -> (
    None
):
    first = escalated("c1", 0, ticket=ticket(1, 4, 20, closed_as="handed_back", agent_id="maya"))
    second = escalated(
        "c1", 60, ticket=ticket(61, 62, 90, closed_as="resolved", agent_id="theo", ticket_id="tk-2")
    )
    metrics = metrics_of([first, second])

    assert metrics.sessions == 2
    assert rate(metrics, "escalation") == (2, 2, 1.0)
    assert rate(metrics, "fcr") == (1, 2, 0.5)  # the first came back on the same topic
    assert rate(metrics, "repeat_contact") == (1, 2, 0.5)  # the second is the repeat
    assert metrics.notes["anonymous_sessions"] == 2  # linked by their conversation only


def test_over_and_under_escalation_from_verdicts_and_unknown_ones_are_counted() -> None:
    records = [escalated("a"), escalated("b"), record("c"), record("d")]
    keys = [r.key for r in records]
    verdicts = (
        Verdict(keys[0], "over"),
        Verdict(keys[1], "right"),
        Verdict(keys[2], "under", turn=3),
        Verdict(keys[3], "right"),
        Verdict("nobody:2026-03-10T09:00:00.000Z", "over"),  # no such session
        Verdict(keys[1], "late", turn=2),  # a later verdict on b replaces the first
    )
    metrics = metrics_of(records, verdicts)

    assert rate(metrics, "over_escalation") == (1, 4, 0.25)
    assert rate(metrics, "under_escalation") == (1, 4, 0.25)
    assert rate(metrics, "late_escalation") == (1, 4, 0.25)
    assert rate(metrics, "right_escalation") == (1, 4, 0.25)
    assert metrics.notes["verdicts"] == 4
    assert metrics.notes["verdicts_unknown"] == 1


def test_verdicts_without_sessions_give_none() -> None:
    metrics = metrics_of([record("a")], (Verdict("nobody:x", "over"),))

    assert rate(metrics, "over_escalation") == (0, 0, None)
    assert metrics.notes["verdicts_unknown"] == 1


def test_a_bad_verdict_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="verdict must be one of"):
        Verdict("a:b", "wrong")  # type: ignore[arg-type]


def test_window_takes_sessions_by_their_start() -> None:
    inside = record("in", start=0)
    before = record("before", start=-10 * 24 * 60)  # 2026-02-28
    after = replace(
        record("after"), started_at="2026-04-01T00:00:00.000Z", ended_at="2026-04-01T00:30:00.000Z"
    )
    metrics = metrics_of([inside, before, after])

    assert metrics.sessions == 1


def test_filters_keep_one_team_intent_or_channel() -> None:
    records = [
        escalated("a"),
        escalated("b", escalation=escalation("technical"), channel="api"),
        record("c", first_intent="refund_request", channel="api"),
    ]

    billing = metrics_of(records, filters=Filters(team="billing"))
    assert billing.sessions == 1
    assert rate(billing, "escalation") == (1, 1, 1.0)
    assert metrics_of(records, filters=Filters(intent="refund_request")).sessions == 1
    assert metrics_of(records, filters=Filters(channel="api")).sessions == 2
    assert metrics_of(records, filters=Filters(channel="api", team="technical")).sessions == 1
    assert metrics_of(records, filters=Filters(team="orders")).sessions == 0


def test_json_shape_is_stable() -> None:
    json = metrics_of([escalated("a")]).to_json()

    assert set(json) == {
        "window",
        "filters",
        "sessions",
        "rates",
        "breakdowns",
        "times",
        "scores",
        "notes",
    }
    assert json["window"]["name"] == "custom"
    assert json["filters"] == {"team": None, "intent": None, "channel": None}
    assert set(json["breakdowns"]) == {
        "escalation_by_intent", "escalation_by_article", "outcomes", "escalation_by_reason",
        "escalation_by_type", "escalation_by_team", "abandonment_by_where", "agent_reask_by_kind",
        "actions_by_result",
    }  # fmt: skip
    assert json["times"]["first_response_seconds"] == {
        "count": 1,
        "mean": 180.0,
        "p50": 180.0,
        "p90": 180.0,
    }
