"""The customer's survey on the real service and Redis (`GET|POST
/handoff/conversations/{id}/survey`): open after an answer marked helpful (about the assistant)
and after an agent resolved the chat (about the agent, its CSAT on the ticket too); one per
session (a second is 409, nothing stored twice), answers out of range 400, nothing open 409;
a survey after the session's record reaches the QA review; surveys are counted for Prometheus."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestClient

from outcomes import keys
from outcomes.record import OutcomeRecord, Survey
from outcomes.session import read_session
from service.keys import HANDOFF, REVIEW
from tests.conftest import TOKEN
from tests.gateway.console_support import service_app
from tests.outcomes.conversations import stored_form
from tests.support.handoff import OPEN_HOURS, PAYMENT, agent_headers, handoff_settings, record
from tests.support.rasa_tracker import TrackerBuilder

START = (OPEN_HOURS - timedelta(minutes=10)).timestamp()


@pytest.fixture
async def client(aiohttp_client, redis_url, articles_dir, embedder, redis_client, clock):  # type: ignore[no-untyped-def]
    app = service_app(handoff_settings(redis_url, articles_dir), embedder, clock)
    return await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})


def helped(conversation_id: str, helpful: bool = True) -> TrackerBuilder:
    """A question answered by an article the customer marked helpful (or not)."""
    builder = TrackerBuilder(sender_id=conversation_id, start=START).session_start()
    builder.user("how long do refunds take?", "refund_request")
    builder.kb_answer("refund-timeline", "When will I get my refund?", 0.82)
    return builder.feedback(helpful=helpful).bot("Glad that helped!").listen()


def asked_for_a_person(conversation_id: str) -> TrackerBuilder:
    builder = TrackerBuilder(sender_id=conversation_id, start=START).session_start()
    builder.user(PAYMENT.text, PAYMENT.intent).bot("Sorry about that.").listen()
    builder.user("let me talk to a real person", "request_human")
    return builder.action("action_handoff").bot("Connecting you to a person.").listen()


async def keep_tracker(client: redis.Redis, builder: TrackerBuilder) -> None:
    """What Rasa's tracker store writes (tracker:{id})."""
    await client.set(keys.tracker(builder.sender_id), json.dumps(stored_form(builder)))


async def call(client: TestClient, method: str, path: str, status: int, **kwargs: Any) -> Any:
    response = await client.request(method, path, **kwargs)
    assert response.status == status, await response.text()
    return await response.json()


def survey_path(conversation_id: str) -> str:
    return f"/handoff/conversations/{conversation_id}/survey"


async def test_after_a_helpful_answer_the_assistant_is_surveyed_once(client, redis_client) -> None:  # type: ignore[no-untyped-def]
    builder = helped("conv-bot")
    await keep_tracker(redis_client, builder)
    session = read_session(stored_form(builder))
    assert session is not None

    status = await call(client, "GET", survey_path("conv-bot"), 200)
    saved = await call(client, "POST", survey_path("conv-bot"), 201, json={"csat": 5, "ces": 6})
    second = await call(client, "POST", survey_path("conv-bot"), 409, json={"ces": 1})
    after = await call(client, "GET", survey_path("conv-bot"), 200)

    assert status == {
        "conversation_id": "conv-bot",
        "session": session.key,
        "open": True,
        "audience": "bot",
        "answered": False,
        "reason": None,
    }
    assert saved == {
        "conversation_id": "conv-bot",
        "session": session.key,
        "audience": "bot",
        "csat": 5,
        "ces": 6,
        "skipped": False,
    }
    assert "already recorded" in second["error"]
    assert (after["open"], after["answered"]) == (False, True)
    store = client.server.app[HANDOFF].outcomes
    kept = await store.saved_survey("conv-bot", session.key)
    assert kept == Survey(audience="bot", csat=5, ces=6)  # the first answers, untouched
    assert await redis_client.xlen(keys.STREAM) == 0  # kept for the record, not appended


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"csat": 0},
        {"csat": 6},
        {"ces": 8},
        {"ces": 0},
        {"csat": "5"},
        {"csat": True},
        {"csat": 4.5},
        {"skipped": True, "csat": 3},
        {"skipped": "yes"},
        {"csat": 3, "stars": 5},
        {"csat": 3, "comment": "a comment goes only with an agent chat"},
    ],
)
async def test_answers_out_of_range_are_400_and_nothing_is_kept(client, redis_client, body) -> None:  # type: ignore[no-untyped-def]
    await keep_tracker(redis_client, helped("conv-bad"))

    refused = await call(client, "POST", survey_path("conv-bad"), 400, json=body)
    status = await call(client, "GET", survey_path("conv-bad"), 200)

    assert refused["error"]
    assert (status["open"], status["answered"]) == (True, False)


