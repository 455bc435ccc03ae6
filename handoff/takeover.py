"""What happened while a person had the conversation, in the form the assistant keeps it.

When an agent hands a conversation back (or resolves it), Rasa's tracker never saw the
takeover: the customer's messages went to the ticket, the agent's replies came from the
service. `takeover_json` reads a closed ticket record and gives what the resume action
(actions/handoff.py) stores in the `takeover` slot: who took the chat, how it ended (handed
back, or resolved with which code), the messages both sides wrote during the takeover (already
masked, as the ticket keeps them), and the context worth carrying on with (order numbers,
emails, ...; the ones mentioned during the takeover last, so the latest mention wins).

"During the takeover" is every customer or agent turn at or after the ticket was created:
the transcript turns before that come from Rasa's own tracker. Pure: no I/O, patterns only
(no spaCy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handoff.ticket.extract import find_in_text
from handoff.ticket.model import AgentTurn, CustomerTurn, TranscriptTurn
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import TAKEOVER_OUTCOMES
from infra.clock import parse_time

RESOLVED_NOTE_PREFIX = "resolved: "
CONTEXT_KINDS = ("order_number", "email", "amount", "date", "product", "phone")
MAX_MESSAGES = 50


def takeover_messages(record: TicketRecord) -> list[dict[str, Any]]:
    """The customer's and the agent's messages since the handoff, oldest first (the latest
    MAX_MESSAGES)."""
    started = parse_time(record.ticket.created_at)
    messages = [
        _message(turn)
        for turn in record.ticket.transcript
        if isinstance(turn, CustomerTurn | AgentTurn)
        and turn.at is not None
        and parse_time(turn.at) >= started
    ]
    return messages[-MAX_MESSAGES:]


def resolution_code(record: TicketRecord) -> str | None:
    """The code the agent resolved with (the latest 'resolved: <code>' in the history)."""
    for change in reversed(record.ticket.status_history):
        if change.status == "resolved" and (change.note or "").startswith(RESOLVED_NOTE_PREFIX):
            return (change.note or "")[len(RESOLVED_NOTE_PREFIX) :]
    return None


def carried_context(record: TicketRecord, messages: list[dict[str, Any]]) -> dict[str, str]:
    """kind -> value for the kinds the assistant can use: what the ticket extracted before the
    handoff, then what either side mentioned during the takeover (the latest wins)."""
    found: dict[str, str] = {}
    for item in record.ticket.context:
        if item.kind in CONTEXT_KINDS:
            found[item.kind] = item.value
    for number, message in enumerate(messages, start=1):
        for item in find_in_text(message["text"], number, nlp=None):
            if item.kind in CONTEXT_KINDS:
                found[item.kind] = item.value
    return found


def takeover_json(record: TicketRecord, agent_names: Mapping[str, str]) -> dict[str, Any]:
    """The takeover of the conversation's latest ticket, for the resume action."""
    messages = takeover_messages(record)
    agent_id = record.agent_id
    return {
        "ticket_id": record.ticket_id,
        "conversation_id": record.conversation_id,
        "status": record.status,
        "closed": not record.is_open,
        "outcome": record.status if record.status in TAKEOVER_OUTCOMES else None,
        "resolution_code": resolution_code(record) if record.status == "resolved" else None,
        "agent_id": agent_id,
        "agent_name": agent_names.get(agent_id, agent_id) if agent_id else None,
        "started_at": record.ticket.created_at,
        "ended_at": record.closed_at,
        "messages": messages,
        "context": carried_context(record, messages),
    }


def _message(turn: TranscriptTurn) -> dict[str, Any]:
    message: dict[str, Any] = {"speaker": turn.speaker, "text": turn.text, "at": turn.at}
    if isinstance(turn, AgentTurn):
        message["agent_id"] = turn.agent_id
    return message
