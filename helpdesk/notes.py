"""The text a help desk's agent reads, from a help-desk event: the handoff note (summary, why,
team, priority, due times, transcript) and one line per later change. Pure; the text is the
ticket's masked text and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.events import ASSIGNED, CREATED, MESSAGE, HelpdeskEvent

SPEAKERS = {"customer": "Customer", "bot": "Assistant", "agent": "Agent"}
SUBJECT_MAX = 150


def subject(event: HelpdeskEvent) -> str:
    """`[priority] first line of the summary`, at most SUBJECT_MAX characters."""
    facts = event.ticket
    lines = str(facts["summary"]).strip().splitlines() or [f"Handoff {facts['ticket_id']}"]
    text = f"[{facts['priority']}] {lines[0]}"
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3].rstrip() + "..."


def handoff_note(event: HelpdeskEvent) -> str:
    """What the agent needs without asking again: the summary, why it escalated, where and by
    when, then the transcript (present on `created` events)."""
    facts = event.ticket
    lines = [
        f"Handoff {facts['ticket_id']} (conversation {facts['conversation_id']})",
        *str(facts["summary"]).strip().splitlines(),
        f"Team: {facts['team']} | Priority: {facts['priority']}"
        f" | Escalation: {facts['escalation_type']}"
        + (f" ({facts['escalation_reason']})" if facts.get("escalation_reason") else ""),
        f"First response due: {facts.get('first_response_due') or '-'}"
        f" | Resolution due: {facts.get('resolution_due') or '-'}",
    ]
    transcript = event.body.get("transcript") or []
    if transcript:
        lines += ["", "Transcript:", *(turn_line(turn) for turn in transcript)]
    return "\n".join(lines)


def turn_line(turn: Mapping[str, Any]) -> str:
    speaker = SPEAKERS.get(str(turn.get("speaker")), str(turn.get("speaker")))
    if turn.get("agent_id"):
        speaker += f" {turn['agent_id']}"
    return f"[{turn.get('at') or '-'}] {speaker}: {turn.get('text', '')}"


def change_line(event: HelpdeskEvent) -> str:
    """One line for a change after creation (an assignment, a closing; messages: `turn_line`)."""
    facts = event.ticket
    if event.kind == CREATED:
        return handoff_note(event)
    if event.kind == MESSAGE:
        return turn_line(event.body["message"])
    if event.kind == ASSIGNED:
        moved = (
            f" (transferred from team {event.body['previous_team']})"
            if event.body.get("previous_team")
            else ""
        )
        who = f"agent {facts['agent_id']}" if facts.get("agent_id") else "the team queue"
        return f"Assigned to {who} of team {facts['team']}{moved}."
    note = f": {event.body['note']}" if event.body.get("note") else ""
    return f"Ticket {event.kind.replace('_', ' ')} in the support assistant{note}."
