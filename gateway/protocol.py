"""The pure core of the gateway: what reaches Rasa from a customer's message, and what the
widget gets from Rasa's answer, in the shapes of Rasa 3.6's own socket.io channel.

No I/O here: the server (gateway/server.py) calls these with what it read from Redis.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from gateway.notices import chat_message
from handoff.privacy.identity import InvalidIdentity, verify_customer
from handoff.vocabulary import CONVERSATION_STATES, MAX_CSAT_COMMENT_CHARS
from infra.json_text import MAX_DEPTH, nesting_depth
from outcomes.surveys import CES_SCALE, CSAT_SCALE

# Rasa unpacks a text starting with "/" (after str.strip) as an intent with entities
# (RegexMessageHandler). A zero-width space in front keeps it plain text for NLU; it is not
# whitespace to str.strip, and invisible in transcripts.
PLAIN_TEXT_GUARD = "\u200b"
COMMAND_PREFIX = "/"


def text_for_rasa(text: str, offered_payloads: Collection[str], init_payload: str) -> str:
    """The message as Rasa must see it: a payload the bot offered in its last reply (or the
    configured init payload) passes as a command; any other text starting with "/" is plain
    text ("/restart" does not restart the conversation)."""
    stripped = text.strip()
    if not stripped.startswith(COMMAND_PREFIX):
        return stripped
    if stripped in offered_payloads or (init_payload and stripped == init_payload):
        return stripped
    return PLAIN_TEXT_GUARD + stripped


def widget_metadata(message: Mapping[str, Any]) -> object:
    """The metadata a widget sent with `user_uttered`: `metadata` (our widget, and Rasa's
    channel by default), else `customData` (what rasa-webchat and widgets like it send; Rasa
    3.6's channel reads it too when its `metadata_key` is set to it)."""
    if "metadata" in message:
        return message["metadata"]
    return message.get("customData")


def verified_metadata(metadata: object, signing_secret: str) -> dict[str, Any]:
    """Only verified customer claims reach Rasa; every other metadata key is dropped. Rasa's
    channel accepts the metadata as a JSON string too (unreadable: none)."""
    metadata = _json_object(metadata)
    if isinstance(metadata, Mapping) and isinstance(metadata.get("customer"), Mapping):
        try:
            verify_customer(metadata, signing_secret)
        except InvalidIdentity:
            return {}
        claims = metadata["customer"]
        return {
            "customer": {
                key: claims[key]
                for key in ("id", "tier", "prior_escalations", "signature")
                if claims.get(key) is not None
            }
        }
    return {}


def _json_object(metadata: object) -> object:
    if isinstance(metadata, str):
        if nesting_depth(metadata) > MAX_DEPTH:
            return {}
        try:
            return json.loads(metadata)
        except ValueError:
            return {}
    return metadata


def bot_messages(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rasa REST replies as the `bot_uttered` payloads its socket.io channel emits: text split
    on blank lines, buttons as `quick_replies` on the last part, images and attachments."""
    messages: list[dict[str, Any]] = []
    for reply in replies:
        text = reply.get("text")
        buttons = reply.get("buttons") or []
        if isinstance(text, str) and text.strip():
            parts = [part for part in text.strip().split("\n\n")] or [text]
            if buttons:
                part_messages: list[dict[str, Any]] = [
                    {"text": part, "quick_replies": []} for part in parts
                ]
                part_messages[-1]["quick_replies"] = [
                    {"content_type": "text", "title": button["title"], "payload": button["payload"]}
                    for button in buttons
                    if isinstance(button, Mapping) and "title" in button and "payload" in button
                ]
                messages.extend(part_messages)
            else:
                messages.extend({"text": part} for part in parts)
        if reply.get("image"):
            messages.append({"attachment": {"type": "image", "payload": {"src": reply["image"]}}})
        if reply.get("attachment"):
            messages.append({"attachment": reply["attachment"]})
        custom = reply.get("custom")
        if isinstance(custom, Mapping):
            messages.append(dict(custom.get("data", custom)))
    return messages


def offered_payloads(replies: list[dict[str, Any]]) -> list[str]:
    """The button payloads of the bot's reply: the only commands accepted on the next turn."""
    return [
        str(button["payload"])
        for reply in replies
        for button in reply.get("buttons") or []
        if isinstance(button, Mapping) and isinstance(button.get("payload"), str)
    ]


def outbox_message(entry: Mapping[str, str]) -> dict[str, Any] | None:
    """An entry of the handoff outbox (what the team sends the customer) as a `bot_uttered`
    payload every widget shows (gateway/notices.py): the text, with `sender` "agent" (a
    person's message), "system" (a notice) or "bot" (the assistant after a hand-back) and
    `event` the outbox kind in its `metadata`."""
    kind = entry.get("type", "")
    name = entry.get("agent_name") or "An agent"
    text = entry.get("text", "")
    if kind in ("bot", "message") and not text:
        return None
    if kind == "bot":  # the assistant's answer after a hand-back (service/desk/rasa_hand_back.py)
        quick_replies = _quick_replies(entry.get("buttons") or "[]")
        return chat_message(text, sender="bot", event=kind, quick_replies=quick_replies)
    if kind == "message":
        return chat_message(text, sender="agent", event=kind, agent_name=name)
    notices = {
        "agent_joined": f"{name} joined the chat.",
        "transferred": "Your chat was passed to a colleague with the right skills; "
        "someone will be with you shortly.",
        "escalated": "Your chat was passed to a supervisor; someone will be with you shortly.",
        "resolved": f"{name} closed the chat. Thanks for contacting us!",
        "handed_back": f"{name} handed the chat back to the assistant.",
        "requeued": f"{name} had to step away, so your chat is back in the queue; the next "
        "free person will pick it up and can see the whole conversation.",
    }
    notice = notices.get(kind)
    if notice is None:
        return None
    return chat_message(notice, sender="system", event=kind, agent_name=name)


def _quick_replies(buttons_json: str) -> list[dict[str, str]]:
    """The outbox's buttons (JSON) as Rasa's socket.io channel sends them; unreadable: none."""
    try:
        buttons = json.loads(buttons_json)
    except ValueError:
        return []
    return [
        {"content_type": "text", "title": str(button["title"]), "payload": str(button["payload"])}
        for button in (buttons if isinstance(buttons, list) else [])
        if isinstance(button, Mapping) and "title" in button and "payload" in button
    ]


class InvalidSurvey(ValueError):
    """A `survey` event the gateway refuses (the message says why)."""


def handoff_status(conversation: Mapping[str, Any]) -> dict[str, Any]:
    """The `handoff_status` payload from the service's conversation answer (its
    `conversation_state`, and the queue outlook when the service could give one): who has the
    chat and, while waiting, the queue position and expected wait. The payload keeps the name
    `state`: the widget stores it in the browser."""
    state = conversation.get("conversation_state")
    if state not in CONVERSATION_STATES:
        state = "bot"
    agent = conversation.get("agent")
    agent_name = agent.get("name") if isinstance(agent, Mapping) else None
    waiting = state == "waiting"
    position = conversation.get("queue_position")
    return {
        "state": state,
        "position": position if waiting and isinstance(position, int) else None,
        "expected_wait": _text_or_none(conversation.get("expected_wait_text")) if waiting else None,
        "team_name": _text_or_none(conversation.get("team_name")),
        "agent_name": _text_or_none(agent_name) if state == "agent" else None,
        "message": _text_or_none(conversation.get("message")) if state != "bot" else None,
    }


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


SURVEY_QUESTIONS = (
    {
        "name": "csat",
        "text": "How satisfied are you with the help you got?",
        "scale": list(CSAT_SCALE),
        "low": "Very unsatisfied",
        "high": "Very satisfied",
    },
    {
        "name": "ces",
        "text": "How easy was it to get your issue handled?",
        "scale": list(CES_SCALE),
        "low": "Very difficult",
        "high": "Very easy",
    },
)
"""The widget's survey: CSAT and customer effort (CES), each with its scale and wording."""
SURVEY_FIELDS = ("csat", "ces", "skipped", "comment")


def survey_request(status: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `survey_request` payload for the service's survey status, or None when the session
    has no survey open (or it was answered)."""
    audience = status.get("audience")
    session = status.get("session")
    if not status.get("open") or audience not in ("bot", "agent") or not isinstance(session, str):
        return None
    return {
        "session": session,
        "audience": audience,
        "questions": [dict(question) for question in SURVEY_QUESTIONS],
        "comment": audience == "agent",
    }


def parse_survey(data: object) -> dict[str, Any]:
    """The answers of a `survey` event as the service takes them: csat 1-5 and/or ces 1-7 (a
    comment of at most 1000 characters may go with them), or `skipped: true` alone."""
    if not isinstance(data, Mapping):
        raise InvalidSurvey(
            'survey needs an object like {"csat": 5, "ces": 6} or {"skipped": true}'
        )
    unknown = sorted(str(name)[:40] for name in data if name not in SURVEY_FIELDS)
    if unknown:
        raise InvalidSurvey(f"unknown survey fields: {', '.join(unknown)}")
    skipped = data.get("skipped", False)
    if not isinstance(skipped, bool):
        raise InvalidSurvey("skipped must be true or false")
    answers: dict[str, Any] = {}
    for name, (low, high) in (("csat", CSAT_SCALE), ("ces", CES_SCALE)):
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidSurvey(f"{name} must be a whole number from {low} to {high}")
        answers[name] = value
    comment = data.get("comment")
    if comment is not None:
        if not isinstance(comment, str):
            raise InvalidSurvey("comment must be text")
        if len(comment) > MAX_CSAT_COMMENT_CHARS:
            raise InvalidSurvey(f"comment can be at most {MAX_CSAT_COMMENT_CHARS} characters")
        if comment.strip():
            answers["comment"] = comment.strip()
    if skipped:
        if answers:
            raise InvalidSurvey("a skipped survey has no answers")
        return {"skipped": True}
    if "csat" not in answers and "ces" not in answers:
        raise InvalidSurvey("answer csat (1-5) or ces (1-7), or skip the survey")
    return answers


def quick_reply_payloads(message: Mapping[str, Any]) -> list[str]:
    """The payloads of a `bot_uttered` message's quick replies."""
    return [
        str(reply["payload"])
        for reply in message.get("quick_replies") or []
        if isinstance(reply, Mapping) and isinstance(reply.get("payload"), str)
    ]
