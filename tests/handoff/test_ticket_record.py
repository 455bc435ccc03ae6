from __future__ import annotations

from typing import get_args

from handoff.ticket_record import STATE_OF_STATUS, ConversationState
from handoff.vocabulary import CONVERSATION_STATES, TICKET_STATUSES


def test_the_record_speaks_the_vocabulary() -> None:
    """The type of a conversation state is the vocabulary's list, and every ticket status says
    who has the conversation."""
    assert get_args(ConversationState) == CONVERSATION_STATES
    assert set(STATE_OF_STATUS) == set(TICKET_STATUSES)
    assert set(STATE_OF_STATUS.values()) <= set(CONVERSATION_STATES)
