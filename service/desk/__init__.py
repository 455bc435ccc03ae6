"""The handoff desk: the service's application layer, where every use case of the handoff runs
top to bottom. A view parses the request, calls one method of `HandoffDesk` and renders what it
returns; what the desk refuses becomes an HTTP answer in one place (service/errors.py).

    base.py            the desk's parts, the agent pool, one ticket change, placing a ticket
    tickets.py         the customer's side: open_ticket, conversation, cancel, takeover,
                       survey_status, save_survey, erase_customer
    surveys.py         the survey's rules (CSAT and effort): who may be asked, about whom
    agent_actions.py   the agent's side: presence, queues, tickets, claim, reply, note,
                       transfer, escalate, resolve, hand_back
    assignment.py      assignment that follows the agents: the next waiting ticket for an
                       agent who comes online or frees a slot; an absent agent's waiting chats
                       requeued (the assignment watchdog, service/assignment_watchdog.py)
    rasa_hand_back.py  after resolve and hand_back: tell Rasa, deliver its answer
    outlook.py         what the customer is told about a ticket (position, wait, who, when)
    errors.py          what the desk refuses
    review.py          the QA review desk (its own app key): capture and sample finished
                       sessions, the queue, verdicts, scorecards
    analytics.py       the supervisor's figures (metrics/) over the outcome cache
    outcome_cache.py   the outcome records followed from their stream, for the analytics
    live.py            the live queues and SLA-at-risk tickets of the dashboard
    privacy.py         a customer's access request (export) and erasure over every store,
                       audited (its own app key); privacy_export.py shapes the export

The desk composes the pure handoff core (handoff/: build_ticket, route, detect_incident,
plan_handoff, estimate_wait, the lifecycle's transitions) with the store's interfaces
(handoff.store: `HandoffStore` and its `TicketStore`, `AgentStore`, `IncidentStore`). The clock
is injected (`clock`), so tests can move time.
"""

from __future__ import annotations

from service.desk.agent_actions import AgentActions, TeamQueue
from service.desk.errors import HandoffPending, InvalidRequest, NotFound
from service.desk.rasa_hand_back import RasaEndpoint
from service.desk.tickets import HandoffRequest, TicketDesk

__all__ = [
    "HandoffDesk",
    "HandoffPending",
    "HandoffRequest",
    "InvalidRequest",
    "NotFound",
    "RasaEndpoint",
    "TeamQueue",
]


class HandoffDesk(TicketDesk, AgentActions):
    """Every use case of the handoff, one method each: the customer's side (tickets.py) and the
    agent's (agent_actions.py), on the parts they share (base.py)."""
