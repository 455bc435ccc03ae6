"""Routing: which team gets an escalated conversation, how urgent it is, and by when.

`route(request, config, now, incident)` is pure. The service builds the `RoutingRequest` from
the ticket (intent, articles shown, extracted amounts, verified tier, the detection decision's
reason, what the customer wrote), asks `handoff.incidents.detect_incident` first when it keeps
recent escalations, and stores the decision on the ticket. Every rule that fires adds a
`Reason`, so an agent sees why the ticket is in their queue.

Order of the rules (routing.yml):
1. functional - the team with the skill: the tags, then the categories, of the articles tried
   (they vote; ties go to the article shown first), else the intent, else the default team;
2. hierarchical - a refund above the limit (asked for in words, or an action on an order the
   assistant may not take alone), a policy exception or a request for a manager sends
   the ticket to the supervisor team (the functional team stays on the decision as
   `skill_team`, so a supervisor can hand it back);
3. priority - the default, raised by a verified tier, the detection reason or an incident; the
   highest wins;
4. SLA due times from the priority's policy on the owning team's schedule.
`escalation_type` names the strongest kind that fired: hierarchical, then priority (raised
above the default), then functional; automated when the bot escalated and no rule chose a team.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Literal

from handoff.routing.config import PRIORITIES, FunctionalRule, Priority, RoutingConfig
from handoff.routing.incidents import IncidentMatch
from handoff.routing.sla import SlaDue, due_times

EscalationType = Literal["functional", "hierarchical", "priority", "automated"]
DETECTION_REASONS = {
    "explicit_request": "the customer asked for a person",
    "frustration": "the customer was frustrated",
    "unresolved": "the assistant could not resolve the question",
    "policy": "a policy rule requires a person",
}


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str

    def describe(self) -> str:
        return f"{self.currency} {self.value:,.2f}"


@dataclass(frozen=True)
class PendingApproval:
    """An action on an order the assistant may not take alone (actions/orders.py records it in
    the conversation): e.g. a refund above its limit in commerce/policy.yml."""

    action: str
    order_number: str
    amount: Amount
    limit: Amount | None = None

    def describe(self) -> str:
        above = f" is above the assistant's {self.limit.describe()} limit" if self.limit else ""
        return f"{self.action} of {self.amount.describe()} on order {self.order_number}{above}"


@dataclass(frozen=True)
class ArticleTried:
    """A knowledge-base article the customer was shown, with its front matter."""

    id: str
    category: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingRequest:
    customer_text: str
    intent: str | None = None
    articles: tuple[ArticleTried, ...] = ()
    amounts: tuple[Amount, ...] = ()
    customer_tier: str | None = None
    """Verified tier only: the browser's claims never reach routing."""
    escalation_reason: str | None = None
    """The detection decision record's reason code (see DETECTION_REASONS)."""
    approvals: tuple[PendingApproval, ...] = ()


@dataclass(frozen=True)
class Reason:
    kind: EscalationType
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail} [{self.rule}]"


@dataclass(frozen=True)
class RoutingDecision:
    team: str
    skill_team: str
    escalation_type: EscalationType
    priority: Priority
    sla: SlaDue
    reasons: tuple[Reason, ...] = field(default=())
    incident_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the field names of the ticket's routing section."""
        return {
            "escalation_type": self.escalation_type,
            "priority": self.priority,
            "team": self.team,
            "skill_team": self.skill_team,
            "first_response_due": _iso(self.sla.first_response_due),
            "resolution_due": _iso(self.sla.resolution_due),
            "reasons": [str(reason) for reason in self.reasons],
            "incident_id": self.incident_id,
        }


def route(
    request: RoutingRequest,
    config: RoutingConfig,
    now: datetime,
    incident: IncidentMatch | None = None,
) -> RoutingDecision:
    reasons: list[Reason] = []
    if request.escalation_reason:
        explained = DETECTION_REASONS.get(request.escalation_reason, "unknown reason code")
        reasons.append(
            Reason(
                "automated",
                f"detection.{request.escalation_reason}",
                f"the assistant handed off: {explained}",
            )
        )
    skill_team, functional = _functional(request, config)
    reasons.extend(functional)
    needs_authority, hierarchical = _hierarchical(request, config)
    reasons.extend(hierarchical)
    team = config.supervisor_team if needs_authority else skill_team
    priority, prioritised = _priority(request, config, incident)
    reasons.extend(prioritised)
    if needs_authority:
        escalation_type: EscalationType = "hierarchical"
    elif priority != config.priority.default:
        escalation_type = "priority"
    elif any(reason.kind == "functional" for reason in functional):
        escalation_type = "functional"
    else:
        escalation_type = "automated"
    return RoutingDecision(
        team=team,
        skill_team=skill_team,
        escalation_type=escalation_type,
        priority=priority,
        sla=due_times(now, priority, config.sla, config.teams[team].schedule),
        reasons=tuple(reasons),
        incident_id=incident.incident_id if incident else None,
    )


