"""A refund above the assistant's limit, decided by a supervisor in one click: the real service,
Redis and sample order service (tests/service/order_fixtures.py). The assistant holds the refund
and hands off; the ticket goes to the supervisors; approving refunds once in the shop and tells
the customer in the chat; declining moves nothing; only a supervisor decides."""

from __future__ import annotations

from typing import Any

from order_service.seed_plans import CASES
from tests.service.order_fixtures import shop_email, shop_order, verify
from tests.support.handoff import agent_headers, decision
from tests.support.rasa_tracker import TrackerBuilder


async def held_refund(service: Any, shop_url: str, conversation: str) -> tuple[str, int]:
    """The customer proves the high-value order and asks for its refund: held for approval;
    then the conversation is handed off. (order number, amount)"""
    number = CASES["high_value"]
    await verify(service, number, await shop_email(shop_url, number), conversation)
    amount = (await shop_order(shop_url, number))["refundable_cents"]
    body = {
        "conversation_id": conversation,
        "order_number": number,
        "turn": 2,
        "amount_cents": amount,
        "reason": "asked in chat",
    }
    answer = await (await service.post("/commerce/orders/refund", json=body)).json()
    assert answer["decision"] == "needs_approval", answer
    record = {
        "turn": 2,
        "action": "refund",
        "order_number": number,
        "amount_cents": amount,
        "currency": "USD",
        "limit_cents": answer["limit_cents"],
        "result": "needs_approval",
    }
    builder = TrackerBuilder(sender_id=conversation).session_start()
    builder.user(f"I want a refund for {number}", "refund_request").action("order_form")
    builder.user("yes please", "affirm").action("action_order_confirm")
    builder.slot("order_actions", [record]).action("action_handoff")
    tracker = builder.tracker()
    handoff = {
        "conversation_id": conversation,
        "tracker": {"events": tracker["events"], "slots": tracker["slots"]},
        "decision": decision(2, "policy"),
        "customer": None,
        "channel": "rest",
    }
    created = await service.post("/handoff/tickets", json=handoff)
    assert created.status == 201, await created.text()
    return str((await created.json())["ticket_id"]), amount


async def decide(service: Any, who: dict[str, str], ticket_id: str, body: dict[str, Any]) -> Any:
    return await service.post(f"/agent/tickets/{ticket_id}/approval", json=body, headers=who)


async def test_a_supervisor_approves_once_and_the_customer_is_told(
    service: Any, shop_url: str, redis_url: str
) -> None:
    ticket_id, amount = await held_refund(service, shop_url, "conv-approve")
    dana = await agent_headers(redis_url, "dana")  # a supervisor
    read = await (await service.get(f"/agent/tickets/{ticket_id}", headers=dana)).json()
    routing = read["ticket"]["routing"]
    assert (routing["team"], routing["escalation_type"]) == ("supervisors", "hierarchical")
    assert any("commerce.needs_approval" in reason for reason in routing["reasons"])
    held = await (await service.get(f"/agent/tickets/{ticket_id}/approval", headers=dana)).json()
    assert held["approval"]["amount_cents"] == amount and "decided" not in held["approval"]
    assert "idempotency_key" not in held["approval"]

    first = await decide(service, dana, ticket_id, {"decision": "approve"})
    assert first.status == 200, await first.text()
    answer = await first.json()
    assert answer["approval"]["decided"] == "approved"
    told = answer["ticket"]["ticket"]["transcript"][-1]
    assert "is approved and issued" in told["text"] and told["agent_id"] == "dana"
    again = await (await decide(service, dana, ticket_id, {"decision": "approve"})).json()
    assert again["approval"]["refund"] == answer["approval"]["refund"]
    refunds = (await shop_order(shop_url, CASES["high_value"]))["refunds"]
    assert [r["amount_cents"] for r in refunds] == [amount], "approved twice, refunded once"
    changed_mind = await decide(service, dana, ticket_id, {"decision": "decline"})
    assert changed_mind.status == 400 and "already approved" in await changed_mind.text()
    audit = await (await service.get("/commerce/audit?conversation_id=conv-approve")).json()
    assert audit["entries"][0]["actor"] == "supervisor:dana"
    assert audit["entries"][0]["result"] == "issued"


async def test_a_decline_moves_nothing_and_only_a_supervisor_decides(
    service: Any, shop_url: str, redis_url: str
) -> None:
    ticket_id, _amount = await held_refund(service, shop_url, "conv-decline")
    maya = await agent_headers(redis_url, "maya")  # an agent, not in the supervisors' team
    assert (await decide(service, maya, ticket_id, {"decision": "approve"})).status == 403
    dana = await agent_headers(redis_url, "dana")
    bad = await decide(service, dana, ticket_id, {"decision": "maybe"})
    assert bad.status == 400 and "approve, decline" in await bad.text()
    note = "We can offer a replacement instead."
    declined = await (
        await decide(service, dana, ticket_id, {"decision": "decline", "note": note})
    ).json()
    assert declined["approval"]["decided"] == "declined"
    assert declined["ticket"]["ticket"]["transcript"][-1]["text"].endswith(note)
    assert (await shop_order(shop_url, CASES["high_value"]))["refunds"] == []


async def test_nothing_held_is_a_clear_404(service: Any, redis_url: str) -> None:
    builder = TrackerBuilder(sender_id="conv-plain").session_start()
    builder.user("a person please", "request_human").action("action_handoff")
    tracker = builder.tracker()
    body = {
        "conversation_id": "conv-plain",
        "tracker": {"events": tracker["events"], "slots": tracker["slots"]},
        "decision": decision(1),
        "customer": None,
        "channel": "rest",
    }
    ticket_id = (await (await service.post("/handoff/tickets", json=body)).json())["ticket_id"]
    maya = await agent_headers(redis_url, "maya")
    missing = await service.get(f"/agent/tickets/{ticket_id}/approval", headers=maya)
    assert missing.status == 404 and "no refund waits" in await missing.text()
