"""A supervisor's decision on a refund the assistant may not issue alone (above its limit in
commerce/policy.yml): the assistant held it (`commerce:approval:<conversation id>`, written by
service/desk/order_actions.py) and handed the conversation to the supervisors; one click in the
console approves it (the shop refunds, with the key the assistant's request had, so a second
click refunds nothing more) or declines it, and the customer is told in the chat.

The decision is kept on the held record (`decided`: approved | declined | refused, with
`decided_by`, `decided_at` and the refund issued), so
asking again gives the same answer; every decision is in the audit log with the supervisor as
actor. A refund the order can no longer take (refunded meanwhile) is refused, not forced.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from commerce.connector import ShopRefused
from commerce.orders import money
from handoff.lifecycle import NotAllowed
from handoff.routing.agents_config import AgentProfile
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import OPEN_TICKET_STATUSES
from infra.clock import iso_utc
from infra.redis_client import await_reply, guard
from service.desk.agent_actions import AgentActions
from service.desk.errors import InvalidRequest, NotFound
from service.desk.order_actions import KEPT_SECONDS, OrderActions
from service.desk.order_audit import AuditEntry, audit_number

log = logging.getLogger(__name__)
DECISIONS = ("approve", "decline")
SUPERVISOR = "supervisor"


def shown(held: dict[str, Any]) -> dict[str, Any]:
    """The held refund as agents see it: without the shop's idempotency key."""
    return {key: value for key, value in held.items() if key != "idempotency_key"}


@dataclass(frozen=True)
class ApprovalOutcome:
    approval: dict[str, Any]
    """The held refund with the decision (and the refund issued, when approved)."""
    customer_text: str
    """What the customer is told in the chat."""


def approval_key(conversation_id: str) -> str:
    return f"commerce:approval:{conversation_id}"


class OrderApprovals:
    def __init__(self, actions: OrderActions) -> None:
        self.actions = actions
        self.desk = actions.desk
        self.redis = actions.redis

    async def held(self, conversation_id: str) -> dict[str, Any] | None:
        """The refund the conversation's assistant held for a supervisor, decided or not."""
        async with guard():
            text = await await_reply(self.redis.get(approval_key(conversation_id)))
        return json.loads(text) if text else None

    async def decide(
        self, conversation_id: str, approve: bool, supervisor: AgentProfile, note: str = ""
    ) -> ApprovalOutcome:
        """Approve (the shop refunds) or decline the held refund; the same decision asked
        again answers as the first did; the other decision after one is refused."""
        async with self.actions.one_at_a_time(f"approval:{conversation_id}"):
            held = await self.held(conversation_id)
            if held is None:
                raise NotFound(f"no refund waits for approval in conversation {conversation_id}")
            wanted = "approved" if approve else "declined"
            if held.get("decided"):
                if held["decided"] != wanted:
                    raise InvalidRequest(
                        f"this refund was already {held['decided']} by {held.get('decided_by')}"
                    )
                return ApprovalOutcome(held, _customer_text(held, note))
            decided = await (self._approve(held) if approve else self._declined(held))
            decided |= {
                "decided_by": supervisor.id,
                "decided_at": iso_utc(self.desk.clock()),
            }
            await self._record(conversation_id, decided, supervisor)
        log.info("refund held in %s: %s by %s", conversation_id, wanted, supervisor.id)
        return ApprovalOutcome(decided, _customer_text(decided, note))

    async def _approve(self, held: dict[str, Any]) -> dict[str, Any]:
        order = await self.desk.current_order(held["order_number"])
        reason = f"{held.get('reason') or 'asked in chat'}; approved by a supervisor"
        try:
            refund = await self.desk.shop.refund(
                order.number, int(held["amount_cents"]), reason, held["idempotency_key"]
            )
        except ShopRefused as refused:
            return held | {"decided": "refused", "refused": refused.code}
        issued = {"id": refund.id, "amount_cents": refund.amount_cents}
        return held | {"decided": "approved", "refund": issued}

    async def _declined(self, held: dict[str, Any]) -> dict[str, Any]:
        return held | {"decided": "declined"}

    async def _record(
        self, conversation_id: str, decided: dict[str, Any], supervisor: AgentProfile
    ) -> None:
        result = {"approved": "issued", "declined": "declined"}.get(decided["decided"], "refused")
        entry = AuditEntry(
            conversation_id,
            "refund",
            audit_number(decided["order_number"]),
            int(decided.get("turn") or 0),
            result=result,
            detail=(decided.get("refund") or {}).get("id") or decided.get("refused", ""),
            amount_cents=int(decided["amount_cents"]),
            actor=f"{SUPERVISOR}:{supervisor.id}",
        )
        async with guard(), self.redis.pipeline(transaction=True) as pipe:
            pipe.set(approval_key(conversation_id), json.dumps(decided), ex=KEPT_SECONDS)
            self.actions.audit.add(pipe, entry)
            await pipe.execute()


def _customer_text(decided: dict[str, Any], note: str) -> str:
    amount = money(int(decided["amount_cents"]), decided.get("currency") or "USD")
    number = decided["order_number"]
    said = f" {note.strip()}" if note.strip() else ""
    if decided["decided"] == "approved":
        refund_id = decided["refund"]["id"]
        return (
            f"Good news: your refund of {amount} for order {number} is approved and issued "
            f"(reference {refund_id}). It goes to the original payment method; banks usually "
            f"show it within 3-5 business days.{said}"
        )
    if decided["decided"] == "declined":
        return (
            f"I've looked at your refund request of {amount} for order {number} and I can't "
            f"approve it.{said or ' I can explain why and what else we can do.'}"
        )
    return (
        f"I tried to issue your refund of {amount} for order {number}, but the order can't "
        f"take it any more (it may have been refunded already).{said} Let me check what happened."
    )


async def decide_on_ticket(
    handoff: AgentActions,
    approvals: OrderApprovals,
    supervisor: AgentProfile,
    ticket_id: str,
    approve: bool,
    note: str = "",
) -> tuple[ApprovalOutcome, TicketRecord]:
    """The supervisor's one click on a ticket: the decision, the chat taken if nobody had it,
    and the customer told. `handoff` is the handoff desk's agent side."""
    if supervisor.role != SUPERVISOR:
        raise NotAllowed("only a supervisor decides on a refund above the assistant's limit")
    record = await handoff.ticket(supervisor, ticket_id)
    if record.status not in OPEN_TICKET_STATUSES:
        raise InvalidRequest(f"ticket {ticket_id} is {record.status}: the chat is over")
    if record.status == "assigned" and record.agent_id != supervisor.id:
        # checked before any money moves: the customer must be told by whoever decides
        raise NotAllowed(f"{record.agent_id} has this chat: they decide, or transfer it to you")
    outcome = await approvals.decide(record.conversation_id, approve, supervisor, note)
    if record.status == "waiting":
        record = await handoff.claim(supervisor, ticket_id)
    record = await handoff.reply(supervisor, ticket_id, outcome.customer_text)
    return outcome, record
