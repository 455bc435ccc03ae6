"""The outcome record's JSON form: it reads back what it wrote, a record written before a field
existed still reads (with the field's default), and a malformed one is refused with the reason."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from outcomes.record import ActionCount, OutcomeFormatError, OutcomeRecord

OLDER = {
    # a contained session as the first outcome records were written: no `actions`
    "abandoned_at": None,
    "articles": ["refund-timeline"],
    "channel": "widget",
    "conversation_id": "conv-old",
    "customer_key": None,
    "ended_at": "2026-03-02T10:40:00.000Z",
    "escalation": None,
    "first_intent": "refund_request",
    "frustrated_without_offer": False,
    "last_answer_helpful": True,
    "misses": 0,
    "outcome": "contained",
    "session": "2026-03-02T10:00:00.000Z",
    "started_at": "2026-03-02T10:00:00.000Z",
    "survey": None,
    "ticket": None,
    "turns": 2,
    "version": 1,
}


def test_a_record_written_before_actions_were_counted_still_reads() -> None:
    record = OutcomeRecord.from_json(json.dumps(OLDER))

    assert (record.conversation_id, record.outcome, record.articles) == (
        "conv-old",
        "contained",
        ("refund-timeline",),
    )
    assert (record.actions, record.completed_actions, record.resolved_with_action) == (
        (),
        0,
        False,
    )


def test_actions_travel_through_json_as_counts_only() -> None:
    actions = (ActionCount("cancel", "done", 1), ActionCount("refund", "needs_approval", 2))
    record = replace(OutcomeRecord.from_json(json.dumps(OLDER)), actions=actions)

    text = record.to_json()

    assert json.loads(text)["actions"] == [
        {"action": "cancel", "count": 1, "result": "done"},
        {"action": "refund", "count": 2, "result": "needs_approval"},
    ]
    assert OutcomeRecord.from_json(text) == record
    assert (record.completed_actions, record.resolved_with_action) == (1, True)


@pytest.mark.parametrize(
    "actions",
    [
        None,
        "refund issued",
        [{"action": "refund", "result": "issued"}],
        [{"action": "refund", "result": "issued", "count": 0}],
        [{"action": "refund", "result": "issued", "count": True}],
        [{"action": "refund", "result": 3, "count": 1}],
    ],
    ids=["null", "text", "no count", "zero", "a boolean count", "a number for a result"],
)
def test_malformed_actions_are_refused_with_the_reason(actions: object) -> None:
    with pytest.raises(OutcomeFormatError, match="actions must be a list"):
        OutcomeRecord.from_json(json.dumps({**OLDER, "actions": actions}))
