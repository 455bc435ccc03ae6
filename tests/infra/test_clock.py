from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from infra.clock import as_utc, iso_utc, parse_time, utc_now


def test_a_time_is_written_in_utc_and_read_back_as_the_same_instant() -> None:
    eastern = timezone(timedelta(hours=-4))
    moment = datetime(2026, 3, 14, 5, 30, 15, 250000, tzinfo=eastern)

    text = iso_utc(moment)

    assert text == "2026-03-14T09:30:15.250Z"
    assert parse_time(text) == moment
    assert as_utc(moment).tzinfo == timezone.utc


def test_a_time_without_a_zone_is_refused() -> None:
    naive = datetime(2026, 3, 14, 9, 30)
    for convert in (as_utc, iso_utc):
        with pytest.raises(ValueError, match="no time zone"):
            convert(naive)


def test_now_is_aware_and_in_utc() -> None:
    assert utc_now().utcoffset() == timedelta(0)