async def test_no_survey_is_open_without_a_helpful_answer_or_a_resolved_chat(  # type: ignore[no-untyped-def]
    client, redis_client
) -> None:
    await keep_tracker(redis_client, helped("conv-not-helped", helpful=False))
    await call(client, "GET", survey_path("never-seen"), 404)
    await call(client, "POST", survey_path("never-seen"), 404, json={"csat": 5})

    status = await call(client, "GET", survey_path("conv-not-helped"), 200)
    refused = await call(client, "POST", survey_path("conv-not-helped"), 409, json={"csat": 5})

    assert (status["open"], status["audience"]) == (False, None)
    assert "marked helpful" in status["reason"] and "marked helpful" in refused["error"]
    without_token = await client.post(
        survey_path("conv-not-helped"), json={"csat": 5}, headers={"Authorization": ""}
    )
    assert without_token.status == 401


async def test_an_agent_resolved_chat_is_surveyed_and_its_csat_goes_on_the_ticket(  # type: ignore[no-untyped-def]
    client, redis_client, redis_url
) -> None:
    builder = asked_for_a_person("conv-agent")
    await keep_tracker(redis_client, builder)
    tickets = client.server.app[HANDOFF].store.tickets
    ticket = record(PAYMENT, "conv-agent", at=OPEN_HOURS)
    await tickets.add(ticket)

    waiting = await call(client, "GET", survey_path("conv-agent"), 200)
    refused = await call(client, "POST", survey_path("conv-agent"), 409, json={"csat": 5})
    maya = await agent_headers(redis_url, "maya")
    path = f"/agent/tickets/{ticket.ticket_id}"
    # going online hands maya the waiting billing chat (service/desk/assignment.py)
    await call(client, "PUT", "/agent/presence", 200, json={"presence": "online"}, headers=maya)
    await call(
        client, "POST", f"{path}/resolve", 200, json={"resolution_code": "answered"}, headers=maya
    )
    resolved = await call(client, "GET", survey_path("conv-agent"), 200)
    comment = "Maya was great, card 4242 4242 4242 4242"
    saved = await call(
        client,
        "POST",
        survey_path("conv-agent"),
        201,
        json={"csat": 4, "ces": 7, "comment": comment},
    )

    assert (waiting["open"], waiting["reason"]) == (False, refused["error"])
    assert "not resolved" in refused["error"]
    assert (resolved["open"], resolved["audience"]) == (True, "agent")
    assert (saved["audience"], saved["csat"], saved["ces"]) == ("agent", 4, 7)
    stored = await tickets.get(ticket.ticket_id)
    assert stored is not None and stored.csat is not None
    assert stored.csat.rating == 4
    assert (stored.csat.comment or "").startswith("Maya was great")
    assert "4242 4242" not in (stored.csat.comment or "")  # masked


async def test_a_skipped_survey_is_kept_and_never_asked_again(client, redis_client) -> None:  # type: ignore[no-untyped-def]
    await keep_tracker(redis_client, helped("conv-skip"))

    skipped = await call(client, "POST", survey_path("conv-skip"), 201, json={"skipped": True})
    again = await call(client, "POST", survey_path("conv-skip"), 409, json={"csat": 2})

    assert (skipped["skipped"], skipped["csat"], skipped["ces"]) == (True, None, None)
    assert "already recorded" in again["error"]
    assert (await call(client, "GET", survey_path("conv-skip"), 200))["open"] is False


async def test_a_survey_after_the_sessions_record_reaches_the_review_and_the_stream(  # type: ignore[no-untyped-def]
    client, redis_client
) -> None:
    builder = helped("conv-late")
    await keep_tracker(redis_client, builder)
    session = read_session(stored_form(builder))
    assert session is not None
    outcome = OutcomeRecord(
        conversation_id="conv-late",
        session=session.key,
        started_at=session.started_at,
        ended_at=session.last_activity_at,
        outcome="contained",
        turns=2,
        last_answer_helpful=True,
    )
    app = client.server.app
    await app[REVIEW].capture(outcome, stored_form(builder))  # the watchdog's hook, then
    await app[HANDOFF].outcomes.write(outcome, now=OPEN_HOURS)  # the record

    await call(client, "POST", survey_path("conv-late"), 201, json={"csat": 1, "ces": 2})

    entries = await redis_client.xrange(keys.STREAM)
    assert [fields["kind"] for _, fields in entries] == ["outcome", "survey"]
    waiting, queue = await app[REVIEW].queue()
    assert waiting == 1 and queue[0].conversation_id == "conv-late"
    assert "low_csat" in queue[0].sampled_by


async def test_surveys_are_counted_by_audience_and_answer(client, redis_client) -> None:  # type: ignore[no-untyped-def]
    await keep_tracker(redis_client, helped("conv-count-1"))
    await keep_tracker(redis_client, helped("conv-count-2"))
    await call(client, "POST", survey_path("conv-count-1"), 201, json={"ces": 5})
    await call(client, "POST", survey_path("conv-count-2"), 201, json={"skipped": True})

    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    page = await response.text()

    assert 'support_surveys_total{answer="answered",audience="bot"} 1.0' in page
    assert 'support_surveys_total{answer="skipped",audience="bot"} 1.0' in page
