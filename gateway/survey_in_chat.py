"""The survey for widgets that ignore our socket.io events (rasa-webchat and other stock Rasa
widgets): the question as a chat message with one button per score, the answer as the button's
payload, the thanks as chat text.

- `question_message`: beside every `survey_request`, a `bot_uttered` notice asking the survey's
  first question (CSAT, in protocol.SURVEY_QUESTIONS' own wording) with buttons 1-5 whose
  payloads are `/survey{"csat": N}`; `metadata.also_sent_as` is `survey_request`, so our widget,
  which shows the survey itself, skips it.
- `answer_in`: a customer's message that is such a payload (a pressed button; typed, it is the
  same answer) is the survey's answer, not a message for Rasa: the JSON after `/survey`, or the
  text itself when it is not JSON (protocol.parse_survey then refuses it with the reason).
- `saved_message`: beside every `survey_saved`, the thanks (or "already recorded") as text.

Pure functions, no I/O (gateway/surveys.py sends them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gateway import notices
from gateway.protocol import SURVEY_QUESTIONS
from infra.json_text import MAX_DEPTH, nesting_depth

SURVEY_COMMAND = "/survey"
"""A score button's message: this, then the answers as JSON (`/survey{"csat":5}`)."""
SURVEY_REQUEST = "survey_request"
SURVEY_SAVED = "survey_saved"
THANKS = "Thank you: your answer is recorded."
ALREADY_RECORDED = "Your answer was already recorded. Thank you."
SKIPPED = "No problem. You can carry on here whenever you like."


def payload(answers: dict[str, Any]) -> str:
    """The message a score button sends: `/survey{"csat":5}`."""
    return SURVEY_COMMAND + json.dumps(answers, separators=(",", ":"))


def question_message() -> dict[str, Any]:
    """The CSAT question as a chat message with a button per score."""
    question: Mapping[str, Any] = SURVEY_QUESTIONS[0]
    low, high = question["scale"]  # the lowest and highest score
    text = (
        f"{question['text']} Choose from {low} ({question['low'].lower()})"
        f" to {high} ({question['high'].lower()})."
    )
    buttons = [
        {"content_type": "text", "title": str(score), "payload": payload({question["name"]: score})}
        for score in range(low, high + 1)
    ]
    ask = {"event": SURVEY_REQUEST, "also_sent_as": SURVEY_REQUEST}
    return notices.chat_message(text, sender="system", quick_replies=buttons, **ask)


def answer_in(text: str) -> object | None:
    """The survey answer a customer's message carries, or None when it is not one."""
    stripped = text.strip()
    if not stripped.startswith(SURVEY_COMMAND + "{"):
        return None
    body = stripped[len(SURVEY_COMMAND) :]
    if nesting_depth(body) > MAX_DEPTH:  # json would recurse that deep
        return stripped
    try:
        answer: object = json.loads(body)
    except ValueError:
        return stripped
    return answer


def saved_message(saved: dict[str, bool]) -> dict[str, Any]:
    """The `survey_saved` news as chat text."""
    if saved.get("already_recorded"):
        text = ALREADY_RECORDED
    elif saved.get("skipped"):
        text = SKIPPED
    else:
        text = THANKS
    return notices.system_notice(SURVEY_SAVED, text, also_sent_as=SURVEY_SAVED)
