"""The survey over socket.io end to end: real socket.io clients, the real gateway, the real
service app (real model, real Redis) and a stand-in Rasa that keeps its tracker in Redis as
Rasa's tracker store does. "Yes, that helped" brings `survey_request` about the assistant, an
agent's resolve one about the agent; the answers come back as `survey_saved`, once: a second
survey is "already recorded" (the service's 409), answers out of range are `invalid_survey`
before anything is sent, and a survey nobody asked for is `survey_not_open`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.app import create_app as create_gateway
from gateway.surveys import HELPFUL_PAYLOAD
from handoff import lifecycle
from handoff import store as handoff_store
from outcomes import keys
from tests.conftest import TOKEN
from tests.gateway.console_support import service_app
from tests.gateway.support import (
    ORIGIN,
    Widget,
    conversation_of,
    gateway_settings,
    stand_in_rasa,
    wait_for,
)
from tests.outcomes.conversations import stored_form
from tests.support.handoff import OPEN_HOURS, PAYMENT, MovableClock, handoff_settings, record
from tests.support.rasa_tracker import TrackerBuilder

QUESTION = "how long do refunds take?"
HELPFUL = [{"title": "Yes, that helped", "payload": HELPFUL_PAYLOAD}]
GLAD = "Glad that helped!"
ANSWER = "Refunds take 3-5 business days."
START = (OPEN_HOURS - timedelta(minutes=10)).timestamp()


@dataclass
class SurveyWidget(Widget):
    requests: list[dict[str, Any]] = field(default_factory=list)
    saved: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TrackingRasa:
    """Answers with an article and the feedback buttons; keeps the tracker in Redis."""

    client: redis.Redis

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        builder = TrackerBuilder(sender_id=body["sender"], start=START).session_start()
        builder.user(QUESTION, "refund_request")
        builder.kb_answer("refund-timeline", "When will I get my refund?", 0.82)
        if body["message"] == HELPFUL_PAYLOAD:
            builder.feedback(helpful=True).bot(GLAD).listen()
            reply: dict[str, Any] = {"text": GLAD}
        else:
            reply = {"text": ANSWER, "buttons": HELPFUL}
        await self.client.set(keys.tracker(body["sender"]), json.dumps(stored_form(builder)))
        return web.json_response([{"recipient_id": body["sender"], **reply}])


@pytest.fixture
async def connect(
    redis_url: str, redis_client: redis.Redis, articles_dir: Path, embedder: Any
) -> AsyncIterator[Any]:
    """connect() -> a SurveyWidget on a gateway in front of the real service."""
    app = service_app(handoff_settings(redis_url, articles_dir), embedder, MovableClock())
    service = TestServer(app, host="127.0.0.1")
    await service.start_server()
    clients: list[socketio.AsyncClient] = []
    async with stand_in_rasa(TrackingRasa(redis_client).webhook) as rasa_url:
        settings = gateway_settings(
            redis_url,
            rasa_url,
            SERVICE_URL=str(service.make_url("")).rstrip("/"),
            SERVICE_TOKEN=TOKEN,
        )
        gateway = TestServer(create_gateway(settings), host="127.0.0.1")
        await gateway.start_server()

        async def open_widget() -> SurveyWidget:
            client = socketio.AsyncClient(reconnection=False)
            widget = SurveyWidget(client)
            for event, sink in (
                ("bot_uttered", widget.bot),
                ("gateway_error", widget.errors),
                ("session_confirm", widget.confirmed),
                ("survey_request", widget.requests),
                ("survey_saved", widget.saved),
            ):
                client.on(event, sink.append)
            clients.append(client)
            url = str(gateway.make_url("")).rstrip("/")
            await client.connect(url, headers={"Origin": ORIGIN}, transports=["websocket"])
            await widget.start_session()
            return widget

        yield open_widget
        for client in clients:
            if client.connected:
                await client.disconnect()
        await gateway.close()
    await service.close()


async def helped(widget: SurveyWidget) -> None:
    """The customer asks, then presses "Yes, that helped"."""
    await widget.say(QUESTION)
    await wait_for(lambda: len(widget.bot) == 1)
    await widget.say(HELPFUL_PAYLOAD)
    await wait_for(lambda: GLAD in texts(widget))


def texts(widget: SurveyWidget) -> list[str]:
    return [message.get("text", "") for message in widget.bot]


async def survey_scores(client: redis.Redis, conversation_id: str) -> dict[str, int]:
    """The scores the outcome store kept for the conversation's session (outcomes/store.py)."""
    (key,) = [key async for key in client.scan_iter(keys.survey(conversation_id, "*"))]
    survey = json.loads(await client.get(key))["survey"]
    return {name: value for name, value in survey.items() if name in ("csat", "ces") and value}


async def test_yes_that_helped_brings_one_survey_about_the_assistant(connect) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await helped(widget)
    await wait_for(lambda: widget.requests)

    request = widget.requests[0]
    assert (request["audience"], request["comment"]) == ("bot", False)
    assert [question["name"] for question in request["questions"]] == ["csat", "ces"]
    await widget.client.emit("survey", {"csat": 5, "ces": 6})
    await wait_for(lambda: widget.saved)
    assert widget.saved == [{"skipped": False, "already_recorded": False}]

    await widget.say(HELPFUL_PAYLOAD)  # pressed again: the session's survey is answered
    await widget.client.emit("survey", {"ces": 2})  # a second one anyway
    await wait_for(lambda: len(widget.saved) == 2)
    assert widget.saved[1] == {"skipped": False, "already_recorded": True}
    assert len(widget.requests) == 1 and widget.errors == []


