"""The handoff's words, defined once: ticket statuses, conversation states, the kinds of outbox
entry, the CSAT scale and the names of the things people do with a conversation. Python, YAML,
JSON and the browser pages use these values; the gateway serves every name below to its
JavaScript as an ES module (`GET /widget/vocabulary.js`, gateway/web.py), so there are no copies.

A ticket's status (the team's view of one escalation):
    new -> waiting -> assigned -> resolved | handed_back | closed | cancelled
A conversation's state (who has the chat, the customer's view; `handoff:conversation:{id}`):
    bot | waiting | agent | closed
Rasa's slot `handoff_status` speaks in ticket statuses (waiting, assigned, cancelled), plus
`failed` when the service could not be reached.

One concept, one name (docs/handoff.md, "One concept, one name"): the conversation id is
`conversation_id` everywhere; Rasa calls it `sender_id` and only the actions and the gateway,
at the channel's edge, use that name. Hand-back is `hand_back`, CSAT is `csat`.

Standard library only, Python 3.10 compatible: the bot env imports it too.
"""

from __future__ import annotations

TICKET_STATUSES = ("new", "waiting", "assigned", "resolved", "handed_back", "closed", "cancelled")
OPEN_TICKET_STATUSES = ("waiting", "assigned")
"""A person owes the customer something: the ticket waits in a queue or an agent has it."""
CLOSED_TICKET_STATUSES = ("resolved", "handed_back", "closed", "cancelled")
TAKEOVER_OUTCOMES = ("handed_back", "resolved")
"""How a person's takeover ends with the assistant back in the conversation: the closed
statuses Rasa is told about (`/handed_back`, `/handoff_resolved`) and the resume action reads."""

CONVERSATION_STATES = ("bot", "waiting", "agent", "closed")
WITH_PEOPLE = ("waiting", "agent")
"""Conversation states in which the customer's messages go to the team, not to the bot."""

AGENT_MESSAGE = "message"
ASSISTANT_ANSWER = "bot"
AGENT_JOINED = "agent_joined"
TRANSFERRED = "transferred"
ESCALATED = "escalated"
RESOLVED = "resolved"
HANDED_BACK = "handed_back"
REQUEUED = "requeued"
OUTBOX_EVENTS = (
    AGENT_MESSAGE,
    ASSISTANT_ANSWER,
    AGENT_JOINED,
    TRANSFERRED,
    ESCALATED,
    RESOLVED,
    HANDED_BACK,
    REQUEUED,
)
"""The kinds of entry in a conversation's outbox, what reaches the customer from outside Rasa's
answers: an agent's message, the assistant's answer after a hand-back (`bot`), or a notice of
what an agent did (joined, transferred, escalated, resolved, handed back) or of the chat going
back to the queue because its agent stayed away (`requeued`). The gateway passes the kind on as
`bot_uttered`'s `event`."""

AGENT_PRESENCES = ("online", "away", "offline")
"""What an agent tells the desk about themselves; only `online` agents are offered chats."""

HAND_BACK = "hand_back"
"""An agent gives the conversation back to the assistant (ticket status `handed_back`, outbox
event `handed_back`, Rasa intent `/handed_back`)."""
CSAT = "csat"
"""The customer's 1-5 satisfaction rating of a chat an agent resolved (+ optional comment)."""
CSAT_RATINGS = (1, 2, 3, 4, 5)
"""The widget's buttons, what the gateway accepts and what the ticket keeps: 1 poor, 5 great."""
MAX_CSAT_COMMENT_CHARS = 1000

ROLES = ("agent", "supervisor", "content")
"""What a person of the team may open: agents work tickets; supervisors also see the dashboard
and review conversations; the content team works on the articles."""
TICKET_ROLES = ("agent", "supervisor")
"""The roles that work tickets and see customers; a content token gets 403 on the ticket routes
and needs no team."""
CONTENT_ROLES = ("content", "supervisor")
"""The roles that open the content team's workspace (/agent/content/..., the console's Content
view)."""

# The assistant's actions on orders (actions/orders.py): the slot that records them, read by the
# ticket's summary and by routing; the reply outcome of one a supervisor must approve.
ORDER_ACTIONS_SLOT = "order_actions"
NEEDS_APPROVAL = "needs_approval"
