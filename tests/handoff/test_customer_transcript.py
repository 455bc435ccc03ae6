"""The conversation as the customer saw it (handoff/customer_transcript.py): what a resume link
reopens in the widget and the customer's requests page shows."""

from __future__ import annotations

import dataclasses

from handoff.customer_transcript import MAX_TURNS, customer_transcript
from handoff.ticket.model import AgentTurn, BotTurn, CustomerTurn
from handoff.ticket_record import TicketRecord
from tests.support.handoff import PAYMENT, record


def _with_turns(*turns: CustomerTurn | BotTurn | AgentTurn) -> TicketRecord:
    ticket = record(PAYMENT, "conv-seen")
    return dataclasses.replace(ticket, ticket=dataclasses.replace(ticket.ticket, transcript=turns))


def test_every_side_is_shown_in_order_with_the_agents_name() -> None:
    shown = customer_transcript(
        _with_turns(
            CustomerTurn(turn=1, text="my card is declined", at=None),
            BotTurn(turn=1, text="Here is what I found.", at=None),
            AgentTurn(turn=1, text="It is cleared now.", at=None, agent_id="maya"),
            AgentTurn(turn=1, text="Anything else?", at=None, agent_id="sam"),
        ),
        {"maya": "Maya Okafor"},
    )
    assert shown == [
        {"from": "customer", "text": "my card is declined"},
        {"from": "bot", "text": "Here is what I found."},
        {"from": "agent", "text": "It is cleared now.", "agent_name": "Maya Okafor"},
        {"from": "agent", "text": "Anything else?", "agent_name": "sam"},  # as the outbox names
    ]


def test_a_pressed_button_shows_its_title_and_commands_never_typed_are_left_out() -> None:
    shown = customer_transcript(
        _with_turns(
            CustomerTurn(turn=1, text="/greet", at=None),
            BotTurn(turn=1, text="Hi!", at=None),
            CustomerTurn(turn=2, text="/feedback_not_helpful", at=None, button="No, it didn't"),
            BotTurn(turn=2, text=" ", at=None),
        ),
        {},
    )
    assert shown == [
        {"from": "bot", "text": "Hi!"},
        {"from": "customer", "text": "No, it didn't"},
    ]


def test_a_long_conversation_gives_its_latest_turns() -> None:
    turns = [CustomerTurn(turn=n, text=f"message {n}", at=None) for n in range(1, MAX_TURNS + 6)]
    shown = customer_transcript(_with_turns(*turns), {})
    assert len(shown) == MAX_TURNS
    assert shown[0]["text"] == "message 6" and shown[-1]["text"] == f"message {MAX_TURNS + 5}"
