"""The handoff's Redis keys, all under `handoff:` (Rasa keeps `tracker:` and `lock:`, the
knowledge base `kb:`). One function per key, so the layout is readable in one place:

    handoff:ticket:{ticket_id}              hash   the ticket JSON (masked) and its record fields
    handoff:idempotency:{conversation}:{e}  string ticket id of one escalation of a conversation
    handoff:conversation:{conversation}     hash   state (bot|waiting|agent|closed), ticket_id,
                                                   agent_id, updated_at - the gateway reads it
    handoff:outbox:{conversation}           stream agents' messages to the customer
    handoff:queue:{team}                    zset   waiting tickets, score sla.queue_score
    handoff:team:{team}                     zset   every ticket the team owns, score created at
    handoff:customer:{customer_id}          set    ticket ids of a verified customer (erasure)
    handoff:sla:timers                      zset   sla.breach_key members, score due time
    handoff:closed                          zset   closed tickets, score closed at (retention)
    handoff:escalations                     zset   recent escalations, score time (incidents)
    handoff:escalation:{ticket_id}          string what incident detection needs of a ticket
    handoff:incidents:open                  zset   open incidents, score last escalation
    handoff:incident:{incident_id}          string the incident (ticket ids, customers, ...)
    handoff:agent:{agent_id}                hash   presence, presence_at, absent_since,
                                                   last_assigned_at, token_sha256
    handoff:agent:{agent_id}:tickets        set    open tickets the agent owns (their load)
    handoff:agent_tokens                    hash   sha256(token) -> agent id
    handoff:handling:{team}                 list   recent handling times in seconds
    handoff:feed                            stream every ticket write (ids, team, status, owner;
                                                   no customer text), capped ~10000: the console

Times in scores are Unix seconds.
"""

from __future__ import annotations

PREFIX = "handoff:"
SLA_TIMERS = PREFIX + "sla:timers"
CLOSED = PREFIX + "closed"
ESCALATIONS = PREFIX + "escalations"
OPEN_INCIDENTS = PREFIX + "incidents:open"
AGENT_TOKENS = PREFIX + "agent_tokens"
FEED = PREFIX + "feed"


def ticket(ticket_id: str) -> str:
    return f"{PREFIX}ticket:{ticket_id}"


def idempotency(conversation_id: str, escalation: str) -> str:
    return f"{PREFIX}idempotency:{conversation_id}:{escalation}"


def conversation(conversation_id: str) -> str:
    return f"{PREFIX}conversation:{conversation_id}"


def outbox(conversation_id: str) -> str:
    return f"{PREFIX}outbox:{conversation_id}"


def queue(team: str) -> str:
    return f"{PREFIX}queue:{team}"


def team(team_id: str) -> str:
    return f"{PREFIX}team:{team_id}"


def customer(customer_id: str) -> str:
    return f"{PREFIX}customer:{customer_id}"


def escalation(ticket_id: str) -> str:
    return f"{PREFIX}escalation:{ticket_id}"


def incident(incident_id: str) -> str:
    return f"{PREFIX}incident:{incident_id}"


def agent(agent_id: str) -> str:
    return f"{PREFIX}agent:{agent_id}"


def agent_tickets(agent_id: str) -> str:
    return f"{PREFIX}agent:{agent_id}:tickets"


def handling_times(team_id: str) -> str:
    return f"{PREFIX}handling:{team_id}"
