"""The action-turn benchmark's pure parts: the shop's extra orders, Rasa's steps cut from a
tracker's timestamps, the service's route times and the ratios against the bar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from benchmarks.action_turns import (
    against_kb,
    bench_order_email,
    bench_order_number,
    growth,
    prepare_shop,
    rasa_steps,
    route_means,
    route_totals,
    steps_summary,
)
from commerce.policy import load_policy
from order_service.loading import load_order
from order_service.schema import open_database
from order_service.seed_plans import CASES, EVERYDAY_ORDERS

TODAY = date(2026, 12, 6)


async def test_each_refund_gets_a_delivered_order_of_its_own_within_the_limit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "orders.sqlite3"
    await prepare_shop(path, 12, TODAY)
    limit = load_policy().refund_limit_cents(None)
    db = await open_database(path)
    try:
        count = (await db.execute_fetchall("SELECT COUNT(*) FROM orders"))[0][0]
        orders = [await load_order(db, bench_order_number(index)) for index in range(12)]
    finally:
        await db.close()

    assert count == len(CASES) + EVERYDAY_ORDERS + 12  # the sample orders are all there
    for index, order in enumerate(orders):
        assert order is not None and order.status == "delivered"
        assert order.email == bench_order_email(index)
        assert 0 < order.refundable_cents == order.total_cents <= limit
        assert order.shipment is not None and order.shipment.status == "delivered"


def test_a_turn_is_cut_at_its_own_events() -> None:
    events = [
        {"event": "user", "timestamp": 90.0},
        {"event": "action", "name": "action_listen", "timestamp": 95.0},
        {"event": "user", "timestamp": 100.020},
        {"event": "slot", "timestamp": 100.021},
        {"event": "action", "name": "order_form", "timestamp": 100.045},
        {"event": "action", "name": "order_form", "timestamp": 100.050},
        {"event": "bot", "timestamp": 100.070},
        {"event": "action", "name": "action_listen", "timestamp": 100.080},
    ]
    steps = rasa_steps(events, posted_at=100.0, answered_at=100.085)

    assert [name for name, _ in steps] == [
        "until the user event (NLU)",
        "order_form",
        "order_form#2",
        "action_listen",
        "tracker saved and reply sent",
    ]
    assert [round(ms, 3) for _, ms in steps] == [20.0, 25.0, 5.0, 30.0, 5.0]


def test_steps_are_summarised_in_the_usual_order() -> None:
    usual = [("nlu", 10.0), ("action_x", 20.0), ("listen", 5.0)]
    odd = [("nlu", 30.0), ("other", 1.0)]
    summary = steps_summary([usual, usual, odd])

    assert list(summary["median_ms"]) == ["nlu", "action_x", "listen", "other"]
    assert summary["median_ms"]["nlu"] == 10.0 and summary["n"]["nlu"] == 3
    assert summary["sequence_seen"] == {"nlu > action_x > listen": 2, "nlu > other": 1}


METRICS = """# HELP support_request_duration_seconds Seconds to answer a request
support_request_duration_seconds_bucket{le="0.005",method="POST",route="/kb/search"} 3.0
support_request_duration_seconds_count{method="POST",route="/kb/search",status="200"} 4.0
support_request_duration_seconds_sum{method="POST",route="/kb/search",status="200"} 0.02
support_request_duration_seconds_count{method="POST",route="/kb/search",status="400"} 1.0
support_request_duration_seconds_sum{method="POST",route="/kb/search",status="400"} 0.001
support_request_duration_seconds_count{method="GET",route="/health",status="200"} 2.0
support_request_duration_seconds_sum{method="GET",route="/health",status="200"} 0.002
"""


def test_route_times_add_statuses_and_subtract_the_earlier_reading() -> None:
    after = route_totals(METRICS)
    assert after["/kb/search"] == {"sum": pytest.approx(0.021), "count": 5.0}
    before = {"/kb/search": {"sum": 0.001, "count": 1.0}, "/health": {"sum": 0.002, "count": 2}}

    assert route_means(before, after) == {"/kb/search": {"n": 4, "mean_ms": 5.0}}


def test_the_bar_is_the_p95_ratio() -> None:
    kb = {"median_ms": 100.0, "p95_ms": 200.0}
    assert against_kb({"median_ms": 180.0, "p95_ms": 300.0}, kb) == {
        "ratio_median": 1.8,
        "ratio_p95": 1.5,
        "met": True,
    }
    assert not against_kb({"median_ms": 100.0, "p95_ms": 302.0}, kb)["met"]


def test_growth_compares_medians() -> None:
    figures = growth([10.0, 20.0, 30.0], [40.0, 50.0])
    assert figures == {
        "short_median_ms": 20.0,
        "long_median_ms": 45.0,
        "long_over_short": 2.25,
        "long_minus_short_ms": 25.0,
    }
