"""The assistant's answer after a hand-back (outbox type `bot`) as the widget receives it."""

from __future__ import annotations

import json

from gateway import protocol


def test_a_bot_entry_is_a_bot_message_with_its_buttons_as_quick_replies() -> None:
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "broken"}]
    message = protocol.outbox_message(
        {"type": "bot", "text": "Anything else?", "buttons": json.dumps(buttons)}
    )
    assert message == {
        "text": "Anything else?",
        "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}],
        "metadata": {"sender": "bot", "event": "bot"},
    }


def test_a_bot_entry_without_text_or_with_unreadable_buttons() -> None:
    assert protocol.outbox_message({"type": "bot", "text": ""}) is None
    plain = protocol.outbox_message({"type": "bot", "text": "Hi", "buttons": "not json"})
    assert plain == {"text": "Hi", "metadata": {"sender": "bot", "event": "bot"}}
