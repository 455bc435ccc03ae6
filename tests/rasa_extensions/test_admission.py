"""Rasa takes a few messages at a time per worker, the rest in the order they arrived: the
slowest turns under load stop being the ones that waited for the action server."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from rasa_extensions.admission import AdmissionGate
from rasa_extensions.admitted_rest import AdmittedRestInput


async def test_the_gate_lets_in_at_most_its_limit_and_the_rest_in_arrival_order() -> None:
    gate = AdmissionGate(2)
    release = asyncio.Event()
    inside_most = 0
    entered: list[int] = []

    async def message(number: int) -> None:
        nonlocal inside_most
        async with gate.admitted():
            entered.append(number)
            inside_most = max(inside_most, gate.inside)
            await release.wait()

    tasks = []
    for number in range(6):
        tasks.append(asyncio.create_task(message(number)))
        await asyncio.sleep(0)  # they arrive one after another
    await asyncio.sleep(0.01)
    assert entered == [0, 1] and gate.waiting == 4
    release.set()
    await asyncio.gather(*tasks)
    assert entered == [0, 1, 2, 3, 4, 5]
    assert inside_most == 2
    assert gate.inside == 0 and gate.waiting == 0


async def test_a_newcomer_does_not_overtake_a_message_already_waiting() -> None:
    gate = AdmissionGate(1)
    order: list[str] = []
    first_in = asyncio.Event()
    let_go = asyncio.Event()

    async def holder() -> None:
        async with gate.admitted():
            first_in.set()
            await let_go.wait()

    async def arrive(name: str) -> None:
        async with gate.admitted():
            order.append(name)

    hold = asyncio.create_task(holder())
    await first_in.wait()
    waiting = asyncio.create_task(arrive("waited"))
    await asyncio.sleep(0)
    let_go.set()
    await asyncio.sleep(0)  # the holder leaves, handing its place over ...
    newcomer = asyncio.create_task(arrive("newcomer"))  # ... as a newcomer shows up
    await asyncio.gather(hold, waiting, newcomer)
    assert order == ["waited", "newcomer"]


async def test_a_message_given_up_while_waiting_loses_nobody_their_place() -> None:
    gate = AdmissionGate(1)
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.admitted():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    abandoned = asyncio.create_task(hold())  # the client hung up while it waited
    after = asyncio.create_task(hold())
    await asyncio.sleep(0)
    abandoned.cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, after), timeout=2)
    assert abandoned.cancelled()
    assert gate.inside == 0 and gate.waiting == 0


def test_a_gate_needs_room_for_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AdmissionGate(0)


@pytest.mark.parametrize("value", [0, -1, "2", 1.5, True])
def test_credentials_with_a_bad_in_flight_are_refused_clearly(value: Any) -> None:
    with pytest.raises(ValueError, match="in_flight must be a whole number of at least 1"):
        AdmittedRestInput.from_credentials({"in_flight": value})


def test_the_channel_is_rasas_rest_webhook() -> None:
    channel = AdmittedRestInput.from_credentials(None)
    assert channel.name() == "rest" and channel.url_prefix() == "rest"
    assert isinstance(channel, AdmittedRestInput) and channel.gate.limit == 2
    assert AdmittedRestInput.from_credentials({"in_flight": 3}).gate.limit == 3


async def test_the_webhook_answers_through_the_gate_no_more_than_in_flight_at_once() -> None:
    channel = AdmittedRestInput(in_flight=2)
    busy = 0
    busiest = 0

    async def agent(message: UserMessage) -> None:  # stands in for Rasa's Agent.handle_message
        nonlocal busy, busiest
        busy += 1
        busiest = max(busiest, busy)
        await asyncio.sleep(0.01)
        await message.output_channel.send_text_message(message.sender_id, f"re: {message.text}")
        busy -= 1

    blueprint = channel.blueprint(agent)
    receive = next(r.handler for r in blueprint._future_routes if r.uri == "/webhook")

    async def post(number: int) -> list[dict[str, Any]]:
        request = SimpleNamespace(json={"sender": f"c{number}", "message": f"m{number}"}, args={})
        response = await receive(request)
        return json.loads(response.body)

    replies = await asyncio.gather(*(post(n) for n in range(8)))
    assert replies == [[{"recipient_id": f"c{n}", "text": f"re: m{n}"}] for n in range(8)]
    assert busiest == 2


async def test_a_turn_that_fails_after_replying_answers_nothing() -> None:
    """A tracker that could not be saved: the customer's message is not kept, so the webhook
    must not answer as if it were (the gateway acknowledges a message Rasa answered)."""
    channel = AdmittedRestInput(in_flight=2)

    async def agent(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "an answer")
        raise ConnectionError("the tracker store is down")

    routes = channel.blueprint(agent)._future_routes
    receive = next(r.handler for r in routes if r.uri == "/webhook")
    request = SimpleNamespace(json={"sender": "c1", "message": "hello"}, args={})
    assert json.loads((await receive(request)).body) == []
