"""Routing as a support team notices it: who gets the ticket, how urgent, by when, and why."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from handoff.routing.config import (
    DEFAULT_ROUTING_PATH,
    RoutingConfigError,
    load_routing_config,
    parse_routing_config,
)
from handoff.routing.incidents import Escalation, detect_incident
from handoff.routing.rules import Amount, ArticleTried, PendingApproval, RoutingRequest, route

ROOT = Path(__file__).resolve().parents[3]
ET = ZoneInfo("America/New_York")
TUESDAY_10AM = datetime(2026, 3, 10, 10, 0, tzinfo=ET)
CONFIG = load_routing_config()

PAYMENT_DECLINED = ArticleTried("payment-declined", "payments-billing", ("card declined",))
HUB_OFFLINE = ArticleTried("hub-offline", "devices", ("hub offline", "reset hub"))
CAMERA_OFFLINE = ArticleTried("camera-offline", "devices", ("camera not working",))
LATE_PACKAGE = ArticleTried("late-or-missing-package", "orders-delivery", ("package late",))
REFUND_TIMELINE = ArticleTried("refund-timeline", "returns-refunds", ("refund",))
CANCEL_PLUS = ArticleTried("cancel-plus", "hearthly-plus", ("plus refund",))


def shipped_document() -> dict:
    return yaml.safe_load(DEFAULT_ROUTING_PATH.read_text(encoding="utf-8"))


def config_with(change, tmp_path: Path):  # type: ignore[no-untyped-def]
    document = copy.deepcopy(shipped_document())
    change(document)
    path = tmp_path / "routing.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_routing_config(path)


def refund(amount: str, currency: str = "USD", text: str = "I want a refund") -> RoutingRequest:
    return RoutingRequest(
        customer_text=text,
        intent="refund_request",
        articles=(REFUND_TIMELINE,),
        amounts=(Amount(Decimal(amount), currency),),
        escalation_reason="unresolved",
    )


@pytest.mark.parametrize(
    ("request_", "team"),
    [
        (RoutingRequest("my card was declined", "ask_question", (PAYMENT_DECLINED,)), "billing"),
        (RoutingRequest("hub is blinking amber", "report_problem", (HUB_OFFLINE,)), "technical"),
        (RoutingRequest("where is my parcel", "ask_question", (LATE_PACKAGE,)), "orders"),
        (RoutingRequest("where is HL-482913?", "order_status"), "orders"),
        (RoutingRequest("the app crashes", "report_problem"), "technical"),
        (RoutingRequest("cancel my plus", "ask_question", (CANCEL_PLUS,)), "billing"),
    ],
)
def test_functional_routing_sends_the_topic_to_the_team_with_the_skill(
    request_: RoutingRequest, team: str
) -> None:
    decision = route(request_, CONFIG, TUESDAY_10AM)
    assert decision.team == team
    assert decision.escalation_type == "functional"
    assert any(r.kind == "functional" and team in r.detail for r in decision.reasons)


def test_articles_tried_outweigh_a_generic_intent_and_vote() -> None:
    request = RoutingRequest(
        "nothing works", "report_problem", (PAYMENT_DECLINED, HUB_OFFLINE, CAMERA_OFFLINE)
    )
    decision = route(request, CONFIG, TUESDAY_10AM)
    assert decision.team == "technical"
    (functional,) = [r for r in decision.reasons if r.kind == "functional"]
    assert "hub-offline" in functional.detail and "camera-offline" in functional.detail
    assert "outvoted: billing 1" in functional.detail


def test_no_matching_rule_goes_to_the_default_team_as_an_automated_escalation() -> None:
    request = RoutingRequest("hmm", "ask_question", escalation_reason="unresolved")
    decision = route(request, CONFIG, TUESDAY_10AM)
    assert decision.team == "general"
    assert decision.escalation_type == "automated"
    assert [r.rule for r in decision.reasons] == ["detection.unresolved", "default_team"]


def test_a_refund_above_the_limit_goes_to_the_supervisor_queue() -> None:
    decision = route(refund("480.00"), CONFIG, TUESDAY_10AM)
    assert decision.team == "supervisors"
    assert decision.skill_team == "orders"  # a supervisor can hand it back
    assert decision.escalation_type == "hierarchical"
    (why,) = [r for r in decision.reasons if r.kind == "hierarchical"]
    assert why.detail == (
        "refund of USD 480.00 (intent refund_request) is above the USD 250.00 limit: "
        "team supervisors"
    )


def test_a_refund_at_or_under_the_limit_stays_with_the_team() -> None:
    for amount in ("250.00", "89.99"):
        decision = route(refund(amount), CONFIG, TUESDAY_10AM)
        assert (decision.team, decision.escalation_type) == ("orders", "functional")


def test_refund_wording_counts_and_other_amounts_do_not() -> None:
    worded = RoutingRequest(
        "I just want my money back, all $300",
        intent="ask_question",
        amounts=(Amount(Decimal("300"), "USD"),),
    )
    assert route(worded, CONFIG, TUESDAY_10AM).team == "supervisors"
    order_total = RoutingRequest(
        "where is my $300 order", intent="order_status", amounts=(Amount(Decimal("300"), "USD"),)
    )
    assert route(order_total, CONFIG, TUESDAY_10AM).team == "orders"


def test_currency_limits_apply_per_currency_and_unknown_ones_are_reported() -> None:
    assert route(refund("300", "CAD"), CONFIG, TUESDAY_10AM).team == "orders"
    assert route(refund("341", "CAD"), CONFIG, TUESDAY_10AM).team == "supervisors"
    euros = route(refund("9000", "EUR"), CONFIG, TUESDAY_10AM)
    assert euros.team == "orders"
    assert any("not compared: no limit for EUR" in r.detail for r in euros.reasons)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("I want to speak to your manager", "hierarchical.authority_phrases"),
        ("Get me a SUPERVISOR now", "hierarchical.authority_phrases"),
        ("can you make an exception, it's day 35", "hierarchical.policy_exception_phrases"),
        ("I know I'm outside the return window but", "hierarchical.policy_exception_phrases"),
    ],
)
def test_authority_and_policy_exceptions_go_to_supervisors(text: str, rule: str) -> None:
    decision = route(RoutingRequest(text, "request_human"), CONFIG, TUESDAY_10AM)
    assert decision.team == "supervisors"
    assert rule in [r.rule for r in decision.reasons]


def test_words_inside_other_words_do_not_trigger_authority() -> None:
    request = RoutingRequest("my camera mismanagement app", "report_problem", (CAMERA_OFFLINE,))
    assert route(request, CONFIG, TUESDAY_10AM).team == "technical"


def test_a_verified_vip_gets_high_priority_and_a_shorter_sla() -> None:
    regular = route(
        RoutingRequest("card declined", "ask_question", (PAYMENT_DECLINED,)), CONFIG, TUESDAY_10AM
    )
    vip = route(
        RoutingRequest("card declined", "ask_question", (PAYMENT_DECLINED,), customer_tier="VIP"),
        CONFIG,
        TUESDAY_10AM,
    )
    assert (regular.priority, vip.priority) == ("normal", "high")
    assert vip.escalation_type == "priority"
    assert vip.team == "billing"
    assert vip.sla.first_response_due == TUESDAY_10AM + timedelta(minutes=15)
    assert regular.sla.first_response_due == TUESDAY_10AM + timedelta(minutes=30)
    assert "priority.tiers.vip" in [r.rule for r in vip.reasons]


def test_a_policy_escalation_is_high_priority() -> None:
    request = RoutingRequest("it smells of burning", "report_problem", escalation_reason="policy")
    decision = route(request, CONFIG, TUESDAY_10AM)
    assert decision.priority == "high"
    assert "priority.escalation_reasons.policy" in [r.rule for r in decision.reasons]


def test_an_incident_makes_the_ticket_urgent_and_links_it() -> None:
    def escalation(n: int, minutes: int) -> Escalation:
        at = TUESDAY_10AM + timedelta(minutes=minutes)
        return Escalation(f"T-{n}", f"C-{n}", at, "hub offline again", "hub-offline")

    match = detect_incident(
        escalation(3, 20), [escalation(1, 0), escalation(2, 10)], CONFIG.incidents
    )
    request = RoutingRequest("hub offline again", "report_problem", (HUB_OFFLINE,))
    decision = route(request, CONFIG, TUESDAY_10AM, incident=match)
    assert decision.priority == "urgent"
    assert decision.escalation_type == "priority"
    assert decision.incident_id == "incident-T-1"
    assert decision.sla.first_response_due == TUESDAY_10AM + timedelta(minutes=5)


def test_hierarchical_wins_the_type_but_every_rule_is_recorded() -> None:
    request = RoutingRequest(
        "get me a manager, I want my refund of $600",
        "refund_request",
        (REFUND_TIMELINE,),
        (Amount(Decimal("600"), "USD"),),
        customer_tier="vip",
        escalation_reason="explicit_request",
    )
    decision = route(request, CONFIG, TUESDAY_10AM)
    assert (decision.team, decision.escalation_type, decision.priority) == (
        "supervisors",
        "hierarchical",
        "high",
    )
    assert [r.rule for r in decision.reasons] == [
        "detection.explicit_request",
        "functional.articles",
        "hierarchical.refund.limits.USD",
        "hierarchical.authority_phrases",
        "priority.tiers.vip",
    ]


def test_after_hours_the_sla_starts_when_the_team_opens() -> None:
    tuesday_night = datetime(2026, 3, 10, 22, 0, tzinfo=ET)
    decision = route(RoutingRequest("where is it", "order_status"), CONFIG, tuesday_night)
    assert decision.sla.first_response_due == datetime(2026, 3, 11, 8, 30, tzinfo=ET)


def test_the_decision_serialises_with_the_ticket_routing_fields() -> None:
    data = route(refund("480.00"), CONFIG, TUESDAY_10AM).to_dict()
    assert data["team"] == "supervisors"
    assert data["first_response_due"] == "2026-03-10T14:30:00.000Z"
    assert data["reasons"][-1].startswith("hierarchical: refund of USD 480.00")
    assert set(data) >= {"escalation_type", "priority", "resolution_due", "incident_id"}


def test_changed_values_in_routing_yml_change_the_route(tmp_path: Path) -> None:
    def lower_limit(document: dict) -> None:
        document["hierarchical"]["refund"]["limits"]["USD"] = "50.00"

    def devices_to_general(document: dict) -> None:
        document["functional"][2]["categories"] = ["warranty"]

    def vip_urgent(document: dict) -> None:
        document["priority"]["tiers"]["vip"] = "urgent"

    assert route(refund("89.99"), config_with(lower_limit, tmp_path), TUESDAY_10AM).team == (
        "supervisors"
    )
    hub = RoutingRequest("hub offline", "ask_question", (HUB_OFFLINE,))
    assert route(hub, config_with(devices_to_general, tmp_path), TUESDAY_10AM).team == "general"
    vip = RoutingRequest("hi", "ask_question", customer_tier="vip")
    assert route(vip, config_with(vip_urgent, tmp_path), TUESDAY_10AM).priority == "urgent"


def test_a_tag_rule_outranks_a_category_rule(tmp_path: Path) -> None:
    def battery_to_orders(document: dict) -> None:
        document["functional"][1]["tags"] = ["doorbell battery"]

    doorbell = ArticleTried("doorbell-chime", "devices", ("doorbell battery", "sentinel doorbell"))
    request = RoutingRequest("battery dead", "report_problem", (doorbell,))
    assert route(request, CONFIG, TUESDAY_10AM).team == "technical"
    assert route(request, config_with(battery_to_orders, tmp_path), TUESDAY_10AM).team == "orders"


def test_every_problem_in_routing_yml_is_reported_at_once() -> None:
    document = shipped_document()
    document["default_team"] = "nobody"
    document["teams"]["billing"]["schedule"] = "night-shift"
    document["schedules"]["support"]["hours"]["monday"] = "20:00-08:00"
    document["functional"][0]["team"] = "finance"
    document["hierarchical"]["refund"]["limits"]["usd"] = "10"
    document["priority"]["tiers"]["vip"] = "critical"
    document["incidents"]["min_customers"] = 1
    document["sla"]["policies"]["urgent"]["first_response"] = "soon"
    document["sla"]["clock"] = "sometimes"
    document["sla"]["surprise"] = True
    with pytest.raises(RoutingConfigError) as raised:
        parse_routing_config(document)
    message = str(raised.value)
    for expected in (
        "default_team='nobody'",
        "teams.billing.schedule='night-shift'",
        "schedules.support.hours.monday: '20:00-08:00' closes before it opens",
        "functional[0].team='finance'",
        "hierarchical.refund.limits.usd",
        "priority.tiers.vip='critical'",
        "incidents.min_customers=1",
        "sla.policies.urgent.first_response='soon'",
        "sla.clock='sometimes'",
        "sla.surprise is not a known setting",
    ):
        assert expected in message
    assert message.count("\n  - ") == 10


def test_routing_yml_names_only_real_intents_categories_and_tags() -> None:
    intents = set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        intents.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("intents") or [])
    categories, tags = set(), set()
    for path in (ROOT / "knowledge_base" / "articles").glob("*.md"):
        front = re.search(r"^---\n(.*?)\n---", path.read_text(encoding="utf-8"), re.S)
        assert front, path
        meta = yaml.safe_load(front.group(1))
        categories.add(meta["category"])
        tags.update(tag.lower() for tag in meta.get("tags") or [])
    for rule in CONFIG.functional:
        assert rule.intents <= intents, rule
        assert rule.categories <= categories, rule
        assert rule.tags <= tags, rule
    assert CONFIG.hierarchical.refund.intents <= intents
    unrouted = categories - set().union(*(rule.categories for rule in CONFIG.functional))
    assert unrouted == {"contact"}  # "how do I reach a person" needs no specialist


def test_a_refund_the_assistant_may_not_approve_goes_to_the_supervisors_with_the_policy_check() -> (
    None
):
    approval = PendingApproval(
        "refund", "HL-100201", Amount(Decimal("240.00"), "USD"), Amount(Decimal("100.00"), "USD")
    )
    request = RoutingRequest("yes please", intent="refund_request", approvals=(approval,))
    decision = route(request, CONFIG, TUESDAY_10AM)
    assert (decision.team, decision.skill_team) == ("supervisors", "orders")
    assert decision.escalation_type == "hierarchical"
    (why,) = [r for r in decision.reasons if r.rule == "commerce.needs_approval"]
    assert why.detail == (
        "refund of USD 240.00 on order HL-100201 is above the assistant's USD 100.00 limit "
        "(commerce/policy.yml): team supervisors"
    )
