"""Once Rasa stops answering, messages are told at once, one probe at a time asks whether it
is back, and the first answer lets messages through again."""

from __future__ import annotations

import asyncio

from gateway.rasa_availability import PROBE_EVERY_SECONDS, RasaAvailability


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Rasa:
    """What the probe finds: Rasa up or not, and how many probes were made."""

    def __init__(self) -> None:
        self.up = False
        self.probes = 0
        self.delay = 0.0

    async def probe(self) -> bool:
        self.probes += 1
        await asyncio.sleep(self.delay)
        return self.up


async def test_while_rasa_answers_nothing_is_probed() -> None:
    rasa = Rasa()
    availability = RasaAvailability(rasa.probe, Clock())
    assert await availability.ready()
    availability.answered()
    assert await availability.ready()
    assert rasa.probes == 0


async def test_after_a_failure_messages_are_turned_away_until_a_probe_finds_rasa_back() -> None:
    rasa, clock = Rasa(), Clock()
    availability = RasaAvailability(rasa.probe, clock)
    availability.failed(ConnectionRefusedError())

    assert not await availability.ready()  # the failed request was the first probe
    assert rasa.probes == 0
    clock.now += PROBE_EVERY_SECONDS
    assert not await availability.ready()
    assert rasa.probes == 1
    assert not await availability.ready()  # the answer is shared for a second
    assert rasa.probes == 1

    rasa.up = True
    clock.now += PROBE_EVERY_SECONDS
    assert await availability.ready()
    assert not availability.down
    assert await availability.ready()
    assert rasa.probes == 2


async def test_an_http_error_is_an_answer_not_a_rasa_that_is_down() -> None:
    rasa = Rasa()
    availability = RasaAvailability(rasa.probe, Clock())
    availability.failed(ValueError("unreadable JSON"))
    assert not availability.down
    assert await availability.ready()


async def test_many_messages_at_once_make_one_probe() -> None:
    rasa, clock = Rasa(), Clock()
    rasa.up, rasa.delay = True, 0.05
    availability = RasaAvailability(rasa.probe, clock)
    availability.failed(TimeoutError())
    clock.now += PROBE_EVERY_SECONDS

    answers = await asyncio.gather(*(availability.ready() for _ in range(50)))

    assert answers == [True] * 50
    assert rasa.probes == 1


async def test_a_probe_that_raises_or_is_cancelled_means_not_yet() -> None:
    clock = Clock()

    async def broken() -> bool:
        raise OSError("refused")

    availability = RasaAvailability(broken, clock)
    availability.failed(TimeoutError())
    clock.now += PROBE_EVERY_SECONDS
    assert not await availability.ready()

    hanging = Rasa()
    hanging.delay = 10.0
    availability = RasaAvailability(hanging.probe, clock)
    availability.failed(TimeoutError())
    clock.now += PROBE_EVERY_SECONDS
    first = asyncio.create_task(availability.ready())
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(availability.ready())
    await asyncio.sleep(0.01)
    first.cancel()
    assert await waiting is False  # not left waiting on a probe that will never finish
