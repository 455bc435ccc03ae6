"""Routing configuration: handoff/routing/routing.yml as typed, frozen, validated objects.

`parse_routing_config` is pure (a parsed YAML document in, a `RoutingConfig` out) and reports
every problem in the document at once (infra/config_checks.py); `load_routing_config` is the thin
edge reading the file (infra/yaml_config.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handoff.routing.business_hours import WEEKDAYS, OpeningHours, Schedule, parse_opening_hours
from infra.config_checks import Checker
from infra.yaml_config import load_yaml_config

DEFAULT_ROUTING_PATH = Path(__file__).with_name("routing.yml")

Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")
"""Lowest first; the same four levels Zendesk uses."""
ESCALATION_REASONS = ("explicit_request", "frustration", "unresolved", "policy")
"""Reason codes of the detection decision record (handoff/detection/decision_record.py)."""
SlaClock = Literal["business_hours", "wall_clock"]
SLA_CLOCKS: tuple[SlaClock, ...] = ("business_hours", "wall_clock")
CURRENCY = re.compile(r"^[A-Z]{3}$")
INCIDENT_SETTINGS = (
    "min_customers",
    "window_minutes",
    "min_similarity",
    "min_problem_words",
    "ignore_words",
)
ONE_WORD = re.compile(r"[a-z0-9']+")


class RoutingConfigError(ValueError):
    """routing.yml is missing values or has invalid ones; the message lists them all."""


def raise_priority(priority: Priority, steps: int = 1) -> Priority:
    """`steps` levels up (or down for negative steps), capped at urgent and low."""
    index = min(max(PRIORITIES.index(priority) + steps, 0), len(PRIORITIES) - 1)
    return PRIORITIES[index]


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    schedule: Schedule


@dataclass(frozen=True)
class FunctionalRule:
    position: int
    team: str
    intents: frozenset[str]
    categories: frozenset[str]
    tags: frozenset[str]

    @property
    def name(self) -> str:
        return f"functional[{self.position}]"


@dataclass(frozen=True)
class RefundRule:
    intents: frozenset[str]
    phrases: re.Pattern[str]
    limits: Mapping[str, Decimal]


@dataclass(frozen=True)
class HierarchicalRules:
    refund: RefundRule
    policy_exception: re.Pattern[str]
    authority: re.Pattern[str]


@dataclass(frozen=True)
class PriorityRules:
    default: Priority
    tiers: Mapping[str, Priority]
    escalation_reasons: Mapping[str, Priority]
    incident: Priority


@dataclass(frozen=True)
class IncidentSettings:
    min_customers: int
    window: timedelta
    min_similarity: float
    min_problem_words: int
    """A description needs this many problem words to be compared with another."""
    ignore_words: frozenset[str]
    """Lower-case words that say nothing about what is wrong ("person", "hello", "useless")."""


@dataclass(frozen=True)
class SlaPolicy:
    first_response: timedelta
    resolution: timedelta


@dataclass(frozen=True)
class SlaSettings:
    clock: SlaClock
    policies: Mapping[Priority, SlaPolicy]
    breach_to_supervisor: bool
    breach_raise_priority: bool


@dataclass(frozen=True)
class RoutingConfig:
    teams: Mapping[str, Team]
    default_team: str
    supervisor_team: str
    functional: tuple[FunctionalRule, ...]
    hierarchical: HierarchicalRules
    priority: PriorityRules
    incidents: IncidentSettings
    sla: SlaSettings


def load_routing_config(path: Path = DEFAULT_ROUTING_PATH) -> RoutingConfig:
    """Read and validate routing.yml (the only I/O in this module)."""
    return load_yaml_config(path, parse_routing_config, "routing config", RoutingConfigError)


def parse_routing_config(data: object) -> RoutingConfig:
    """Validate a parsed routing.yml document; raises RoutingConfigError listing every problem."""
    check = Checker("routing config", RoutingConfigError)
    root = check.mapping(data, "routing config")
    check.known(root, _TOP_LEVEL, "")
    schedules = _schedules(check, check.mapping(root.get("schedules"), "schedules"))
    teams = _teams(check, check.mapping(root.get("teams"), "teams"), schedules)
    config = RoutingConfig(
        teams=teams,
        default_team=_team_ref(check, root.get("default_team"), "default_team", teams),
        supervisor_team=_team_ref(check, root.get("supervisor_team"), "supervisor_team", teams),
        functional=_functional(check, root.get("functional"), teams),
        hierarchical=_hierarchical(check, check.mapping(root.get("hierarchical"), "hierarchical")),
        priority=_priority(check, check.mapping(root.get("priority"), "priority")),
        incidents=_incidents(check, check.mapping(root.get("incidents"), "incidents")),
        sla=_sla(check, check.mapping(root.get("sla"), "sla")),
    )
    check.raise_problems()
    return config


_TOP_LEVEL = (
    "schedules",
    "teams",
    "default_team",
    "supervisor_team",
    "functional",
    "hierarchical",
    "priority",
    "incidents",
    "sla",
    "helpdesk",  # the help desks of the ticket events: read by helpdesk/config.py
)


def _schedules(check: Checker, section: Mapping) -> dict[str, Schedule]:
    schedules: dict[str, Schedule] = {}
    for key, raw in section.items():
        name = f"schedules.{key}"
        spec = check.mapping(raw, name)
        check.known(spec, ("timezone", "label", "hours", "closed_dates"), f"{name}.")
        zone_name = check.text(spec.get("timezone"), f"{name}.timezone")
        zone = None
        try:
            zone = ZoneInfo(zone_name) if zone_name else None
        except (ZoneInfoNotFoundError, ValueError):
            check.add(f"{name}.timezone={zone_name!r} is not a known IANA time zone")
        label = check.text(spec.get("label"), f"{name}.label")
        hours = check.mapping(spec.get("hours"), f"{name}.hours")
        check.known(hours, WEEKDAYS, f"{name}.hours.")
        weekly: list[OpeningHours | None] = []
        for day in WEEKDAYS:
            try:
                weekly.append(parse_opening_hours(hours[day]) if day in hours else None)
            except (ValueError, AttributeError) as error:
                check.add(f"{name}.hours.{day}: {error}")
                weekly.append(None)
        if not any(weekly):
            check.add(f"{name}.hours must open on at least one weekday")
        closed = spec.get("closed_dates") or []
        if not isinstance(closed, list) or not all(isinstance(d, date) for d in closed):
            check.add(f"{name}.closed_dates={closed!r} must be a list of YYYY-MM-DD dates")
            closed = []
        if zone is not None and any(weekly):
            schedules[str(key)] = Schedule(zone, label, tuple(weekly), frozenset(closed))
    return schedules


def _teams(check: Checker, section: Mapping, schedules: Mapping[str, Schedule]) -> dict:
    if not section:
        check.add("teams must define at least one team")
    teams: dict[str, Team] = {}
    for key, raw in section.items():
        name = f"teams.{key}"
        spec = check.mapping(raw, name)
        check.known(spec, ("name", "schedule"), f"{name}.")
        title = check.text(spec.get("name"), f"{name}.name")
        schedule = schedules.get(str(spec.get("schedule")))
        if schedule is None:
            check.add(
                f"{name}.schedule={spec.get('schedule')!r} is not one of the valid schedules "
                f"({', '.join(sorted(schedules)) or 'none'})"
            )
            continue
        teams[str(key)] = Team(str(key), title, schedule)
    return teams


def _team_ref(check: Checker, value: object, name: str, teams: Mapping[str, Team]) -> str:
    return check.choice(value, name, sorted(teams), "")


def _functional(check: Checker, raw: object, teams: Mapping[str, Team]) -> tuple:
    if not isinstance(raw, list) or not raw:
        check.add("functional must be a non-empty list of rules")
        return ()
    rules = []
    for position, item in enumerate(raw):
        name = f"functional[{position}]"
        spec = check.mapping(item, name)
        check.known(spec, ("team", "intents", "categories", "tags"), f"{name}.")
        team = _team_ref(check, spec.get("team"), f"{name}.team", teams)
        intents, categories, tags = (
            frozenset(check.texts(spec.get(key), f"{name}.{key}"))
            for key in ("intents", "categories", "tags")
        )
        if not (intents or categories or tags):
            check.add(f"{name} needs at least one of intents, categories or tags")
        lowered = frozenset(tag.lower() for tag in tags)
        rules.append(FunctionalRule(position, team, intents, categories, lowered))
    return tuple(rules)


def _hierarchical(check: Checker, section: Mapping) -> HierarchicalRules:
    check.known(
        section, ("refund", "policy_exception_phrases", "authority_phrases"), "hierarchical."
    )
    refund = check.mapping(section.get("refund"), "hierarchical.refund")
    check.known(refund, ("intents", "phrases", "limits"), "hierarchical.refund.")
    limits: dict[str, Decimal] = {}
    for currency, raw in check.mapping(refund.get("limits"), "hierarchical.refund.limits").items():
        name = f"hierarchical.refund.limits.{currency}"
        if not isinstance(currency, str) or not CURRENCY.match(currency):
            check.add(f"{name}: the currency must be a 3-letter ISO code such as USD")
            continue
        try:
            amount = Decimal("NaN") if isinstance(raw, bool | float) else Decimal(str(raw))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount < 0:
            check.add(f'{name}={raw!r} must be an amount >= 0, quoted like "250.00"')
            continue
        limits[currency] = amount
    return HierarchicalRules(
        refund=RefundRule(
            intents=frozenset(check.texts(refund.get("intents"), "hierarchical.refund.intents")),
            phrases=check.phrases(refund.get("phrases"), "hierarchical.refund.phrases"),
            limits=limits,
        ),
        policy_exception=check.phrases(
            section.get("policy_exception_phrases"), "hierarchical.policy_exception_phrases"
        ),
        authority=check.phrases(section.get("authority_phrases"), "hierarchical.authority_phrases"),
    )


def _priority_value(check: Checker, value: object, name: str) -> Priority:
    return cast(Priority, check.choice(value, name, PRIORITIES, "normal"))


def _priority(check: Checker, section: Mapping) -> PriorityRules:
    check.known(section, ("default", "tiers", "escalation_reasons", "incident"), "priority.")
    tiers = check.mapping(section.get("tiers", {}), "priority.tiers")
    by_reason = check.mapping(section.get("escalation_reasons", {}), "priority.escalation_reasons")
    check.known(by_reason, ESCALATION_REASONS, "priority.escalation_reasons.")
    return PriorityRules(
        default=_priority_value(check, section.get("default"), "priority.default"),
        tiers={
            str(tier).lower(): _priority_value(check, value, f"priority.tiers.{tier}")
            for tier, value in tiers.items()
        },
        escalation_reasons={
            str(code): _priority_value(check, value, f"priority.escalation_reasons.{code}")
            for code, value in by_reason.items()
        },
        incident=_priority_value(check, section.get("incident"), "priority.incident"),
    )


def _incidents(check: Checker, section: Mapping) -> IncidentSettings:
    check.known(section, INCIDENT_SETTINGS, "incidents.")
    minutes = check.whole(section.get("window_minutes"), "incidents.window_minutes", 1, 1440)
    words = check.texts(section.get("ignore_words"), "incidents.ignore_words")
    for word in words:
        if not ONE_WORD.fullmatch(word.lower()):
            check.add(f"incidents.ignore_words: {word!r} must be one word (letters, digits, ')")
    return IncidentSettings(
        min_customers=check.whole(section.get("min_customers"), "incidents.min_customers", 2, 1000),
        window=timedelta(minutes=minutes),
        min_similarity=check.fraction(section.get("min_similarity"), "incidents.min_similarity"),
        min_problem_words=check.whole(
            section.get("min_problem_words"), "incidents.min_problem_words", 1, 20
        ),
        ignore_words=frozenset(word.lower() for word in words),
    )


def _sla(check: Checker, section: Mapping) -> SlaSettings:
    check.known(section, ("clock", "policies", "on_breach"), "sla.")
    clock = check.choice(section.get("clock"), "sla.clock", SLA_CLOCKS, "business_hours")
    raw_policies = check.mapping(section.get("policies"), "sla.policies")
    check.known(raw_policies, PRIORITIES, "sla.policies.")
    policies: dict[Priority, SlaPolicy] = {}
    for priority in PRIORITIES:
        name = f"sla.policies.{priority}"
        spec = check.mapping(raw_policies.get(priority), name)
        check.known(spec, ("first_response", "resolution"), f"{name}.")
        first = check.duration(spec.get("first_response"), f"{name}.first_response")
        resolution = check.duration(spec.get("resolution"), f"{name}.resolution")
        if resolution < first:
            check.add(f"{name}: resolution must not be shorter than first_response")
        policies[priority] = SlaPolicy(first, resolution)
    for lower, higher in zip(PRIORITIES, PRIORITIES[1:], strict=False):
        if policies[higher].first_response > policies[lower].first_response:
            check.add(f"sla.policies.{higher}.first_response is slower than {lower}'s")
    on_breach = check.mapping(section.get("on_breach"), "sla.on_breach")
    check.known(on_breach, ("to_supervisor", "raise_priority"), "sla.on_breach.")
    return SlaSettings(
        clock=cast(SlaClock, clock),
        policies=policies,
        breach_to_supervisor=check.flag(
            on_breach.get("to_supervisor"), "sla.on_breach.to_supervisor"
        ),
        breach_raise_priority=check.flag(
            on_breach.get("raise_priority"), "sla.on_breach.raise_priority"
        ),
    )
