"""Which finished conversation sessions go to the QA review queue: rules over outcome records
(outcomes/record.py), configured in review/sampling.yml.

A rule picks a share `rate` of the sessions meeting all its conditions. Which ones is decided by
a hash of the rule's name and the session's key (`conversation_id:session`), never by chance:
re-running the sampler over the same records picks the same sessions, and raising a rate only
adds sessions. `sampled_by(record, rules)` names the rules that picked a record (none: not
sampled). `parse_sampling_rules` is pure and reports every problem at once;
`load_sampling_rules` reads the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.config_checks import Checker
from infra.yaml_config import load_yaml_config
from outcomes.record import ABANDONED_AT, OUTCOMES, OutcomeRecord
from review.verdicts import REASONS

DEFAULT_RULES_PATH = Path(__file__).with_name("sampling.yml")
LIST_CONDITIONS = {
    "outcome": OUTCOMES,
    "abandoned_at": ABANDONED_AT,
    "escalation_reason": REASONS,
}
SCORE_CONDITIONS = {"csat_at_most": (1, 5), "ces_at_most": (1, 7)}
FLAG_CONDITIONS = ("frustrated_without_offer", "escalation_not_needed")
CONDITIONS = (*LIST_CONDITIONS, *SCORE_CONDITIONS, *FLAG_CONDITIONS)


class SamplingConfigError(ValueError):
    """The sampling rules are invalid; the message lists every problem."""


@dataclass(frozen=True)
class SamplingRule:
    name: str
    rate: float
    outcome: frozenset[str] | None = None
    abandoned_at: frozenset[str] | None = None
    escalation_reason: frozenset[str] | None = None
    csat_at_most: int | None = None
    ces_at_most: int | None = None
    frustrated_without_offer: bool | None = None
    escalation_not_needed: bool | None = None

    def matches(self, record: OutcomeRecord) -> bool:
        escalation, survey = record.escalation, record.survey
        reason = escalation.reason if escalation else None
        not_needed = bool(record.ticket and record.ticket.escalation_not_needed)
        checks = (
            self.outcome is None or record.outcome in self.outcome,
            self.abandoned_at is None or record.abandoned_at in self.abandoned_at,
            self.escalation_reason is None or reason in self.escalation_reason,
            self.csat_at_most is None
            or _at_most(survey.csat if survey else None, self.csat_at_most),
            self.ces_at_most is None or _at_most(survey.ces if survey else None, self.ces_at_most),
            self.frustrated_without_offer is None
            or record.frustrated_without_offer == self.frustrated_without_offer,
            self.escalation_not_needed is None or not_needed == self.escalation_not_needed,
        )
        return all(checks)

    def picks(self, record: OutcomeRecord) -> bool:
        return self.matches(record) and share(self.name, record.key) < self.rate


def share(rule_name: str, key: str) -> float:
    """Where the session falls in [0, 1) for this rule: the same every time."""
    digest = hashlib.sha256(f"{rule_name}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sampled_by(record: OutcomeRecord, rules: Sequence[SamplingRule]) -> tuple[str, ...]:
    """The names of the rules that pick this session for review."""
    return tuple(rule.name for rule in rules if rule.picks(record))


def parse_sampling_rules(data: Mapping) -> tuple[SamplingRule, ...]:
    check = Checker("review sampling rules", SamplingConfigError)
    check.known(data, ("rules",), "")
    raw = data.get("rules")
    if not isinstance(raw, list) or not raw:
        check.add("rules must be a non-empty list")
        raw = []
    rules, names = [], set()
    for index, entry in enumerate(raw):
        where = f"rules[{index}]"
        entry = check.mapping(entry, where)
        check.known(entry, ("name", "rate", "when"), f"{where}.")
        name = check.text(entry.get("name"), f"{where}.name")
        if name in names:
            check.add(f"{where}.name {name!r} is used twice")
        names.add(name)
        rate = check.number(entry.get("rate"), f"{where}.rate", 0.0, 1.0)
        when = check.mapping(entry.get("when"), f"{where}.when")
        check.known(when, CONDITIONS, f"{where}.when.")
        conditions: dict[str, object] = {}
        for key, allowed in LIST_CONDITIONS.items():
            if key in when:
                values = check.texts(when[key], f"{where}.when.{key}", required=True)
                for value in sorted(set(values) - set(allowed)):
                    check.add(f"{where}.when.{key}: {value!r} is not one of {', '.join(allowed)}")
                conditions[key] = frozenset(values)
        for key, (low, high) in SCORE_CONDITIONS.items():
            if key in when:
                conditions[key] = check.whole(when[key], f"{where}.when.{key}", low, high)
        for key in FLAG_CONDITIONS:
            if key in when:
                conditions[key] = check.flag(when[key], f"{where}.when.{key}")
        rules.append(SamplingRule(name=name, rate=rate, **conditions))  # type: ignore[arg-type]
    check.raise_problems()
    return tuple(rules)


def load_sampling_rules(path: Path = DEFAULT_RULES_PATH) -> tuple[SamplingRule, ...]:
    return load_yaml_config(
        path, parse_sampling_rules, "review sampling rules", SamplingConfigError
    )


def _at_most(score: int | None, limit: int) -> bool:
    return score is not None and score <= limit
