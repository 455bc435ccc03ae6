"""The conversation as the customer saw it, for a widget that reopens it from a resume link
(gateway/resume.py, from `GET /handoff/conversations/{id}/transcript`): every turn of the
conversation's latest ticket as `{"from": customer | bot | agent, "text"[, "agent_name"]}`,
oldest first, the latest `MAX_TURNS`.

The texts are the ticket's own, masked as it keeps them. A button the customer pressed shows as
its title, as the widget showed it; a command the customer never typed (the widget's init
payload, `/greet`) is left out. What the assistant said after the ticket closed is in Rasa's
tracker, not here. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from handoff.ticket.model import AgentTurn, BotTurn, CustomerTurn
from handoff.ticket_record import TicketRecord

MAX_TURNS = 100
"""As many as the widget keeps (gateway/static/widget-store.js MAX_STORED_MESSAGES)."""
COMMAND_PREFIX = "/"


def customer_transcript(
    record: TicketRecord, agent_names: Mapping[str, str]
) -> list[dict[str, str]]:
    """The ticket's transcript as the widget shows it; an agent's name from `agent_names`
    (agent id -> display name), else their id, as the team's outbox names them."""
    turns: list[dict[str, str]] = []
    for turn in record.ticket.transcript:
        if isinstance(turn, AgentTurn):
            name = agent_names.get(turn.agent_id, turn.agent_id)
            turns.append({"from": "agent", "text": turn.text, "agent_name": name})
        elif isinstance(turn, BotTurn) and turn.text.strip():
            turns.append({"from": "bot", "text": turn.text})
        elif isinstance(turn, CustomerTurn):
            shown = turn.button or turn.text
            if shown.strip() and (turn.button or not shown.startswith(COMMAND_PREFIX)):
                turns.append({"from": "customer", "text": shown})
    return turns[-MAX_TURNS:]
