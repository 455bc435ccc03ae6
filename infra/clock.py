"""The clock and the one text form of a time, for every process.

Times are timezone-aware and compared in UTC; a naive datetime is refused (its zone is unknown).
Stored and sent times are ISO 8601 UTC with milliseconds: '2026-03-14T09:30:00.000Z'. Code that
needs the time takes `now` or a `Clock` from its caller, so tests pass a fixed one.
Standard library only, Python 3.10 compatible.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]
"""What a component calls for the current time (`utc_now`, or a fixed clock in tests)."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; raises ValueError for a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime (UTC)")
    return moment.astimezone(timezone.utc)


def iso_utc(moment: datetime) -> str:
    """'2026-03-14T09:30:00.000Z'. Naive datetimes are refused: their zone is unknown."""
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An ISO 8601 UTC time as `iso_utc` writes it ('2026-03-14T09:30:00.000Z')."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
