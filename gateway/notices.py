"""What the customer reads in the chat besides Rasa's answers, in a shape every Rasa web widget
shows: the team's messages, the gateway's own notices, the queue updates of a waiting customer
and the errors a customer must see.

Each is a `bot_uttered` whose visible part is exactly what Rasa 3.6's socket.io channel sends,
`{"text"}` or `{"text", "quick_replies"}`: a stock widget (rasa-webchat and the like) renders a
message as text only when it has no other key. What our own widget needs besides travels in
`metadata`, the key stock widgets set aside (rasa-webchat 1.0.1 removes it before choosing how
to render a message, and reads only its own keys from it: `linkTarget`, `userInput`,
`forceOpen`, ...; none of ours):

    {"text": "Maya Okafor joined the chat.",
     "metadata": {"sender": "system", "event": "agent_joined", "agent_name": "Maya Okafor"}}

- `sender`: "agent" (a person's message), "system" (a notice) or "bot" (the assistant's answer
  after a hand-back); Rasa's own answers carry no metadata and are the assistant's.
- `event`: what happened, the outbox kind (`handoff.vocabulary.OUTBOX_EVENTS`) or the notice's
  name (`trouble`, `rate_limited`, `queue_update`, ...).
- `agent_name`: the person, on their messages and on notices about them.
- `also_sent_as`: the socket.io event that carries the same news for widgets that know it
  (`handoff_status`, `gateway_error`, `survey_request`, `survey_saved`): our widget shows that
  event instead and skips this text, which is there for the widgets that ignore the event.

Pure functions, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

GATEWAY_ERROR = "gateway_error"
HANDOFF_STATUS = "handoff_status"
QUEUE_UPDATE = "queue_update"
ERRORS_IN_CHAT = frozenset({"message_too_long", "unavailable", "session_ended"})
"""`gateway_error` codes a customer of any widget must read, so they come as chat text too
(`rate_limited` has its own once-per-burst notice, gateway/rate_limits.py; the other codes
answer events only our widget sends, or a client that broke the protocol)."""
CANCEL_PAYLOAD = "/cancel_handoff"
"""What the "Cancel my request" button of the notices for stock widgets sends: the gateway takes
that message as the `cancel_handoff` event (gateway/handoff_events.py), not as chat text."""
CANCEL_REPLY = {"content_type": "text", "title": "Cancel my request", "payload": CANCEL_PAYLOAD}
CANCEL_OFFER = "If you no longer need a person, you can cancel the request."
MIN_WAIT_CHANGE_SECONDS = 120
MIN_WAIT_CHANGE_SHARE = 0.25


def chat_message(
    text: str,
    *,
    sender: str,
    event: str,
    agent_name: str | None = None,
    quick_replies: list[dict[str, str]] | None = None,
    also_sent_as: str | None = None,
) -> dict[str, Any]:
    """A `bot_uttered` payload: the text (and quick replies) as Rasa sends them, the rest in
    `metadata`."""
    metadata: dict[str, str] = {"sender": sender, "event": event}
    if agent_name is not None:
        metadata["agent_name"] = agent_name
    if also_sent_as is not None:
        metadata["also_sent_as"] = also_sent_as
    message: dict[str, Any] = {"text": text}
    if quick_replies:
        message["quick_replies"] = quick_replies
    message["metadata"] = metadata
    return message


def system_notice(
    event: str,
    text: str,
    also_sent_as: str | None = None,
    quick_replies: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A notice from the gateway itself, shaped like the outbox's notices."""
    return chat_message(
        text, sender="system", event=event, also_sent_as=also_sent_as, quick_replies=quick_replies
    )


class ErrorSender(Protocol):
    """Sends a `gateway_error` to one socket; `in_chat` (an answer to something the customer
    sent as a chat message, such as a stock widget's button) also as chat text."""

    async def __call__(
        self, sid: str, code: str, message: str, *, in_chat: bool = False
    ) -> None: ...


def error_text(message: str) -> str:
    """A `gateway_error` message ("messages can be at most 1000 characters") as a sentence."""
    sentence = message[:1].upper() + message[1:]
    return sentence if sentence.endswith(".") else sentence + "."


@dataclass(frozen=True)
class QueueOutlook:
    """What a waiting customer was told, or is about to be told, about the queue."""

    position: int
    wait_seconds: int | None
    wait_text: str | None
    team_name: str | None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> QueueOutlook | None:
        try:
            fields = json.loads(text) if text else None
            return cls(**fields) if isinstance(fields, dict) else None
        except (ValueError, TypeError):
            return None


def queue_outlook(conversation: Mapping[str, Any]) -> QueueOutlook | None:
    """The queue outlook of the service's conversation answer: None unless the customer waits
    in a queue that people are working (a team closed or with nobody online promises a reply
    by a time instead, and that promise does not move)."""
    position = conversation.get("queue_position")
    if (
        conversation.get("conversation_state") != "waiting"
        or conversation.get("offline")
        or isinstance(position, bool)
        or not isinstance(position, int)
    ):
        return None
    seconds = conversation.get("expected_wait_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        seconds = None
    wait_text = conversation.get("expected_wait_text")
    team_name = conversation.get("team_name")
    return QueueOutlook(
        position=position,
        wait_seconds=seconds,
        wait_text=wait_text if isinstance(wait_text, str) and wait_text else None,
        team_name=team_name if isinstance(team_name, str) and team_name else None,
    )


def changed_meaningfully(told: QueueOutlook | None, now: QueueOutlook) -> bool:
    """Whether a customer who was told `told` (None: nothing yet) should read `now`: a new
    place in the queue (or another team's queue: a transfer), or an expected wait that moved by
    2 minutes and a quarter of what was said. A refresh that only confirms what they read says
    nothing."""
    if told is None or (now.position, now.team_name) != (told.position, told.team_name):
        return True
    if now.wait_seconds is None or told.wait_seconds is None:
        return False
    moved = abs(now.wait_seconds - told.wait_seconds)
    return moved >= max(MIN_WAIT_CHANGE_SECONDS, MIN_WAIT_CHANGE_SHARE * told.wait_seconds)


def queue_update_text(outlook: QueueOutlook) -> str:
    """'You're now number 2 in the queue for Billing; the expected wait is about 4 minutes.'"""
    team = f" for {outlook.team_name}" if outlook.team_name else ""
    if outlook.position == 1:
        place = f"You're next in the queue{team}"
    else:
        place = f"You're now number {outlook.position} in the queue{team}"
    if outlook.wait_text:
        return f"{place}; the expected wait is {outlook.wait_text}."
    return f"{place}."
