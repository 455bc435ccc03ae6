"""Business hours: a weekly opening schedule in one time zone, with closed dates.

Pure arithmetic on timezone-aware datetimes (naive ones are refused). Opening intervals are
built in the schedule's local time and converted to UTC before any arithmetic, because Python
adds and subtracts datetimes that share a tzinfo on the wall clock, which is wrong across a
daylight-saving change. Results are returned in UTC.

Python 3.10 compatible: the handoff core may be imported by the bot env.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from infra.clock import as_utc

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class OpeningHours:
    """One opening interval in a day, local time; `close` is after `open` on the same day."""

    open: time
    close: time

    def describe(self) -> str:
        return f"{self.open:%H:%M}-{self.close:%H:%M}"


@dataclass(frozen=True)
class Schedule:
    """When people are at work: opening hours per weekday (Monday first; None = closed)."""

    timezone: ZoneInfo
    label: str
    weekly: tuple[OpeningHours | None, ...]
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("a schedule needs opening hours (or None) for all 7 weekdays")
        if not any(self.weekly):
            raise ValueError("a schedule must be open on at least one weekday")

    def is_open(self, at: datetime) -> bool:
        at = as_utc(at)
        interval = self._interval_on(at.astimezone(self.timezone).date())
        return interval is not None and interval[0] <= at < interval[1]

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when open, else the start of the next opening interval."""
        at = as_utc(at)
        start, _ = next(self._open_intervals(at))
        return max(start, at)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of open time has passed after `start`.

        A zero duration gives the next opening (or `start` when open): nobody can act before.
        """
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        moment = as_utc(start)
        remaining = duration
        for opens, closes in self._open_intervals(moment):
            begin = max(opens, moment)
            if begin + remaining <= closes:
                return begin + remaining
            remaining -= closes - begin
        raise AssertionError("unreachable: _open_intervals never ends")  # pragma: no cover

    def open_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much open time lies between two moments (zero when end <= start)."""
        start, end = as_utc(start), as_utc(end)
        total = timedelta(0)
        for opens, closes in self._open_intervals(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return max(total, timedelta(0))

    def local(self, at: datetime) -> datetime:
        return as_utc(at).astimezone(self.timezone)

    def describe(self) -> str:
        """'Mon-Fri 08:00-20:00, Sat-Sun 09:00-17:00 ET': consecutive equal days grouped."""
        groups: list[tuple[int, int, OpeningHours]] = []
        for index, hours in enumerate(self.weekly):
            if hours is None:
                continue
            if groups and groups[-1][2] == hours and groups[-1][1] == index - 1:
                groups[-1] = (groups[-1][0], index, hours)
            else:
                groups.append((index, index, hours))
        parts = []
        for first, last, hours in groups:
            days = WEEKDAY_ABBREVIATIONS[first]
            if last != first:
                days += f"-{WEEKDAY_ABBREVIATIONS[last]}"
            parts.append(f"{days} {hours.describe()}")
        return ", ".join(parts) + f" {self.label}"

    def _interval_on(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.weekly[day.weekday()]
        if hours is None or day in self.closed_dates:
            return None
        opens = datetime.combine(day, hours.open, tzinfo=self.timezone)
        closes = datetime.combine(day, hours.close, tzinfo=self.timezone)
        return opens.astimezone(timezone.utc), closes.astimezone(timezone.utc)

    def _open_intervals(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals that end after `at`, in order, without end (the week repeats)."""
        day = at.astimezone(self.timezone).date() - timedelta(days=1)
        closed_run = 0
        while True:
            interval = self._interval_on(day)
            day += timedelta(days=1)
            if interval is None:
                closed_run += 1
                if closed_run > 7 + len(self.closed_dates):
                    raise ValueError("the schedule never opens again (closed dates cover it)")
                continue
            closed_run = 0
            if interval[1] > at:
                yield interval


def parse_opening_hours(text: str) -> OpeningHours:
    """'08:00-20:00' -> OpeningHours; raises ValueError with a readable message."""
    try:
        open_text, close_text = (part.strip() for part in text.split("-"))
        hours = OpeningHours(time.fromisoformat(open_text), time.fromisoformat(close_text))
    except ValueError as error:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM") from error
    if hours.close <= hours.open:
        raise ValueError(f"{text!r} closes before it opens")
    return hours
