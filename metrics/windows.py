"""Which sessions a figure is about: the time window, the filters, and the steps of a series.

Windows are whole calendar days in one time zone (`tz`, an IANA name such as Europe/Berlin;
UTC when not given), so a daily series lines up with the support lead's days:

    today    from today's midnight to tomorrow's
    7d       the last 7 days, today included (from the midnight 6 days ago)
    30d      the last 30 days, today included
    custom   from=YYYY-MM-DD to=YYYY-MM-DD, both days included; or ISO date-times
             (from=2026-03-14T09:00, to=2026-03-14T10:00: `to` excluded; without an offset
             they are read in `tz`). At most 366 days.

A session belongs to the window its start (`started_at`) falls in. Filters keep sessions of one
`team` (the team the session was handed to: only escalated sessions have one), one `intent`
(the session's first intent) and one `channel`. Malformed input raises `QueryError`, whose
message is meant for the caller (the service answers 400 with it).

Pure and standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from infra.clock import iso_utc
from outcomes.record import OutcomeRecord

WINDOWS = ("today", "7d", "30d", "custom")
DEFAULT_WINDOW = "7d"
Step = Literal["hour", "day"]
STEPS: tuple[Step, ...] = ("hour", "day")
PRESET_DAYS = {"today": 1, "7d": 7, "30d": 30}
MAX_DAYS = 366
MAX_HOURLY_DAYS = 31
FILTERS = ("team", "intent", "channel")
WINDOW_PARAMETERS = ("window", "from", "to", "tz")
_LABEL = re.compile(r"^[\w.:-]{1,64}$")
_TZ_NAME = re.compile(r"^[A-Za-z][\w+-]*(/[\w+-]+){0,2}$")


class QueryError(ValueError):
    """A window, filter or step the caller got wrong; the message says how to get it right."""


@dataclass(frozen=True)
class Window:
    name: str
    start: datetime
    end: datetime
    """Excluded."""
    tz: tzinfo

    @property
    def start_ts(self) -> float:
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        return self.end.timestamp()

    def contains(self, moment: float) -> bool:
        """Whether a POSIX timestamp falls in [start, end)."""
        return self.start_ts <= moment < self.end_ts

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "from": iso_utc(self.start),
            "to": iso_utc(self.end),
            "tz": str(self.tz),
        }


@dataclass(frozen=True)
class Filters:
    team: str | None = None
    intent: str | None = None
    channel: str | None = None

    def matches(self, record: OutcomeRecord) -> bool:
        if self.team is not None and (
            record.escalation is None or record.escalation.team != self.team
        ):
            return False
        if self.intent is not None and record.first_intent != self.intent:
            return False
        return self.channel is None or record.channel == self.channel

    def to_json(self) -> dict[str, str | None]:
        return {"team": self.team, "intent": self.intent, "channel": self.channel}


def parse_window(query: Mapping[str, str], now: datetime) -> Window:
    """The window named by `window` (default 7d), `from`, `to` and `tz` in a query."""
    zone = parse_tz(query.get("tz"))
    name = query.get("window", DEFAULT_WINDOW)
    if name not in WINDOWS:
        raise QueryError(f"window must be one of {', '.join(WINDOWS)}")
    if name != "custom":
        if "from" in query or "to" in query:
            raise QueryError("from and to go with window=custom")
        today = now.astimezone(zone).date()
        first = today - timedelta(days=PRESET_DAYS[name] - 1)
        return Window(
            name, _midnight(first, zone), _midnight(today + timedelta(days=1), zone), zone
        )
    if "from" not in query or "to" not in query:
        raise QueryError("window=custom needs from and to (YYYY-MM-DD or ISO date-times)")
    start = _moment(query["from"], "from", zone, end=False)
    end = _moment(query["to"], "to", zone, end=True)
    if start >= end:
        raise QueryError("from must be before to")
    if end - start > timedelta(days=MAX_DAYS):
        raise QueryError(f"a custom window spans at most {MAX_DAYS} days")
    return Window("custom", start, end, zone)


def parse_tz(text: str | None) -> tzinfo:
    if text is None or text in ("UTC", "Z"):
        return timezone.utc
    if not _TZ_NAME.match(text):
        raise QueryError("tz must be an IANA time zone name such as Europe/Berlin")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryError(f"unknown time zone {text[:64]!r}") from None


def parse_filters(query: Mapping[str, str], teams: frozenset[str] | None = None) -> Filters:
    """The team, intent and channel filters; `teams`: the team ids that exist, if known."""
    values: dict[str, str] = {}
    for name in FILTERS:
        value = query.get(name)
        if value is None or value == "":
            continue
        if not _LABEL.match(value):
            raise QueryError(f"{name} must be 1-64 letters, digits or ._:-")
        values[name] = value
    if teams is not None and "team" in values and values["team"] not in teams:
        raise QueryError(f"team must be one of {', '.join(sorted(teams))}")
    return Filters(**values)


def parse_step(text: str | None, window: Window) -> Step:
    """hour or day (default: hour for a window of one day or less, else day)."""
    if text is None:
        return "hour" if window.end - window.start <= timedelta(days=1) else "day"
    if text not in STEPS:
        raise QueryError(f"step must be one of {', '.join(STEPS)}")
    if text == "hour" and window.end - window.start > timedelta(days=MAX_HOURLY_DAYS):
        raise QueryError(f"step=hour covers at most {MAX_HOURLY_DAYS} days; use step=day")
    return "hour" if text == "hour" else "day"


def check_parameters(query: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    """Refuse a parameter the route does not know (a misspelt filter would silently not filter)."""
    unknown = sorted(set(query) - set(allowed))
    if unknown:
        raise QueryError(
            f"unknown parameter {unknown[0][:40]!r}; this route takes {', '.join(allowed)}"
        )


def buckets(window: Window, step: Step) -> list[Window]:
    """The window cut into hours or local calendar days (a day of a DST change has 23 or 25
    hours); the last bucket ends with the window."""
    cuts: list[datetime] = []
    if step == "hour":
        moment = window.start.astimezone(timezone.utc)
        while moment < window.end:
            cuts.append(moment)
            moment += timedelta(hours=1)
    else:
        cuts.append(window.start)
        day = window.start.astimezone(window.tz).date() + timedelta(days=1)
        while _midnight(day, window.tz) < window.end:
            cuts.append(_midnight(day, window.tz))
            day += timedelta(days=1)
    ends = [*cuts[1:], window.end]
    return [Window(step, start, end, window.tz) for start, end in zip(cuts, ends, strict=True)]


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _moment(text: str, name: str, zone: tzinfo, *, end: bool) -> datetime:
    """A date (the day's start; for `to`, the next day's start) or a date-time."""
    if len(text) > 40:
        raise QueryError(f"{name} must be YYYY-MM-DD or an ISO 8601 date-time")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return _midnight(day + timedelta(days=1) if end else day, zone)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{name} must be YYYY-MM-DD or an ISO 8601 date-time") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
