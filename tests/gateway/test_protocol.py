"""The gateway's pure core: commands, metadata, reply shapes, outbox notices, settings."""

from __future__ import annotations

import re

import pytest

from gateway import protocol
from gateway.settings import GatewaySettings
from handoff.privacy.identity import sign_customer
from handoff.vocabulary import CONVERSATION_STATES, OUTBOX_EVENTS
from service.settings import SettingsError

SECRET = "s" * 32


def test_only_offered_payloads_and_the_init_payload_stay_commands() -> None:
    offered = {"/affirm", '/choose_article{"article_id": "returns"}'}
    assert protocol.text_for_rasa("/affirm", offered, "/greet") == "/affirm"
    assert protocol.text_for_rasa(" /greet ", offered, "/greet") == "/greet"
    assert protocol.text_for_rasa("/restart", offered, "/greet") == "\u200b/restart"
    assert protocol.text_for_rasa("/affirm@1.0", offered, "/greet").startswith("\u200b")
    assert protocol.text_for_rasa("where is my order?", offered, "/greet") == "where is my order?"


def test_metadata_keeps_only_a_verified_customer() -> None:
    signed = sign_customer({"id": "c-9", "tier": "vip", "prior_escalations": 2}, SECRET)
    assert protocol.verified_metadata({"customer": signed, "x": 1}, SECRET) == {"customer": signed}
    tampered = {**signed, "tier": "platinum"}
    assert protocol.verified_metadata({"customer": tampered}, SECRET) == {}
    assert protocol.verified_metadata({"tier": "vip"}, SECRET) == {}
    assert protocol.verified_metadata("not a mapping", SECRET) == {}


