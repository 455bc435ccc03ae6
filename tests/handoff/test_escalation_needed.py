"""The resolving agent's "a person was not needed" on the ticket record: set by the resolve
transition, kept through the stored form, True for records stored before the field existed."""

from __future__ import annotations

from handoff import lifecycle
from handoff.ticket_record import TicketRecord
from tests.support.handoff import HUB, OPEN_HOURS, record


def claimed() -> TicketRecord:
    return lifecycle.assign(record(HUB, "conv-1"), "priya", now=OPEN_HOURS, by="priya")


def test_resolve_keeps_what_the_agent_said() -> None:
    not_needed = lifecycle.resolve(
        claimed(), "priya", "answered", now=OPEN_HOURS, escalation_needed=False
    )
    needed = lifecycle.resolve(claimed(), "priya", "answered", now=OPEN_HOURS)

    assert (not_needed.escalation_needed, needed.escalation_needed) == (False, True)
    assert not_needed.ticket.status_history[-1].note == "resolved: answered"


def test_the_stored_form_keeps_it_and_older_records_read_as_needed() -> None:
    resolved = lifecycle.resolve(
        claimed(), "priya", "answered", now=OPEN_HOURS, escalation_needed=False
    )
    fields = resolved.to_fields()

    assert TicketRecord.from_fields(fields) == resolved
    older = {name: value for name, value in fields.items() if name != "escalation_needed"}
    assert TicketRecord.from_fields(older).escalation_needed is True
    assert resolved.to_json()["escalation_needed"] is False
