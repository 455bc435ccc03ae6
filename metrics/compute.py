"""Every escalation metric, from outcome records and QA verdicts: the one pure module the
service's analytics API, the dashboard and the exports read.

    sessions = sessions_of(records)                        # metrics/sessions.py
    context = build_context(sessions, verdicts)            # who came back; the QA verdicts
    figures = compute(sessions, window, filters, context)  # Metrics: rates, breakdowns, ...
    points = series(sessions, metric, window, "day", filters, context)
    rows = behind(sessions, metric, "numerator", window, filters, context)   # drill-down

`sessions` are all the records there are: the window and filters pick the ones a figure is
about (windows.py), while first-contact resolution and repeat contacts look at the customer's
sessions before and after the window too (contacts.py). What each metric counts is decided per
session in definitions.py, which figures, series and drill-down share.

Pure and standard library only.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from metrics.contacts import Contacts, find_contacts
from metrics.definitions import (
    DISTRIBUTIONS,
    GROUPED,
    RATES,
    SHARES,
    TIMES,
    Context,
    facts,
)
from metrics.rates import Distribution, Rate
from metrics.record_facts import Facts
from metrics.sessions import Session
from metrics.verdicts import Verdict, latest_by_session
from metrics.windows import Filters, QueryError, Step, Window, buckets
from outcomes.record import ABANDONED_AT, OUTCOMES

Part = Literal["numerator", "denominator"]
PARTS: tuple[Part, ...] = ("numerator", "denominator")
Figure = Rate | Distribution
NO_FILTERS = Filters()
ALWAYS_LISTED = {"outcomes": OUTCOMES, "abandonment_by_where": ABANDONED_AT}
"""Breakdowns whose every group is listed, at 0 too, so a dashboard's tiles stay put."""


@dataclass(frozen=True)
class MetricId:
    """A metric a caller names: a rate or distribution (`containment`), or one group of a
    breakdown (`escalation_by_reason:frustration`)."""

    name: str
    group: str | None = None

    @property
    def is_distribution(self) -> bool:
        return self.name in DISTRIBUTIONS

    def __str__(self) -> str:
        return self.name if self.group is None else f"{self.name}:{self.group}"


def parse_metric(text: str | None) -> MetricId:
    if not text:
        raise QueryError("metric is required: " + _metric_help())
    name, colon, group = text.partition(":")
    if not colon and (name in RATES or name in DISTRIBUTIONS):
        return MetricId(name)
    if colon and (name in GROUPED or name in SHARES) and 0 < len(group) <= 128:
        return MetricId(name, group)
    raise QueryError(f"unknown metric {text[:80]!r}: " + _metric_help())


def build_context(
    sessions: Sequence[Session], verdicts: Iterable[Verdict] = (), contacts: Contacts | None = None
) -> Context:
    """The contacts of all sessions (`contacts` when the caller keeps them up to date) and the
    verdicts on known sessions; verdicts on no known session are counted and left out."""
    latest = latest_by_session(verdicts)
    known = {session.key for session in sessions} if latest else set()
    matched = {key: verdict for key, verdict in latest.items() if key in known}
    return Context(
        contacts=contacts if contacts is not None else find_contacts(sessions),
        verdicts=matched,
        unknown_verdicts=len(latest) - len(matched),
    )


@dataclass(frozen=True)
class Metrics:
    window: Window
    filters: Filters
    sessions: int
    rates: dict[str, Rate]
    breakdowns: dict[str, dict[str, Rate]]
    times: dict[str, Distribution]
    scores: dict[str, Distribution]
    notes: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "filters": self.filters.to_json(),
            "sessions": self.sessions,
            "rates": {name: rate.to_json() for name, rate in self.rates.items()},
            "breakdowns": {
                name: {group: rate.to_json() for group, rate in groups.items()}
                for name, groups in self.breakdowns.items()
            },
            "times": {name: figure.to_json() for name, figure in self.times.items()},
            "scores": {name: figure.to_json() for name, figure in self.scores.items()},
            "notes": dict(self.notes),
        }