def test_replies_take_the_shapes_of_rasas_socketio_channel() -> None:
    replies = [
        {"text": "One.\n\nTwo.", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {"image": "https://img.example/a.png"},
        {"text": "Plain."},
    ]
    assert protocol.bot_messages(replies) == [
        {"text": "One.", "quick_replies": []},
        {
            "text": "Two.",
            "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}],
        },
        {"attachment": {"type": "image", "payload": {"src": "https://img.example/a.png"}}},
        {"text": "Plain."},
    ]
    assert protocol.offered_payloads(replies) == ["/affirm"]


def test_outbox_entries_become_agent_messages_and_notices() -> None:
    joined = protocol.outbox_message({"type": "agent_joined", "agent_name": "Maya"})
    assert joined == {
        "text": "Maya joined the chat.",
        "metadata": {"sender": "system", "agent_name": "Maya", "event": "agent_joined"},
    }
    assert protocol.outbox_message({"type": "message", "text": ""}) is None
    assert protocol.outbox_message({"type": "something_new"}) is None


def test_a_requeued_chat_is_a_notice_that_names_who_stepped_away() -> None:
    shown = protocol.outbox_message({"type": "requeued", "agent_name": "Maya Okafor"})
    assert shown is not None
    assert (shown["metadata"]["sender"], shown["metadata"]["event"]) == ("system", "requeued")
    assert shown["text"].startswith("Maya Okafor had to step away, so your chat is back in the")


@pytest.mark.parametrize("kind", OUTBOX_EVENTS)
def test_every_kind_of_outbox_entry_reaches_the_customer(kind: str) -> None:
    shown = protocol.outbox_message({"type": kind, "text": "Hello", "agent_name": "Maya"})
    assert shown is not None and shown["text"] and shown["metadata"]["event"] == kind


def test_the_handoff_status_speaks_in_conversation_states() -> None:
    for state in CONVERSATION_STATES:
        assert protocol.handoff_status({"conversation_state": state})["state"] == state
    assigned = protocol.handoff_status({"conversation_state": "assigned"})  # a ticket status
    assert assigned["state"] == "bot"
    assert protocol.handoff_status({"state": "agent"})["state"] == "bot"  # the stored name
    assert protocol.handoff_status({})["state"] == "bot"


def test_settings_are_validated_once_with_every_problem_listed() -> None:
    with pytest.raises(SettingsError) as error:
        GatewaySettings.from_env(
            {
                "GATEWAY_PORT": "0",
                "RASA_URL": "ftp://x",
                "GATEWAY_ALLOWED_ORIGINS": "*,https://shop.example/path",
                "GATEWAY_INIT_PAYLOAD": "greet",
                "SERVICE_URL": "gopher://x",
            }
        )
    message = str(error.value)
    names = ("GATEWAY_PORT", "RASA_URL", "SERVICE_URL", "SERVICE_TOKEN", "CUSTOMER_SIGNING_SECRET")
    for name in (*names, "'*'", "/path", "greet"):
        assert name in message
    settings = GatewaySettings.from_env(
        {"CUSTOMER_SIGNING_SECRET": SECRET, "SERVICE_TOKEN": "service-token"}
    )
    assert settings.host == "127.0.0.1"
    assert settings.allowed_origins == ("http://127.0.0.1:8400", "http://localhost:8400")


@pytest.mark.parametrize(
    ("data", "answers"),
    [
        ({"csat": 5, "ces": 7}, {"csat": 5, "ces": 7}),
        ({"csat": 1}, {"csat": 1}),
        ({"ces": 1, "skipped": False}, {"ces": 1}),
        ({"csat": 4, "comment": "  Quick and kind.  "}, {"csat": 4, "comment": "Quick and kind."}),
        ({"csat": 4, "comment": "   "}, {"csat": 4}),
        ({"skipped": True}, {"skipped": True}),
    ],
)
def test_survey_answers_in_range_pass(data: dict[str, object], answers: dict[str, object]) -> None:
    assert protocol.parse_survey(data) == answers


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"csat": 0}, "csat must be a whole number from 1 to 5"),
        ({"csat": 6}, "csat must be a whole number from 1 to 5"),
        ({"ces": 0}, "ces must be a whole number from 1 to 7"),
        ({"ces": 8}, "ces must be a whole number from 1 to 7"),
        ({"csat": "5"}, "csat must be a whole number"),
        ({"csat": 4.5}, "csat must be a whole number"),
        ({"ces": True}, "ces must be a whole number"),
        ({}, "answer csat (1-5) or ces (1-7), or skip"),
        ({"comment": "only words"}, "answer csat (1-5) or ces (1-7), or skip"),
        ({"skipped": True, "ces": 3}, "a skipped survey has no answers"),
        ({"skipped": "yes"}, "skipped must be true or false"),
        ({"csat": 5, "rating": 5}, "unknown survey fields: rating"),
        ({"csat": 5, "comment": 7}, "comment must be text"),
        ({"csat": 5, "comment": "x" * 1001}, "comment can be at most 1000 characters"),
        ("five stars", "survey needs an object"),
        ([5, 7], "survey needs an object"),
    ],
)
def test_survey_answers_out_of_range_are_refused(data: object, says: str) -> None:
    with pytest.raises(protocol.InvalidSurvey, match=re.escape(says)):
        protocol.parse_survey(data)


def test_a_survey_request_is_made_only_for_an_open_survey() -> None:
    status = {"session": "2026-03-14T09:20:05.000Z", "open": True, "audience": "bot"}
    request = protocol.survey_request(status)
    assert request is not None
    assert (request["audience"], request["session"], request["comment"]) == (
        "bot",
        "2026-03-14T09:20:05.000Z",
        False,
    )
    by_name = {question["name"]: question for question in request["questions"]}
    assert by_name["csat"]["scale"] == [1, 5] and by_name["ces"]["scale"] == [1, 7]
    assert by_name["ces"]["text"] == "How easy was it to get your issue handled?"
    assert protocol.survey_request({**status, "audience": "agent"})["comment"] is True  # type: ignore[index]
    assert protocol.survey_request({**status, "open": False}) is None
    assert protocol.survey_request({**status, "audience": None}) is None


def test_the_helpful_payload_is_the_assistants_yes_that_helped_button() -> None:
    from actions import kb_messages
    from gateway.surveys import HELPFUL_PAYLOAD

    titles = {button["payload"]: button["title"] for button in kb_messages.FEEDBACK_BUTTONS}
    assert titles[HELPFUL_PAYLOAD] == "Yes, that helped"