async def test_a_skipped_survey_is_saved_as_skipped(connect) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await helped(widget)
    await wait_for(lambda: widget.requests)
    await widget.client.emit("survey", {"skipped": True})
    await wait_for(lambda: widget.saved)
    assert widget.saved == [{"skipped": True, "already_recorded": False}]


async def test_a_stock_widget_gets_the_question_as_buttons_and_a_pressed_one_is_the_answer(  # type: ignore[no-untyped-def]
    connect, redis_client
) -> None:
    """rasa-webchat ignores survey_request and survey_saved: it shows the chat text beside them,
    and a score button's payload comes back as a message that the service keeps as the survey
    (never sent to Rasa as the customer's words)."""
    widget = await connect()
    await helped(widget)
    await wait_for(lambda: any(m.get("quick_replies") for m in widget.bot[2:]))
    (question,) = [m for m in widget.bot if m.get("metadata", {}).get("event") == "survey_request"]
    assert set(question) == {"text", "quick_replies", "metadata"}  # rendered as text + buttons
    assert question["text"].startswith("How satisfied are you with the help you got?")
    assert [(b["title"], b["payload"]) for b in question["quick_replies"]] == [
        (str(score), f'/survey{{"csat":{score}}}') for score in range(1, 6)
    ]
    assert question["metadata"]["also_sent_as"] == "survey_request"  # our widget skips it

    await widget.say('/survey{"csat":4}')  # the button "4" pressed
    await wait_for(lambda: "Thank you: your answer is recorded." in texts(widget))
    assert widget.saved == [{"skipped": False, "already_recorded": False}]
    await widget.say('/survey{"csat":1}')  # pressed again later
    await wait_for(lambda: "Your answer was already recorded. Thank you." in texts(widget))
    assert texts(widget).count(ANSWER) == 1  # Rasa never got the scores
    conversation_id = await conversation_of(redis_client, widget.session_id)
    assert await survey_scores(redis_client, conversation_id) == {"csat": 4}
    assert widget.errors == []


async def test_a_score_typed_out_of_range_or_with_no_survey_open_is_answered_in_the_chat(  # type: ignore[no-untyped-def]
    connect,
) -> None:
    widget = await connect()
    await widget.say('/survey{"csat":5}')  # nothing asked for a survey
    await wait_for(lambda: "There is no survey to answer now." in texts(widget))
    await helped(widget)
    await widget.say('/survey{"csat":9}')
    await wait_for(lambda: "Csat must be a whole number from 1 to 5." in texts(widget))
    await widget.say("/survey{not json")
    await wait_for(lambda: len(widget.errors) == 3)
    assert [error["code"] for error in widget.errors] == ["survey_not_open"] + [
        "invalid_survey"
    ] * 2
    assert widget.saved == []


@pytest.mark.parametrize(
    "payload",
    [{"csat": 0}, {"csat": 6}, {"ces": 8}, {"ces": "7"}, {}, {"skipped": True, "csat": 2}, "5"],
)
async def test_answers_out_of_range_are_an_invalid_survey_error(connect, payload) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.client.emit("survey", payload)
    await wait_for(lambda: widget.errors)
    assert widget.errors[0]["code"] == "invalid_survey"
    assert widget.errors[0]["message"]
    assert widget.saved == []


async def test_a_survey_nobody_asked_for_is_not_open(connect) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.client.emit("survey", {"csat": 5})  # no conversation yet
    await wait_for(lambda: widget.errors)
    await widget.say(QUESTION)  # answered, not marked helpful
    await wait_for(lambda: widget.bot)
    await widget.client.emit("survey", {"csat": 5})
    await wait_for(lambda: len(widget.errors) == 2)
    assert [error["code"] for error in widget.errors] == ["survey_not_open"] * 2
    assert widget.requests == [] and widget.saved == []


async def test_an_agents_resolve_brings_the_survey_about_the_agent(  # type: ignore[no-untyped-def]
    connect, redis_url, redis_client
) -> None:
    widget = await connect()
    await widget.say(QUESTION)
    await wait_for(lambda: widget.bot)
    conversation_id = await conversation_of(redis_client, widget.session_id)
    store = await handoff_store.create(redis_url)
    try:
        ticket = record(PAYMENT, conversation_id, at=OPEN_HOURS)
        await store.tickets.add(ticket)
        for step in (
            lambda r: lifecycle.assign(r, "maya", now=OPEN_HOURS, by="maya"),
            lambda r: lifecycle.resolve(r, "maya", "answered", now=OPEN_HOURS),
        ):
            await store.tickets.update(ticket.ticket_id, step)
        await redis_client.xadd(
            f"handoff:outbox:{conversation_id}", {"type": "resolved", "agent_name": "Maya Okafor"}
        )
        await wait_for(lambda: widget.requests)
        assert (widget.requests[0]["audience"], widget.requests[0]["comment"]) == ("agent", True)

        await widget.client.emit("survey", {"csat": 4, "ces": 7, "comment": " Quick and kind. "})
        await wait_for(lambda: widget.saved)

        stored = await store.tickets.get(ticket.ticket_id)
        assert stored is not None and stored.csat is not None
        assert (stored.csat.rating, stored.csat.comment) == (4, "Quick and kind.")
    finally:
        await store.close()
