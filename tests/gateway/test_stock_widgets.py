"""What a stock Rasa web widget (rasa-webchat and the like) gets from the gateway: every message
for the customer in exactly the shape Rasa 3.6's socket.io channel sends (`{text}` or `{text,
quick_replies}`, our additions under `metadata`, which such widgets set aside), the queue
updates only when they change meaningfully, errors as chat text, and signed customer claims
taken from `customData` as Rasa's channel takes them. (A real rasa-webchat in a browser:
tests/e2e/test_browser_stock_widget.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway import notices, protocol
from gateway.notices import QueueOutlook
from handoff.privacy.identity import sign_customer
from handoff.vocabulary import OUTBOX_EVENTS
from tests.gateway.support import SECRET, wait_for

RENDERED_AS_TEXT = ({"text"}, {"text", "quick_replies"})
"""The keys a stock widget renders as a text message (rasa-webchat 1.0.1: exactly these, once
it has removed `metadata`); any other key makes it a custom component, dropped silently."""


def _shown_by_stock_widgets(message: dict[str, Any]) -> bool:
    return set(message) - {"metadata"} in RENDERED_AS_TEXT and bool(message["text"])


@pytest.mark.parametrize("kind", OUTBOX_EVENTS)
def test_everything_the_team_sends_renders_in_a_stock_widget(kind: str) -> None:
    buttons = '[{"title": "Yes", "payload": "/affirm"}]'
    entry = {"type": kind, "text": "Hello", "agent_name": "Maya", "buttons": buttons}
    message = protocol.outbox_message(entry)
    assert message is not None and _shown_by_stock_widgets(message)
    assert message["metadata"]["event"] == kind


def test_the_gateways_notices_render_in_a_stock_widget_and_say_where_ours_shows_them() -> None:
    trouble = notices.system_notice("trouble", "Sorry, something went wrong.")
    assert trouble == {
        "text": "Sorry, something went wrong.",
        "metadata": {"sender": "system", "event": "trouble"},
    }
    update = notices.system_notice("queue_update", "You're next.", notices.HANDOFF_STATUS)
    assert _shown_by_stock_widgets(update)
    assert update["metadata"]["also_sent_as"] == "handoff_status"


def test_rasas_own_answers_keep_rasas_shape() -> None:
    replies = [{"text": "Hi!\n\nHow can I help?", "buttons": [{"title": "A", "payload": "/a"}]}]
    assert protocol.bot_messages(replies) == [
        {"text": "Hi!", "quick_replies": []},
        {"text": "How can I help?", "quick_replies": [
            {"content_type": "text", "title": "A", "payload": "/a"}
        ]},
    ]  # fmt: skip


def test_an_error_becomes_a_sentence() -> None:
    assert notices.error_text("messages can be at most 5 characters") == (
        "Messages can be at most 5 characters."
    )


def _outlook(position: int, wait_seconds: int | None = 240) -> QueueOutlook:
    return QueueOutlook(position, wait_seconds, "about 4 minutes", "Billing")


def test_a_queue_update_is_due_for_a_new_place_or_a_wait_that_really_moved() -> None:
    told = _outlook(3, wait_seconds=600)
    assert notices.changed_meaningfully(None, told)  # nothing told yet
    assert notices.changed_meaningfully(told, _outlook(2, wait_seconds=600))
    assert notices.changed_meaningfully(told, _outlook(4, wait_seconds=600))
    transferred = QueueOutlook(3, 600, "about 10 minutes", "Orders, shipping and returns")
    assert notices.changed_meaningfully(told, transferred)
    assert not notices.changed_meaningfully(told, told)  # a refresh that confirms it
    assert not notices.changed_meaningfully(told, _outlook(3, wait_seconds=600 + 140))  # < 25 %
    assert notices.changed_meaningfully(told, _outlook(3, wait_seconds=600 + 150))
    short = _outlook(1, wait_seconds=60)
    assert not notices.changed_meaningfully(short, _outlook(1, wait_seconds=150))  # < 2 min
    assert not notices.changed_meaningfully(short, _outlook(1, wait_seconds=None))


def test_the_queue_update_reads_as_a_sentence() -> None:
    assert notices.queue_update_text(_outlook(2)) == (
        "You're now number 2 in the queue for Billing; the expected wait is about 4 minutes."
    )
    assert notices.queue_update_text(QueueOutlook(1, None, None, None)) == (
        "You're next in the queue."
    )


def test_only_a_queue_that_people_work_has_an_outlook() -> None:
    waiting = {
        "conversation_state": "waiting",
        "queue_position": 2,
        "expected_wait_seconds": 240,
        "expected_wait_text": "about 4 minutes",
        "team_name": "Billing",
        "offline": False,
    }
    assert notices.queue_outlook(waiting) == _outlook(2)
    assert notices.queue_outlook({**waiting, "offline": True}) is None  # a promise by a time
    assert notices.queue_outlook({**waiting, "conversation_state": "agent"}) is None
    assert notices.queue_outlook({**waiting, "queue_position": None}) is None
    assert notices.queue_outlook({**waiting, "queue_position": True}) is None
    assert QueueOutlook.from_json(_outlook(2).to_json()) == _outlook(2)
    assert QueueOutlook.from_json("{not json") is None
    assert QueueOutlook.from_json('{"position": 1}') is None


async def test_signed_claims_in_custom_data_reach_rasa_and_forged_ones_do_not(  # type: ignore[no-untyped-def]
    connect, rasa
) -> None:
    widget = await connect()
    await widget.start_session()
    signed = sign_customer({"id": "c-1", "tier": "vip"}, SECRET)
    await widget.say("hi", customData={"customer": signed, "language": "en"})
    forged = {"customer": {"id": "c-1", "tier": "vip", "signature": "0" * 64}}
    await widget.say("hi again", customData=forged)
    await widget.say("as JSON text", customData=json.dumps({"customer": signed}))
    await widget.say("both", metadata={}, customData={"customer": signed})  # metadata wins
    await wait_for(lambda: len(rasa.received) == 4)
    assert [body["metadata"] for body in rasa.received] == [
        {"customer": signed},
        {},
        {"customer": signed},
        {},
    ]


@pytest.mark.parametrize("settings_extra", [{"GATEWAY_MAX_MESSAGE_CHARS": "5"}])
async def test_a_refused_message_is_told_in_the_chat_too(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    await widget.say("far too long")
    await wait_for(lambda: widget.errors and widget.bot)
    assert widget.errors[0]["code"] == "message_too_long"
    assert widget.bot == [
        {
            "text": "Messages can be at most 5 characters.",
            "metadata": {
                "sender": "system",
                "event": "message_too_long",
                "also_sent_as": "gateway_error",
            },
        }
    ]
    assert rasa.received == []
