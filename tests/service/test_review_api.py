"""The QA review API on the real app and Redis: the queue, a conversation with the decision of
every turn, verdicts and scorecards, the roles, and bad input answered with a 4xx and nothing
stored twice."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from outcomes.record import Escalation, OutcomeRecord, Survey, TicketTimes
from review.sampling import share
from service.desk.review import ReviewDesk
from service.keys import REVIEW
from tests.conftest import TOKEN
from tests.review.support import EXCHANGES_VERSION, two_misses_tracker
from tests.support.handoff import HUB, agent_headers, conversation, handoff_body, handoff_settings

SESSION = "2026-03-14T09:20:05.000Z"
CONVERSATION = f"/agent/review/conversations/conv-7/{SESSION}"


def escalated(conversation_id: str = "conv-7") -> OutcomeRecord:
    return OutcomeRecord(
        conversation_id=conversation_id,
        session=SESSION,
        started_at=SESSION,
        ended_at="2026-03-14T09:50:00.000Z",
        outcome="escalated",
        turns=2,
        escalation=Escalation("unresolved", "functional", "general", "normal", 2, False),
        # the agent marked "escalation not needed": always sampled (review/sampling.yml)
        ticket=TicketTimes("tk-1", "2026-03-14T09:22:00.000Z", escalation_not_needed=True),
    )


@pytest.fixture
async def client(
    aiohttp_client, redis_url, articles_dir, embedder, redis_client, clock
) -> TestClient:  # type: ignore[no-untyped-def]
    """The real service, which opens the review desk."""
    from service.app import create_app

    settings = handoff_settings(redis_url, articles_dir)
    app = create_app(settings, embedder_factory=lambda: embedder, clock=clock)
    return await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
async def people(redis_url) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """dana is a supervisor; priya and sam are agents."""
    return {name: await agent_headers(redis_url, name) for name in ("dana", "priya", "sam")}


def desk(client: TestClient) -> ReviewDesk:
    return client.server.app[REVIEW]


async def answer(response: Any, status: int) -> Any:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


async def test_the_watchdogs_capture_queues_a_sampled_session_once(client, people) -> None:  # type: ignore[no-untyped-def]
    tracker = two_misses_tracker().tracker()
    assert await desk(client).capture(escalated(), tracker) is not None
    assert (
        await desk(client).capture(escalated(), tracker) is not None
    )  # a retry stores nothing new
    assert await desk(client).capture(escalated("conv-x"), {"events": "nope"}) is None  # logged

    queue = await answer(await client.get("/agent/review/queue", headers=people["dana"]), 200)

    assert queue["waiting"] == 1
    (entry,) = queue["queue"]
    assert entry["key"] == f"conv-7:{SESSION}"
    assert "escalation_not_needed" in entry["sampled_by"]
    assert entry["ticket_id"] == "tk-1"
    assert (entry["outcome"], entry["escalation_turn"]) == ("escalated", 2)


async def test_a_low_survey_after_the_record_puts_the_session_in_the_queue(client, people) -> None:  # type: ignore[no-untyped-def]
    contained = dataclasses.replace(
        escalated("conv-8"), outcome="contained", escalation=None, ticket=None
    )
    assert share("contained", contained.key) >= 0.05  # the 5 % of contained sessions leave it out
    review = desk(client)
    assert await review.capture(contained, two_misses_tracker("conv-8").tracker()) is not None
    assert (await review.queue())[0] == 0

    happy = await review.survey_answered("conv-8", SESSION, Survey("bot", csat=5, ces=7))
    unknown = await review.survey_answered("conv-none", SESSION, Survey("bot", csat=1))
    unhappy = await review.survey_answered("conv-8", SESSION, Survey("bot", csat=1))
    again = await review.survey_answered("conv-8", SESSION, Survey("bot", ces=1))

    assert (happy, unknown, unhappy, again) == (False, False, True, False)
    queue = await answer(await client.get("/agent/review/queue", headers=people["dana"]), 200)
    assert [(e["key"], e["sampled_by"]) for e in queue["queue"]] == [
        (f"conv-8:{SESSION}", ["low_csat"])
    ]


async def test_a_supervisor_reads_the_transcript_with_every_turns_decision(client, people) -> None:  # type: ignore[no-untyped-def]
    await desk(client).capture(escalated(), two_misses_tracker().tracker())

    reviewed = await answer(await client.get(CONVERSATION, headers=people["dana"]), 200)

    assert [t["number"] for t in reviewed["turns"]] == [1, 2]
    second = reviewed["turns"][1]
    assert "[card ending 4242]" in second["text"]
    assert "vector" not in second
    assert second["decision"]["action"] == "offer"
    assert second["decision"]["reason"] == "unresolved"
    assert "kb_miss" in second["decision"]["explanation"]
    assert reviewed["recorded"][1] == {
        "turn": 2,
        "action": "offer",
        "reason": "unresolved",
        "score": 1.5,
    }
    assert reviewed["verdict"] is None
    assert reviewed["sample"]["sampled_by"]
    closest = reviewed["articles_shown"][0]  # offered at turn 1, with the version it had
    assert (closest["article_id"], closest["turn"]) == ("exchanges", 1)
    assert (closest["article_version"], closest["article_updated"]) == EXCHANGES_VERSION


async def test_one_verdict_per_session_and_it_leaves_the_queue(client, people) -> None:  # type: ignore[no-untyped-def]
    await desk(client).capture(escalated(), two_misses_tracker().tracker())
    url = CONVERSATION + "/verdict"

    given = await answer(
        await client.post(
            url, json={"verdict": "right", "note": "fair offer"}, headers=people["dana"]
        ),
        201,
    )
    again = await answer(
        await client.post(url, json={"verdict": "over"}, headers=people["dana"]), 409
    )

    assert (given["verdict"], given["turn"], given["reviewer"]) == ("right", 2, "dana")
    assert "already has a verdict" in again["error"]
    reviewed = await answer(await client.get(CONVERSATION, headers=people["dana"]), 200)
    assert reviewed["verdict"]["verdict"] == "right"
    queue = await answer(await client.get("/agent/review/queue", headers=people["dana"]), 200)
    assert queue["waiting"] == 0
    figures = await desk(client).verdicts()
    assert [(v.conversation_key, v.verdict, v.turn) for v in figures] == [
        (f"conv-7:{SESSION}", "right", 2)
    ]


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        (CONVERSATION + "/verdict", {"verdict": "under"}, 400, "needs the turn"),
        (CONVERSATION + "/verdict", {"verdict": "late", "turn": 9}, 400, "customer turns (1-2)"),
        (CONVERSATION + "/verdict", {"verdict": "meh"}, 400, "verdict must be one of"),
        (CONVERSATION + "/verdict", {"verdict": "over", "x": 1}, 400, "unknown fields"),
        (
            f"/agent/review/conversations/conv-404/{SESSION}/verdict",
            {"verdict": "over"},
            404,
            "no review case",
        ),
        (
            "/agent/review/conversations/conv-7/yesterday/verdict",
            {"verdict": "over"},
            400,
            "session must be",
        ),
        (
            f"/agent/review/conversations/bad%20id/{SESSION}/verdict",
            {"verdict": "over"},
            400,
            "conversation_id",
        ),
    ],
)
async def test_a_bad_verdict_is_a_4xx_and_stores_nothing(
    client, people, path, body, status, error
) -> None:  # type: ignore[no-untyped-def]
    await desk(client).capture(escalated(), two_misses_tracker().tracker())

    refused = await answer(await client.post(path, json=body, headers=people["dana"]), status)

    assert error in refused["error"]
    assert await desk(client).store.verdicts() == []


async def test_not_json_and_too_large_bodies_are_refused(client, people) -> None:  # type: ignore[no-untyped-def]
    await desk(client).capture(escalated(), two_misses_tracker().tracker())
    url = CONVERSATION + "/verdict"
    headers = {**people["dana"], "Content-Type": "application/json"}
    await answer(await client.post(url, data="verdict=over", headers=headers), 400)
    big = {"verdict": "over", "note": "x" * 9000}
    await answer(await client.post(url, json=big, headers=people["dana"]), 413)


async def test_agents_cannot_review(client, people) -> None:  # type: ignore[no-untyped-def]
    await desk(client).capture(escalated(), two_misses_tracker().tracker())
    for method, path, body in (
        ("GET", "/agent/review/queue", None),
        ("GET", CONVERSATION, None),
        ("POST", CONVERSATION + "/verdict", {"verdict": "over"}),
        ("POST", "/agent/review/tickets/tk-1/scorecard", {}),
    ):
        refused = await answer(
            await client.request(method, path, json=body, headers=people["priya"]), 403
        )
        assert "supervisor" in refused["error"]
    assert (await client.get("/agent/review/queue")).status == 401  # the service token is no agent
    assert await desk(client).store.verdicts() == []


async def closed_ticket(client: TestClient, people: dict[str, dict[str, str]]) -> str:
    """A technical ticket priya claimed and resolved."""
    created = await client.post("/handoff/tickets", json=handoff_body(conversation(HUB)))
    ticket_id = str((await answer(created, 201))["ticket_id"])
    await answer(
        await client.post(f"/agent/tickets/{ticket_id}/claim", headers=people["priya"]), 200
    )
    resolve = {"resolution_code": "troubleshooting_fixed"}
    await answer(
        await client.post(
            f"/agent/tickets/{ticket_id}/resolve", json=resolve, headers=people["priya"]
        ),
        200,
    )
    return ticket_id


SCORES = {"resolved_need": 5, "accurate": 4, "no_reask": 2, "empathy": 5, "followed_policy": 5}


async def test_a_scorecard_per_handled_ticket_and_agents_see_only_their_own(
    client, people, clock
) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await closed_ticket(client, people)
    url = f"/agent/review/tickets/{ticket_id}/scorecard"

    card = await answer(
        await client.post(
            url, json={**SCORES, "note": "asked for the order number again"}, headers=people["dana"]
        ),
        201,
    )
    await answer(await client.post(url, json=SCORES, headers=people["dana"]), 409)
    await answer(await client.post(url, json={**SCORES, "empathy": 6}, headers=people["dana"]), 400)

    assert (card["agent_id"], card["reviewer"], card["overall"]) == ("priya", "dana", 4.2)
    now = clock()
    scores = await desk(client).qa_scores(now - timedelta(days=1), now + timedelta(seconds=1))
    assert scores == {"priya": 4.2}  # the analytics' QA score per agent
    own = await answer(await client.get("/agent/review/scorecards", headers=people["priya"]), 200)
    assert [c["ticket_id"] for c in own["scorecards"]] == [ticket_id]
    assert own["trend"]["coaching"] == ["no_reask"]
    named = await client.get("/agent/review/scorecards?agent_id=priya", headers=people["priya"])
    await answer(named, 200)
    others = await client.get("/agent/review/scorecards?agent_id=priya", headers=people["sam"])
    assert "only their own" in (await answer(others, 403))["error"]
    sam_own = await answer(await client.get("/agent/review/scorecards", headers=people["sam"]), 200)
    assert sam_own["scorecards"] == []
    everyone = await answer(
        await client.get("/agent/review/scorecards", headers=people["dana"]), 200
    )
    assert set(everyone["agents"]) == {"priya"}
    assert everyone["team"]["train_on"] == ["no_reask"]
    await answer(
        await client.get("/agent/review/scorecards?agent_id=a%20b", headers=people["dana"]), 400
    )


async def test_only_a_ticket_an_agent_closed_can_be_scored(client, people) -> None:  # type: ignore[no-untyped-def]
    await answer(
        await client.post(
            "/agent/review/tickets/tk-000000000000/scorecard", json=SCORES, headers=people["dana"]
        ),
        404,
    )
    created = await client.post(
        "/handoff/tickets", json=handoff_body(conversation(HUB, conversation_id="conv-2"))
    )
    waiting = str((await answer(created, 201))["ticket_id"])
    refused = await client.post(
        f"/agent/review/tickets/{waiting}/scorecard", json=SCORES, headers=people["dana"]
    )
    assert "not handled to the end" in (await answer(refused, 400))["error"]
    await answer(
        await client.post(
            "/agent/review/tickets/bad%20id/scorecard", json=SCORES, headers=people["dana"]
        ),
        400,
    )
    assert await desk(client).store.scorecards(None) == []


async def test_queue_limit_must_be_a_small_number(client, people) -> None:  # type: ignore[no-untyped-def]
    for limit in ("0", "201", "ten", "-1"):
        response = await client.get(f"/agent/review/queue?limit={limit}", headers=people["dana"])
        assert "limit must be" in (await answer(response, 400))["error"]
