"""SLA arithmetic as a support team sees it: when a reply is due, when it is late, what then."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from handoff.routing.business_hours import Schedule
from handoff.routing.config import load_routing_config
from handoff.routing.sla import (
    TicketClock,
    WaitEstimate,
    breach_key,
    breaches,
    due_times,
    estimate_wait,
    queue_score,
    re_escalate,
)

ET = ZoneInfo("America/New_York")
CONFIG = load_routing_config()
SUPPORT = CONFIG.teams["billing"].schedule


def et(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A moment in Eastern Time, 2026 (March 7 is a Saturday; DST starts March 8)."""
    return datetime(2026, month, day, hour, minute, tzinfo=ET)


def test_the_shipped_schedule_is_the_sample_business_support_hours() -> None:
    assert SUPPORT.describe() == "Mon-Fri 08:00-20:00, Sat-Sun 09:00-17:00 ET"
    assert SUPPORT.is_open(et(10, 8))  # Tuesday 8:00
    assert not SUPPORT.is_open(et(10, 20))  # Tuesday 20:00: closed
    assert not SUPPORT.is_open(et(7, 8, 30))  # Saturday opens at 9
    assert SUPPORT.is_open(et(7, 16, 59))


def test_next_opening_after_hours_is_the_next_morning() -> None:
    assert SUPPORT.next_opening(et(10, 21)) == et(11, 8)  # Tue 21:00 -> Wed 8:00
    assert SUPPORT.next_opening(et(13, 20, 30)) == et(14, 9)  # Fri night -> Sat 9:00
    assert SUPPORT.next_opening(et(10, 11)) == et(10, 11)  # open now


def test_first_response_due_counts_business_hours_only() -> None:
    in_hours = due_times(et(10, 10), "normal", CONFIG.sla, SUPPORT)
    assert in_hours.first_response_due == et(10, 10, 30)
    assert in_hours.resolution_due == et(10, 18)

    after_hours = due_times(et(10, 22), "normal", CONFIG.sla, SUPPORT)
    assert after_hours.first_response_due == et(11, 8, 30)

    near_close = due_times(et(10, 19, 50), "normal", CONFIG.sla, SUPPORT)
    assert near_close.first_response_due == et(11, 8, 20)  # 10 min tonight, 20 tomorrow
    # 8 h resolution from Tue 19:50: 10 min Tue, then 7 h 50 min Wed.
    assert near_close.resolution_due == et(11, 15, 50)


def test_weekend_hours_and_the_daylight_saving_change() -> None:
    # Saturday 16:50 EST: 10 minutes left; Sunday (now EDT) opens at 9:00 local.
    due = due_times(et(7, 16, 50), "normal", CONFIG.sla, SUPPORT)
    assert due.first_response_due == et(8, 9, 20)
    assert due.first_response_due.utcoffset() == timedelta(0)  # returned in UTC
    assert due.first_response_due == datetime(2026, 3, 8, 13, 20, tzinfo=timezone.utc)


def test_closed_dates_are_skipped() -> None:
    holiday = Schedule(ET, "ET", SUPPORT.weekly, frozenset({date(2026, 12, 25)}))
    christmas_eve_night = datetime(2026, 12, 24, 21, 0, tzinfo=ET)
    assert holiday.next_opening(christmas_eve_night) == datetime(2026, 12, 26, 9, 0, tzinfo=ET)


def test_wall_clock_sla_counts_every_minute() -> None:
    wall = replace(CONFIG.sla, clock="wall_clock")
    assert due_times(et(10, 22), "normal", wall, SUPPORT).first_response_due == et(10, 22, 30)


