"""Incidents at the handoff desk, on the real app, real spaCy and real Redis: a burst of requests
for a person is no incident; many customers with the same problem are one."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from handoff.ticket_record import TicketRecord
from tests.support.handoff import MovableClock, handoff_body
from tests.support.rasa_tracker import TrackerBuilder

PERSON_REQUESTS = (
    "I want to talk to a person",
    "can I speak to a human",
    "agent please",
    "let me talk to a manager",
    "hi, I need help",
    "this is useless, get me a real person NOW!!",
    "connect me with someone, my email is jane@example.com",
)
WIFI = "my Hearthly hub won't connect to wifi since the update"


def asks_for_a_person(
    conversation_id: str, *texts: str, intent: str = "request_human"
) -> TrackerBuilder:
    """A customer whose only words are the given turns, read by the NLU as `intent`."""
    builder = TrackerBuilder(sender_id=conversation_id).session_start()
    for text in texts:
        builder.user(text, intent).action("action_listen")
    return builder.action("action_handoff").bot("Connecting you to a person.")


def describes_then_asks(conversation_id: str, problem: str) -> TrackerBuilder:
    """A person first, the problem in the second turn (what the bot asked for)."""
    builder = TrackerBuilder(sender_id=conversation_id).session_start()
    builder.user("a person please", "request_human").action("utter_ask_problem")
    builder.bot("Sure - what is it about, so I can pass it on?").listen()
    builder.user(problem, "report_problem")
    return builder.action("action_handoff").bot("Connecting you to a person.")


async def open_ticket(client: TestClient, builder: TrackerBuilder) -> dict[str, Any]:
    response = await client.post("/handoff/tickets", json=handoff_body(builder))
    assert response.status == 201, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def stored_routings(redis_client: Any, ticket_ids: list[str]) -> list[dict[str, Any]]:
    """The routing of each stored ticket, read the way the store reads it."""
    pipe = redis_client.pipeline(transaction=False)
    for ticket_id in ticket_ids:
        pipe.hgetall(f"handoff:ticket:{ticket_id}")
    rows = await pipe.execute()
    return [TicketRecord.from_fields(row).ticket.to_dict()["routing"] for row in rows]


async def assert_no_incident(redis_client: Any, answers: list[dict[str, Any]]) -> None:
    assert [a["priority"] for a in answers] == ["normal"] * len(answers)
    routings = await stored_routings(redis_client, [a["ticket_id"] for a in answers])
    assert [(r["priority"], r["incident_id"]) for r in routings] == [("normal", None)] * len(
        answers
    )
    assert await redis_client.zcard("handoff:incidents:open") == 0
    assert [key async for key in redis_client.scan_iter("handoff:incident:*")] == []


async def test_a_burst_of_300_identical_requests_for_a_person_is_no_incident(  # type: ignore[no-untyped-def]
    handoff_client, redis_client, clock: MovableClock
) -> None:
    answers = []
    for number in range(300):
        builder = asks_for_a_person(f"burst-{number}", "I want to talk to a person")
        answers.append(await open_ticket(handoff_client, builder))
        clock.advance(seconds=3)  # 300 customers in 15 minutes: well inside the window

    await assert_no_incident(redis_client, answers)


async def test_requests_for_a_person_in_other_words_are_no_incident(  # type: ignore[no-untyped-def]
    handoff_client, redis_client, clock: MovableClock
) -> None:
    answers = []
    for number in range(4):  # four customers for each wording, and for each pair of wordings
        intent = ("request_human", "nlu_fallback")[number % 2]  # understood, or not at all
        for index, text in enumerate(PERSON_REQUESTS):
            other = PERSON_REQUESTS[(index + number) % len(PERSON_REQUESTS)]
            builder = asks_for_a_person(f"words-{number}-{index}", text, other, intent=intent)
            answers.append(await open_ticket(handoff_client, builder))
            clock.advance(seconds=10)

    await assert_no_incident(redis_client, answers)


async def test_customers_with_the_same_problem_told_after_asking_for_a_person_are_one_incident(  # type: ignore[no-untyped-def]
    handoff_client, redis_client, clock: MovableClock
) -> None:
    answers = []
    for number in range(5):
        builder = describes_then_asks(f"wifi-{number}", WIFI)
        answers.append(await open_ticket(handoff_client, builder))
        clock.advance(minutes=2)
    bystander = await open_ticket(handoff_client, asks_for_a_person("bystander", "a person please"))

    assert [a["priority"] for a in answers] == ["normal", "normal", "urgent", "urgent", "urgent"]
    routings = await stored_routings(redis_client, [a["ticket_id"] for a in answers])
    incident_id = f"incident-{answers[0]['ticket_id']}"
    assert {(r["priority"], r["incident_id"]) for r in routings} == {("urgent", incident_id)}
    assert bystander["priority"] == "normal"  # asked for a person, said nothing of a problem
    assert (await stored_routings(redis_client, [bystander["ticket_id"]]))[0]["incident_id"] is None