def _functional(request: RoutingRequest, config: RoutingConfig) -> tuple[str, list[Reason]]:
    votes: Counter[str] = Counter()
    evidence: dict[str, list[str]] = {}
    for article in request.articles:
        found = _article_rule(article, config.functional)
        if found is not None:
            rule, why = found
            votes[rule.team] += 1
            evidence.setdefault(rule.team, []).append(f"{article.id} ({why}, {rule.name})")
    if votes:
        ranked = list(evidence)  # first article shown first: ties keep that order
        team = max(ranked, key=lambda t: (votes[t], -ranked.index(t)))
        detail = f"articles tried point to team {team}: " + "; ".join(evidence[team])
        if len(votes) > 1:
            others = ", ".join(f"{t} {votes[t]}" for t in ranked if t != team)
            detail += f" (outvoted: {others})"
        return team, [Reason("functional", "functional.articles", detail)]
    for rule in config.functional:
        if request.intent and request.intent in rule.intents:
            detail = f"intent {request.intent} goes to team {rule.team}"
            return rule.team, [Reason("functional", rule.name, detail)]
    detail = (
        f"no functional rule matched intent {request.intent or 'none'} or the "
        f"{len(request.articles)} articles tried: default team {config.default_team}"
    )
    return config.default_team, [Reason("automated", "default_team", detail)]


def _article_rule(
    article: ArticleTried, rules: tuple[FunctionalRule, ...]
) -> tuple[FunctionalRule, str] | None:
    tags = {tag.lower() for tag in article.tags}
    for rule in rules:
        shared = sorted(tags & rule.tags)
        if shared:
            return rule, f"tag {shared[0]!r}"
    for rule in rules:
        if article.category and article.category in rule.categories:
            return rule, f"category {article.category}"
    return None


def _hierarchical(request: RoutingRequest, config: RoutingConfig) -> tuple[bool, list[Reason]]:
    """(whether the ticket needs authority, the reasons - including amounts not compared)."""
    rules, to = config.hierarchical, config.supervisor_team
    reasons, moved = [], False
    phrase = rules.refund.phrases.search(request.customer_text)
    if request.intent in rules.refund.intents:
        about = f"intent {request.intent}"
    else:
        about = f"the customer wrote {phrase.group(0)!r}" if phrase else ""
    for amount in request.amounts if about else ():
        currency = amount.currency.upper()
        limit = rules.refund.limits.get(currency)
        rule = f"hierarchical.refund.limits.{currency}"
        if limit is None:
            detail = f"refund amount {amount.describe()} not compared: no limit for {currency}"
            reasons.append(Reason("hierarchical", rule, detail))
        elif amount.value > limit:
            moved = True
            detail = (
                f"refund of {amount.describe()} ({about}) is above the "
                f"{Amount(limit, currency).describe()} limit: team {to}"
            )
            reasons.append(Reason("hierarchical", rule, detail))
    for approval in request.approvals:
        moved = True
        detail = f"{approval.describe()} (commerce/policy.yml): team {to}"
        reasons.append(Reason("hierarchical", "commerce.needs_approval", detail))
    for rule, pattern, what in (
        ("policy_exception_phrases", rules.policy_exception, "asks for a policy exception"),
        ("authority_phrases", rules.authority, "asks for someone with authority"),
    ):
        match = pattern.search(request.customer_text)
        if match:
            moved = True
            detail = f"the customer {what} ({match.group(0)!r}): team {to}"
            reasons.append(Reason("hierarchical", f"hierarchical.{rule}", detail))
    return moved, reasons


def _priority(
    request: RoutingRequest, config: RoutingConfig, incident: IncidentMatch | None
) -> tuple[Priority, list[Reason]]:
    rules = config.priority
    candidates: list[tuple[Priority, Reason]] = []
    tier = (request.customer_tier or "").lower()
    if tier in rules.tiers:
        detail = f"verified customer tier {tier}: priority {rules.tiers[tier]}"
        candidates.append((rules.tiers[tier], Reason("priority", f"priority.tiers.{tier}", detail)))
    reason_code = request.escalation_reason or ""
    if reason_code in rules.escalation_reasons:
        level = rules.escalation_reasons[reason_code]
        detail = f"escalation reason {reason_code}: priority {level}"
        rule = f"priority.escalation_reasons.{reason_code}"
        candidates.append((level, Reason("priority", rule, detail)))
    if incident is not None:
        detail = f"incident {incident.incident_id}: {incident.detail}: priority {rules.incident}"
        candidates.append((rules.incident, Reason("priority", "priority.incident", detail)))
    priority = max([rules.default, *(level for level, _ in candidates)], key=PRIORITIES.index)
    return priority, [reason for _, reason in candidates]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