def test_open_time_between_two_moments() -> None:
    assert SUPPORT.open_time_between(et(10, 19), et(11, 9)) == timedelta(hours=2)
    assert SUPPORT.open_time_between(et(11, 9), et(10, 19)) == timedelta(0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        SUPPORT.is_open(datetime(2026, 3, 10, 10, 0))


def clock(**changes: object) -> TicketClock:
    base = TicketClock(
        ticket_id="T-1",
        team="billing",
        priority="normal",
        first_response_due=et(10, 10, 30),
        resolution_due=et(10, 18),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_missed_first_response_is_a_breach_and_a_met_one_is_not() -> None:
    assert breaches(clock(), et(10, 10, 29)) == ()
    (late,) = breaches(clock(), et(10, 10, 31))
    assert (late.kind, late.due_at) == ("first_response", et(10, 10, 30))
    assert breaches(clock(first_responded_at=et(10, 10, 20)), et(10, 11)) == ()
    kinds = [b.kind for b in breaches(clock(), et(10, 18, 5))]
    assert kinds == ["first_response", "resolution"]
    assert breaches(clock(resolved_at=et(10, 10)), et(10, 19)) == ()


def test_the_breach_key_identifies_one_breach_exactly() -> None:
    (late,) = breaches(clock(), et(10, 10, 31))
    assert late.key == "T-1|first_response|2026-03-10T14:30:00Z"
    assert late.key == breach_key("T-1", "first_response", et(10, 10, 30).astimezone(timezone.utc))
    (again,) = breaches(clock(), et(10, 10, 45))
    assert again.key == late.key  # a watchdog checking twice sees the same breach
    later_due = clock(first_response_due=et(10, 11))
    assert breaches(later_due, et(10, 11, 1))[0].key != late.key


def test_a_breach_moves_the_ticket_to_supervisors_one_priority_up() -> None:
    ticket = clock()
    (late,) = breaches(ticket, et(10, 10, 42))
    step = re_escalate(ticket, late, CONFIG, et(10, 10, 42))
    assert (step.from_team, step.to_team) == ("billing", "supervisors")
    assert (step.from_priority, step.to_priority) == ("normal", "high")
    assert step.new_due == et(10, 10, 57)  # high: first response within 15 min, from now
    assert step.key == late.key
    assert step.changed
    assert (
        step.reasons[0] == "SLA breach: first response was due 2026-03-10 14:30 UTC (12 min late)"
    )


def test_the_next_breach_climbs_once_more_then_stops() -> None:
    second = clock(team="supervisors", priority="high", first_response_due=et(10, 10, 57))
    (late,) = breaches(second, et(10, 11))
    step = re_escalate(second, late, CONFIG, et(10, 11))
    assert (step.to_team, step.to_priority) == ("supervisors", "urgent")
    assert step.new_due == et(10, 11, 5)

    top = clock(team="supervisors", priority="urgent", first_response_due=et(10, 11, 5))
    (late,) = breaches(top, et(10, 11, 6))
    final = re_escalate(top, late, CONFIG, et(10, 11, 6))
    assert not final.changed
    assert final.new_due is None  # nothing more to schedule: the watchdog stops here
    assert "top tier" in final.reasons[-1]


def test_breach_policy_flags_from_the_config_are_respected() -> None:
    only_priority = replace(CONFIG, sla=replace(CONFIG.sla, breach_to_supervisor=False))
    ticket = clock()
    (late,) = breaches(ticket, et(10, 11))
    step = re_escalate(ticket, late, only_priority, et(10, 11))
    assert (step.to_team, step.to_priority) == ("billing", "high")


def test_queue_order_is_priority_then_age() -> None:
    tickets = {
        "old normal": queue_score("normal", et(10, 9)),
        "new normal": queue_score("normal", et(10, 10)),
        "new urgent": queue_score("urgent", et(10, 10, 5)),
        "old low": queue_score("low", et(10, 8)),
        "new high": queue_score("high", et(10, 10, 1)),
    }
    order = sorted(tickets, key=tickets.__getitem__)
    assert order == ["new urgent", "new high", "old normal", "new normal", "old low"]
    one_ms_apart = queue_score("normal", et(10, 9) + timedelta(milliseconds=1))
    assert one_ms_apart - tickets["old normal"] == 1.0


def test_expected_wait_grows_with_queue_position() -> None:
    handled = [timedelta(minutes=m) for m in (6, 8, 10, 30)]  # median 9 min
    first = estimate_wait(0, 3, handled, timedelta(minutes=30))
    fourth = estimate_wait(3, 3, handled, timedelta(minutes=30))
    assert first == WaitEstimate(timedelta(minutes=3), "handling_times")
    assert fourth.expected == timedelta(minutes=12)
    assert first.describe() == "about 3 minutes"
    assert WaitEstimate(timedelta(minutes=72), "sla").describe() == "about 1 hour 15 minutes"
    assert WaitEstimate(timedelta(seconds=20), "sla").describe() == "about 1 minute"


def test_without_history_the_wait_is_the_sla_promise() -> None:
    estimate = estimate_wait(2, 3, [], timedelta(minutes=30))
    assert estimate == WaitEstimate(timedelta(minutes=30), "sla")
