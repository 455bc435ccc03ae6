"""Tell the assistant (Rasa) that a person handed the conversation back or resolved it.

Right after the hand-back or resolve transition, the service sends Rasa's REST webhook on
loopback a message of its own for the conversation: the intent payload `/handed_back` or
`/handoff_resolved`, with metadata naming the ticket. Rasa runs `action_resume_after_handoff`
(actions/handoff.py), which reads the takeover from the service (`GET
/handoff/conversations/{id}/takeover`) and writes it into the tracker. A customer cannot send
these payloads: the gateway turns any "/" text the bot did not offer into plain text.

Whatever Rasa answers (for a hand-back: "You're back with Hearthly's assistant...") goes into
the conversation's outbox as `bot` entries, which the gateway delivers to the widget. The
resume action always adds a marker message (`{"custom": {"handoff_resumed": ticket_id}}`):
Rasa's webhook answers `[]` when processing fails inside Rasa, so an answer without the marker
is a failure, not a quiet success.

Rasa down or failing never undoes the hand-back: the problem is logged and written in the
ticket's status history, and `action_wait_for_agent` notices the change on the customer's
next message as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from handoff import lifecycle
from handoff.store import TicketStore
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import ASSISTANT_ANSWER, HANDED_BACK, RESOLVED
from infra.clock import Clock
from infra.redis_client import RedisUnavailable

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/webhooks/rest/webhook"
PAYLOADS = {HANDED_BACK: "/handed_back", RESOLVED: "/handoff_resolved"}
RESUMED_MARKER = "handoff_resumed"


class AssistantNotTold(RuntimeError):
    """Rasa did not take the conversation back (unreachable, error, or no resume marker)."""


@dataclass(frozen=True)
class RasaEndpoint:
    url: str  # e.g. http://127.0.0.1:5005
    timeout: float = 15.0


def hand_back_message(record: TicketRecord) -> dict[str, Any]:
    """The webhook body for a closed ticket's conversation."""
    payload = PAYLOADS.get(record.status)
    if payload is None:
        raise ValueError(f"ticket {record.ticket_id} is {record.status}: nothing to tell Rasa")
    return {
        "sender": record.conversation_id,
        "message": payload,
        "metadata": {"handoff": {"ticket_id": record.ticket_id, "outcome": record.status}},
    }


def checked_replies(answer: object, ticket_id: str) -> list[Mapping[str, Any]]:
    """Rasa's replies without the resume marker; AssistantNotTold when the marker is missing."""
    if not isinstance(answer, list) or not all(isinstance(reply, Mapping) for reply in answer):
        raise AssistantNotTold("Rasa answered something that is not a list of messages")
    resumed = any(
        isinstance(reply.get("custom"), Mapping)
        and reply["custom"].get(RESUMED_MARKER) == ticket_id
        for reply in answer
    )
    if not resumed:
        raise AssistantNotTold("Rasa did not run the resume action (its answer has no marker)")
    return [reply for reply in answer if not isinstance(reply.get("custom"), Mapping)]


def outbox_entries(replies: list[Mapping[str, Any]], record: TicketRecord) -> list[dict[str, str]]:
    """Rasa's text replies as outbox entries of type `bot` (buttons as a JSON list)."""
    entries = []
    for reply in replies:
        text = reply.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        entry = {
            "type": ASSISTANT_ANSWER,
            "ticket_id": record.ticket_id,
            "text": text,
            "at": record.ticket.updated_at,
        }
        buttons = [
            {"title": str(button["title"]), "payload": str(button["payload"])}
            for button in reply.get("buttons") or []
            if isinstance(button, Mapping) and "title" in button and "payload" in button
        ]
        if buttons:
            entry["buttons"] = json.dumps(buttons, ensure_ascii=False)
        entries.append(entry)
    return entries


async def post_hand_back(rasa: RasaEndpoint, record: TicketRecord) -> list[Mapping[str, Any]]:
    """Send the hand-back message; Rasa's replies for the customer."""
    timeout = aiohttp.ClientTimeout(total=rasa.timeout)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(
                rasa.url + WEBHOOK_PATH, json=hand_back_message(record)
            ) as reply:
                if reply.status != 200:
                    raise AssistantNotTold(f"Rasa answered HTTP {reply.status}")
                answer = await reply.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        raise AssistantNotTold(f"Rasa could not be reached: {type(error).__name__}") from error
    return checked_replies(answer, record.ticket_id)


async def tell_rasa(
    tickets: TicketStore, rasa: RasaEndpoint, record: TicketRecord, clock: Clock
) -> TicketRecord:
    """Tell Rasa, deliver its answer, and record the outcome in the ticket's history. Never
    raises: the hand-back has happened whatever Rasa does."""
    try:
        replies = await post_hand_back(rasa, record)
        entries = outbox_entries(replies, record)
        if entries:
            await tickets.add_to_outbox(record.conversation_id, entries)
        note = "the assistant took the conversation back"
    except AssistantNotTold as error:
        log.warning("ticket %s: the assistant was not told: %s", record.ticket_id, error)
        note = f"the assistant could not be told ({error}); it notices on the next message"
    except RedisUnavailable as error:
        log.warning(
            "ticket %s: the assistant's answer was not delivered: %s", record.ticket_id, error
        )
        note = "the assistant's answer could not be delivered (store unavailable)"
    now = clock()
    try:
        return await tickets.update(
            record.ticket_id, lambda current: lifecycle.assistant_note(current, note, now=now)
        )
    except (RedisUnavailable, LookupError) as error:
        log.warning("ticket %s: history not updated: %s", record.ticket_id, error)
        return record