class Tally:
    """Facts of sessions counted into figures (collected in one Facts, counted at the end)."""

    def __init__(self) -> None:
        self.sessions = self.anonymous = self.reviewed = 0
        self.found = Facts()

    def add(self, session: Session, context: Context) -> None:
        self.sessions += 1
        self.anonymous += session.record.customer_key is None
        self.reviewed += session.key in context.verdicts
        facts(session, context, self.found)

    def metrics(self, window: Window, filters: Filters, context: Context) -> Metrics:
        values: dict[str, list[float]] = {name: [] for name in DISTRIBUTIONS}
        for name, value in self.found.values:
            values[name].append(value)
        distributions = {name: Distribution.of(found) for name, found in values.items()}
        rates = Counter(self.found.rates)
        return Metrics(
            window=window,
            filters=filters,
            sessions=self.sessions,
            rates={
                name: Rate(rates[(name, True)], rates[(name, True)] + rates[(name, False)])
                for name in RATES
            },
            breakdowns=self._breakdowns(),
            times={name: distributions[name] for name in TIMES},
            scores={name: figure for name, figure in distributions.items() if name not in TIMES},
            notes={
                "anonymous_sessions": self.anonymous,
                "verdicts": self.reviewed,
                "verdicts_unknown": context.unknown_verdicts,
            },
        )

    def _breakdowns(self) -> dict[str, dict[str, Rate]]:
        grouped: dict[str, dict[str, list[int]]] = {name: {} for name in GROUPED}
        for (name, group, hit), count in Counter(self.found.groups).items():
            counts = grouped[name].setdefault(group, [0, 0])
            counts[0] += count if hit else 0
            counts[1] += count
        breakdowns = {
            name: _ordered({group: Rate(*counts) for group, counts in groups.items()})
            for name, groups in grouped.items()
        }
        totals = Counter(self.found.shares)
        hits: dict[str, dict[str, int]] = {
            name: dict.fromkeys(ALWAYS_LISTED.get(name, ()), 0) for name in SHARES
        }
        for (name, group), count in Counter(self.found.share_hits).items():
            hits[name][group] = count
        for name, by_group in hits.items():
            rates = {group: Rate(count, totals[name]) for group, count in by_group.items()}
            breakdowns[name] = rates if name in ALWAYS_LISTED else _ordered(rates)
        return breakdowns


def compute(
    sessions: Sequence[Session], window: Window, filters: Filters, context: Context
) -> Metrics:
    tally = Tally()
    for session in selected(sessions, window, filters):
        tally.add(session, context)
    return tally.metrics(window, filters, context)


def selected(sessions: Iterable[Session], window: Window, filters: Filters) -> Iterator[Session]:
    """The sessions that started in the window and pass the filters."""
    start, end = window.start_ts, window.end_ts
    if filters == NO_FILTERS:
        yield from (session for session in sessions if start <= session.start < end)
        return
    for session in sessions:
        if start <= session.start < end and filters.matches(session.record):
            yield session


def series(
    sessions: Sequence[Session],
    metric: MetricId,
    window: Window,
    step: Step,
    filters: Filters,
    context: Context,
) -> list[tuple[Window, Figure]]:
    """One metric per hour or day of the window (empty steps have no data: None values)."""
    steps = buckets(window, step)
    starts = [bucket.start_ts for bucket in steps]
    counts = [[0, 0] for _ in steps]
    values: list[list[float]] = [[] for _ in steps]
    for session in selected(sessions, window, filters):
        index = bisect.bisect_right(starts, session.start) - 1
        found = facts(session, context)
        if metric.is_distribution:
            values[index] += [value for name, value in found.values if name == metric.name]
            continue
        counted, hit = rate_part(found, metric)
        counts[index][0] += hit
        counts[index][1] += counted
    if metric.is_distribution:
        return [
            (bucket, Distribution.of(found)) for bucket, found in zip(steps, values, strict=True)
        ]
    return [(bucket, Rate(*pair)) for bucket, pair in zip(steps, counts, strict=True)]


def behind(
    sessions: Sequence[Session],
    metric: MetricId,
    part: Part,
    window: Window,
    filters: Filters,
    context: Context,
) -> list[tuple[Session, float | None]]:
    """Drill-down: the sessions in a rate's numerator or denominator (newest first); for a
    distribution, the sessions with a value, and the value."""
    rows: list[tuple[Session, float | None]] = []
    for session in selected(sessions, window, filters):
        found = facts(session, context)
        if metric.is_distribution:
            rows += [(session, value) for name, value in found.values if name == metric.name]
            continue
        counted, hit = rate_part(found, metric)
        if hit if part == "numerator" else counted:
            rows.append((session, None))
    rows.sort(key=lambda row: (row[0].start, row[0].key), reverse=True)
    return rows


def rate_part(found: Facts, metric: MetricId) -> tuple[bool, bool]:
    """Whether a session is in the rate's denominator, and in its numerator."""
    if metric.name in RATES:
        for name, hit in found.rates:
            if name == metric.name:
                return True, hit
    elif metric.name in GROUPED:
        for name, group, hit in found.groups:
            if name == metric.name and group == metric.group:
                return True, hit
    elif metric.name in found.shares:
        return True, (metric.name, metric.group or "") in found.share_hits
    return False, False


def _ordered(rates: dict[str, Rate]) -> dict[str, Rate]:
    """Largest numerator first, then by name."""
    return dict(sorted(rates.items(), key=lambda item: (-item[1].numerator, item[0])))


def _metric_help() -> str:
    return (
        f"a rate ({', '.join(RATES)}), a distribution ({', '.join(DISTRIBUTIONS)}) or "
        f"a breakdown's group as name:group ({', '.join([*GROUPED, *SHARES])})"
    )
