"""Help-desk events from ticket writes: which, in what order, with ids that never change."""

from __future__ import annotations

from datetime import timedelta

from handoff import lifecycle
from handoff.customer_messages import add_customer_message
from helpdesk.events import HelpdeskEvent, events_of
from tests.support.handoff import CARD, HUB, OPEN_HOURS, ROUTING, record

LATER = OPEN_HOURS + timedelta(minutes=3)


def test_a_new_ticket_is_one_created_event_with_summary_reason_and_masked_transcript() -> None:
    new = record(HUB, "conv-1")

    (created,) = events_of(None, new)

    assert (created.event_id, created.kind, created.teams) == (
        "tk-conv-1:created",
        "created",
        ("technical",),
    )
    facts = created.body["ticket"]
    assert facts["summary"] == new.ticket.summary
    assert (facts["escalation_reason"], facts["escalation_type"]) == (
        "explicit_request",
        "functional",
    )
    assert [turn["text"] for turn in created.body["transcript"]] == [
        turn.text for turn in new.ticket.transcript
    ]


def test_each_change_of_a_chat_is_its_own_event_in_order() -> None:
    waiting = record(HUB, "conv-1")
    written = add_customer_message(waiting, f"my card is {CARD}", now=LATER)
    claimed = lifecycle.assign(written, "priya", now=LATER, by="priya")
    replied = lifecycle.reply(claimed, "priya", "Let me check the hub", now=LATER)
    resolved = lifecycle.resolve(replied, "priya", "fixed", now=LATER)

    kinds = [
        [event.kind for event in events_of(old, new)]
        for old, new in (
            (waiting, written),
            (written, claimed),
            (claimed, replied),
            (replied, resolved),
        )
    ]

    assert kinds == [["message"], ["assigned"], ["message"], ["resolved"]]
    (customer,) = events_of(waiting, written)
    assert customer.body["message"]["speaker"] == "customer"
    assert CARD not in str(customer.body) and "[card ending 4242]" in str(customer.body)
    (agent,) = events_of(claimed, replied)
    assert agent.body["message"] | {"at": None} == {
        "speaker": "agent",
        "text": "Let me check the hub",
        "at": None,
        "agent_id": "priya",
    }
    assert events_of(claimed, replied)[0].event_id == events_of(claimed, replied)[0].event_id
    (closing,) = events_of(replied, resolved)
    assert (
        closing.body["note"] == "resolved: fixed" and closing.body["ticket"]["status"] == "resolved"
    )


def test_a_hand_back_and_a_transfer_reach_both_teams_targets() -> None:
    claimed = lifecycle.assign(record(HUB, "conv-1"), "priya", now=LATER, by="priya")
    moved = lifecycle.transfer(claimed, "priya", "billing", now=LATER, config=ROUTING)
    (assigned,) = events_of(claimed, moved)
    assert assigned.teams == ("billing", "technical")
    assert assigned.body["previous_team"] == "technical"
    assert assigned.body["ticket"]["agent_id"] is None

    handed = lifecycle.hand_back(claimed, "priya", now=LATER)
    assert [e.kind for e in events_of(claimed, handed)] == ["handed_back"]


def test_a_note_or_a_rating_is_no_event_and_an_event_survives_its_stream_entry() -> None:
    claimed = lifecycle.assign(record(HUB, "conv-1"), "priya", now=LATER, by="priya")
    noted = lifecycle.add_note(claimed, "priya", "private", now=LATER)
    assert events_of(claimed, noted) == []

    (created,) = events_of(None, record(HUB, "conv-2"))
    assert HelpdeskEvent.from_fields(created.to_fields()) == created
