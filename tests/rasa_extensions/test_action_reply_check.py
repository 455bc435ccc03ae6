"""Action server replies are checked as strictly as Rasa checks them, without its per-call cost."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from rasa_extensions import action_reply_check

VALID: dict[str, Any] = {
    "events": [
        {"event": "slot", "name": "reply_outcome", "value": "answered", "timestamp": None},
        {"event": "bot", "text": "Our return window is 30 days.", "timestamp": None},
    ],
    "responses": [{"text": "Did that help?", "buttons": [{"title": "Yes", "payload": "/x"}]}],
}
INVALID: list[dict[str, Any]] = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "value": 1}]},  # a slot event without its name
    {"events": [], "responses": ["a string, not an object"]},
]


def remote_action() -> RemoteAction:
    return RemoteAction("action_answer_from_kb", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_the_compiled_check_is_what_rasa_uses() -> None:
    assert action_reply_check.install()
    assert isinstance(RemoteAction._validate_action_result, action_reply_check.ReplyValidator)


def test_a_valid_reply_passes() -> None:
    assert remote_action()._validate_action_result(VALID) is True


@pytest.mark.parametrize("reply", INVALID)
def test_an_invalid_reply_is_refused_with_the_error_rasa_would_raise(reply: dict) -> None:
    with pytest.raises(ValidationError) as ours:
        remote_action()._validate_action_result(reply)
    with pytest.raises(ValidationError) as rasas:
        action_reply_check._RASA_CHECK(remote_action(), reply)

    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_installing_twice_changes_nothing() -> None:
    installed = RemoteAction._validate_action_result

    assert action_reply_check.install()
    assert RemoteAction._validate_action_result is installed
