"""Windows, time zones, filters and series steps: what a query names, and clear errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from metrics.windows import (
    QueryError,
    buckets,
    check_parameters,
    parse_filters,
    parse_step,
    parse_window,
)

NOW = datetime(2026, 3, 10, 22, 30, tzinfo=timezone.utc)  # a Tuesday, 23:30 in Berlin


def test_today_7d_and_30d_are_whole_days_up_to_tomorrow_in_utc_by_default() -> None:
    today = parse_window({"window": "today"}, NOW)
    assert (today.start, today.end) == (
        datetime(2026, 3, 10, tzinfo=timezone.utc),
        datetime(2026, 3, 11, tzinfo=timezone.utc),
    )
    assert parse_window({"window": "7d"}, NOW).start == datetime(2026, 3, 4, tzinfo=timezone.utc)
    assert parse_window({"window": "30d"}, NOW).start == datetime(2026, 2, 9, tzinfo=timezone.utc)
    assert parse_window({}, NOW).name == "7d"


def test_a_time_zone_moves_the_days() -> None:
    today = parse_window({"window": "today", "tz": "Europe/Berlin"}, NOW)

    assert today.to_json() == {
        "name": "today",
        "from": "2026-03-09T23:00:00.000Z",
        "to": "2026-03-10T23:00:00.000Z",
        "tz": "Europe/Berlin",
    }


def test_custom_dates_include_both_days_and_date_times_exclude_to() -> None:
    days = parse_window({"window": "custom", "from": "2026-03-01", "to": "2026-03-02"}, NOW)
    assert days.end - days.start == timedelta(days=2)
    hour = parse_window(
        {
            "window": "custom",
            "from": "2026-03-01T10:00",
            "to": "2026-03-01T11:00Z",
            "tz": "Europe/Berlin",
        },
        NOW,
    )
    assert hour.start == datetime(2026, 3, 1, 9, tzinfo=timezone.utc)  # 10:00 in Berlin
    assert hour.end == datetime(2026, 3, 1, 11, tzinfo=timezone.utc)  # an offset wins
    assert hour.contains(hour.start.timestamp()) and not hour.contains(hour.end.timestamp())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"window": "week"}, "window must be one of today, 7d, 30d, custom"),
        ({"window": "custom"}, "window=custom needs from and to"),
        ({"window": "custom", "from": "2026-03-01"}, "window=custom needs from and to"),
        ({"window": "7d", "from": "2026-03-01"}, "from and to go with window=custom"),
        ({"window": "custom", "from": "yesterday", "to": "2026-03-02"}, "from must be YYYY-MM-DD"),
        ({"window": "custom", "from": "2026-02-30", "to": "2026-03-02"}, "from must be YYYY-MM-DD"),
        (
            {"window": "custom", "from": "2026-03-01", "to": "2026-03-01T00:00"},
            "from must be before to",
        ),
        ({"window": "custom", "from": "2026-03-05", "to": "2026-03-01"}, "from must be before to"),
        ({"window": "custom", "from": "2024-01-01", "to": "2026-03-01"}, "at most 366 days"),
        ({"window": "custom", "from": "2026-03-01" + "0" * 40, "to": "2026-03-02"}, "from must be"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"tz": "../../etc/passwd"}, "tz must be an IANA time zone name"),
    ],
)
def test_malformed_windows_are_refused_with_a_clear_message(
    query: dict[str, str], message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        parse_window(query, NOW)


def test_filters_are_checked() -> None:
    assert parse_filters(
        {"team": "billing", "intent": "refund_request", "channel": ""}
    ).to_json() == {
        "team": "billing",
        "intent": "refund_request",
        "channel": None,
    }
    with pytest.raises(QueryError, match="team must be 1-64 letters"):
        parse_filters({"team": "bill ing"})
    with pytest.raises(QueryError, match="team must be one of billing, orders"):
        parse_filters({"team": "sales"}, teams=frozenset({"billing", "orders"}))
    with pytest.raises(QueryError, match="intent must be"):
        parse_filters({"intent": "x" * 65})


def test_unknown_parameters_are_refused() -> None:
    check_parameters({"window": "7d", "team": "billing"}, ("window", "team"))
    with pytest.raises(QueryError, match="unknown parameter 'teams'"):
        check_parameters({"teams": "billing"}, ("window", "team"))


def test_steps_default_to_hours_for_a_day_and_days_otherwise() -> None:
    today = parse_window({"window": "today"}, NOW)
    month = parse_window({"window": "30d"}, NOW)
    assert parse_step(None, today) == "hour"
    assert parse_step(None, month) == "day"
    assert parse_step("hour", month) == "hour"
    with pytest.raises(QueryError, match="step must be one of hour, day"):
        parse_step("minute", today)
    year = parse_window({"window": "custom", "from": "2026-01-01", "to": "2026-03-01"}, NOW)
    with pytest.raises(QueryError, match="step=hour covers at most 31 days"):
        parse_step("hour", year)


def test_buckets_are_hours_or_local_days_and_a_dst_day_has_23_hours() -> None:
    assert len(buckets(parse_window({"window": "today"}, NOW), "hour")) == 24
    week = buckets(parse_window({"window": "7d"}, NOW), "day")
    assert [bucket.start.day for bucket in week] == [4, 5, 6, 7, 8, 9, 10]
    spring = parse_window(
        {"window": "custom", "from": "2026-03-28", "to": "2026-03-30", "tz": "Europe/Berlin"}, NOW
    )
    days = buckets(spring, "day")
    assert [round((b.end_ts - b.start_ts) / 3600) for b in days] == [24, 23, 24]
    assert len(buckets(spring, "hour")) == 71
    assert days[0].start == spring.start and days[-1].end == spring.end
