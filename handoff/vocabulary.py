"""The handoff's words, defined once: ticket statuses, conversation states and the names of the
things people do with a conversation. Python, YAML, JSON and the browser pages use these values;
the gateway serves them to its JavaScript (`/widget/vocabulary.js`), so there are no copies.

A ticket's status (the team's view of one escalation):
    new -> waiting -> assigned -> resolved | handed_back | closed | cancelled
A conversation's state (who has the chat, the customer's view; `handoff:conversation:{id}`):
    bot | waiting | agent | closed
Rasa's slot `handoff_status` speaks in ticket statuses (waiting, assigned, failed, cancelled).

Standard library only, Python 3.10 compatible: the bot env imports it too.
"""

from __future__ import annotations

TICKET_STATUSES = ("new", "waiting", "assigned", "resolved", "handed_back", "closed", "cancelled")
OPEN_TICKET_STATUSES = ("waiting", "assigned")
"""A person owes the customer something: the ticket waits in a queue or an agent has it."""
CLOSED_TICKET_STATUSES = ("resolved", "handed_back", "closed", "cancelled")

CONVERSATION_STATES = ("bot", "waiting", "agent", "closed")
WITH_PEOPLE = ("waiting", "agent")
"""Conversation states in which the customer's messages go to the team, not to the bot."""

HAND_BACK = "hand_back"
"""An agent gives the conversation back to the assistant (ticket status `handed_back`, outbox
event `handed_back`, Rasa intent `/handed_back`)."""
CSAT = "csat"
"""The customer's 1-5 satisfaction rating of a chat an agent resolved (+ optional comment)."""
