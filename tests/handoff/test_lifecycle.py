"""Ticket transitions after the handoff: who may do what, and what each leaves behind."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from handoff import lifecycle
from handoff.customer_messages import add_customer_message
from handoff.routing.config import load_routing_config
from handoff.routing.rules import RoutingRequest, route
from handoff.routing.sla import Breach, TicketClock, re_escalate
from handoff.ticket.builder import build_ticket
from handoff.ticket.model import Routing
from handoff.ticket_record import TicketRecord
from infra.clock import parse_time
from tests.support.rasa_tracker import TrackerBuilder

CONFIG = load_routing_config()
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)  # Tuesday 10:00 ET, open
CARD = "4242 4242 4242 4242"


def waiting(text: str = "my hub is offline", intent: str = "report_problem") -> TicketRecord:
    tracker = TrackerBuilder().session_start().user(text, intent).tracker()
    ticket = build_ticket(
        tracker,
        None,
        ticket_id="tk-1",
        conversation_id="conv-1",
        channel="rest",
        customer=None,
        now=NOW,
        nlp=None,
    )
    decision = route(RoutingRequest(text, intent), CONFIG, NOW)
    routed = ticket.with_routing(Routing.from_dict(decision.to_dict()), at=NOW, by="router")
    return TicketRecord(ticket=routed, idempotency_key="request")


def claimed(agent: str = "priya") -> TicketRecord:
    return lifecycle.assign(waiting(), agent, now=NOW, by=agent)


def test_a_claimed_ticket_cannot_be_claimed_again() -> None:
    record = claimed()
    assert (record.status, record.agent_id, record.conversation_state) == (
        "assigned",
        "priya",
        "agent",
    )
    with pytest.raises(lifecycle.Conflict, match="already assigned by priya"):
        lifecycle.assign(record, "sam", now=NOW, by="sam")


def test_only_the_owner_replies_and_the_reply_is_masked() -> None:
    with pytest.raises(lifecycle.Conflict, match="claim it before you reply"):
        lifecycle.reply(waiting(), "priya", "hi", now=NOW)
    with pytest.raises(lifecycle.NotAllowed, match="assigned to priya"):
        lifecycle.reply(claimed(), "sam", "hi", now=NOW)

    first = lifecycle.reply(claimed(), "priya", f"is it {CARD}?", now=NOW)
    second = lifecycle.reply(first, "priya", "thanks", now=NOW + timedelta(minutes=3))

    assert first.ticket.transcript[-1].text == "is it [card ending 4242]?"
    assert second.first_response_at == "2026-03-10T14:00:00.000Z"
    assert [c.note for c in second.ticket.status_history[-2:]] == [
        "first reply to the customer",
        "reply to the customer",
    ]
    assert [member.split("|")[1] for member in second.sla_timers()] == ["resolution"]


def test_a_note_is_private_and_masked() -> None:
    noted = lifecycle.add_note(waiting(), "sam", f"card {CARD} again", now=NOW)
    assert noted.notes[0].text == "card [card ending 4242] again"
    assert noted.ticket.transcript == waiting().ticket.transcript
    assert noted.ticket.status_history[-1].by == "sam"


def test_transfer_moves_to_the_team_queue_and_says_why() -> None:
    moved = lifecycle.transfer(claimed(), "priya", "billing", now=NOW, config=CONFIG)
    assert (moved.status, moved.agent_id, moved.team) == ("waiting", None, "billing")
    assert moved.routing.escalation_type == "functional"
    assert moved.ticket.status_history[-1].note == (
        "transferred by priya from team technical to billing"
    )
    with pytest.raises(lifecycle.TransitionError, match="no team 'sales'"):
        lifecycle.transfer(claimed(), "priya", "sales", now=NOW, config=CONFIG)
    with pytest.raises(lifecycle.Conflict):
        lifecycle.transfer(claimed(), "priya", "technical", now=NOW, config=CONFIG)
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.transfer(claimed(), "sam", "billing", now=NOW, config=CONFIG)


def test_escalation_goes_to_supervisors_and_keeps_the_skill_team() -> None:
    up = lifecycle.escalate(claimed(), "priya", now=NOW, config=CONFIG, reason="wants credit")
    assert (up.team, up.routing.skill_team, up.routing.escalation_type) == (
        "supervisors",
        "technical",
        "hierarchical",
    )
    assert up.ticket.status_history[-1].note.endswith(": wants credit")  # type: ignore[union-attr]
    with pytest.raises(lifecycle.Conflict, match="already with the supervisors"):
        lifecycle.escalate(up, "dana", now=NOW, config=CONFIG)


def test_closing_stops_every_timer_and_sets_the_conversation_state() -> None:
    resolved = lifecycle.resolve(claimed(), "priya", "answered", now=NOW)
    back = lifecycle.hand_back(claimed(), "priya", now=NOW)
    cancelled = lifecycle.cancel(waiting(), now=NOW)
    assert [r.conversation_state for r in (resolved, back, cancelled)] == ["closed", "bot", "bot"]
    assert all(r.closed_at and r.sla_timers() == {} for r in (resolved, back, cancelled))
    assert cancelled.ticket.status_history[-1].by == "customer"
    with pytest.raises(lifecycle.Conflict, match="only a waiting one"):
        lifecycle.cancel(claimed(), now=NOW)


def test_a_breach_applies_once_and_restarts_the_clock_at_the_next_tier() -> None:
    record = waiting()
    (member, due), *_ = record.sla_timers().items()
    later = due + timedelta(minutes=1)
    clock = TicketClock(
        record.ticket_id,
        record.team,
        record.priority,
        due,
        parse_time(record.routing.resolution_due),  # type: ignore[arg-type]
    )
    change = re_escalate(clock, Breach(record.ticket_id, "first_response", due), CONFIG, later)

    breached = lifecycle.apply_breach(record, change, now=later)

    assert breached.fired_breaches == (member,)
    assert (breached.team, breached.priority) == ("supervisors", "high")
    assert member not in breached.sla_timers()
    assert breached.ticket.status_history[-1].by == "sla-watchdog"
    with pytest.raises(lifecycle.Conflict, match="already fired"):
        lifecycle.apply_breach(breached, change, now=later)


def test_an_incident_makes_a_ticket_urgent_without_pushing_its_deadlines_back() -> None:
    record = waiting()
    late = NOW + timedelta(minutes=1)
    joined = lifecycle.join_incident(
        record, "incident-tk-0", "3 customers", now=late, config=CONFIG
    )
    assert (joined.priority, joined.routing.incident_id) == ("urgent", "incident-tk-0")
    assert joined.routing.first_response_due == "2026-03-10T14:06:00.000Z"  # 5 min from now
    early = replace(
        record,
        ticket=record.ticket.with_routing(
            replace(record.routing, first_response_due="2026-03-10T14:02:00.000Z"), at=NOW, by="t"
        ),
    )
    kept = lifecycle.join_incident(early, "incident-tk-0", "3 customers", now=late, config=CONFIG)
    assert kept.routing.first_response_due == "2026-03-10T14:02:00.000Z"


def test_a_record_survives_its_redis_form() -> None:
    record = lifecycle.add_note(claimed(), "priya", "call back at 5", now=NOW)
    record = replace(record, offline=True, follow_up_by="2026-03-11T12:30:00.000Z")
    assert TicketRecord.from_fields(record.to_fields()) == record


def test_a_resolved_chat_is_rated_once_with_a_masked_comment() -> None:
    resolved = lifecycle.resolve(claimed(), "priya", "answered", now=NOW)
    rated = lifecycle.record_csat(resolved, 4, f"  quick! my card is {CARD}  ", now=NOW)

    assert rated.csat is not None and rated.csat.rating == 4
    assert rated.csat.comment is not None and CARD not in rated.csat.comment
    assert rated.csat.comment.startswith("quick! my card is")
    last = rated.ticket.status_history[-1]
    assert (last.status, last.by, last.note) == (
        "resolved",
        "customer",
        "the customer rated the chat 4/5 with a comment",
    )
    assert TicketRecord.from_fields(rated.to_fields()) == rated
    assert rated.to_json()["csat"]["rating"] == 4
    with pytest.raises(lifecycle.Conflict, match="already rated"):
        lifecycle.record_csat(rated, 5, None, now=NOW)


def test_only_a_resolved_chat_is_rated_and_the_rating_is_checked() -> None:
    with pytest.raises(lifecycle.Conflict, match="only a resolved chat"):
        lifecycle.record_csat(lifecycle.hand_back(claimed(), "priya", now=NOW), 5, None, now=NOW)
    resolved = lifecycle.resolve(claimed(), "priya", "answered", now=NOW)
    for bad in (0, 6, True):
        with pytest.raises(lifecycle.TransitionError, match="from 1 to 5"):
            lifecycle.record_csat(resolved, bad, None, now=NOW)
    with pytest.raises(lifecycle.TransitionError, match="at most 1000"):
        lifecycle.record_csat(resolved, 3, "x" * 1001, now=NOW)
    assert lifecycle.record_csat(resolved, 3, "   ", now=NOW).csat.comment is None  # type: ignore[union-attr]


def test_a_chat_waits_for_the_agents_reply_while_the_customer_spoke_last() -> None:
    record = claimed()
    assert record.awaits_agent_reply  # assigned, never answered
    answered = lifecycle.reply(record, "priya", "Let's reset it.", now=NOW)
    assert not answered.awaits_agent_reply
    again = add_customer_message(answered, "still blinking", now=NOW + timedelta(minutes=1))
    assert again.awaits_agent_reply


def test_an_absent_agents_unanswered_chat_goes_back_to_the_queue_with_why() -> None:
    why = "requeued: priya has been away for longer than 120 s"
    later = NOW + timedelta(minutes=5)
    requeued = lifecycle.requeue(claimed(), "priya", why, now=later)
    assert (requeued.status, requeued.agent_id, requeued.conversation_state) == (
        "waiting",
        None,
        "waiting",
    )
    change = requeued.ticket.status_history[-1]
    assert (change.status, change.by, change.note) == ("waiting", "assignment-watchdog", why)
    taken = lifecycle.assign(requeued, "sam", now=later, by="assistant", why="sam came online")
    assert taken.ticket.status_history[-1].note == "assigned to sam (sam came online)"
    assert taken.assigned_at == later

    answered = lifecycle.reply(claimed(), "priya", "On it.", now=NOW)
    with pytest.raises(lifecycle.Conflict, match="does not wait for priya's reply"):
        lifecycle.requeue(answered, "priya", why, now=later)
    with pytest.raises(lifecycle.Conflict, match="no longer sam's"):
        lifecycle.requeue(claimed(), "sam", why, now=later)
    with pytest.raises(lifecycle.Conflict):
        lifecycle.requeue(requeued, "priya", why, now=later)  # requeued already: once
