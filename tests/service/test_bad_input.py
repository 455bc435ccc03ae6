"""Bad input gets a clear 4xx JSON error, never a 500: bodies nested thousands of levels deep,
half an emoji (a lone UTF-16 surrogate), bodies that are not JSON objects, and HTTP methods a
route does not take. The real service (real model, real Redis) and the real gateway."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from gateway.server import create_app as create_gateway
from tests.gateway.console_support import console_settings
from tests.gateway.support import gateway_settings
from tests.support.handoff import HUB, agent_headers, conversation, handoff_body

# About 40 KB each, under every body limit: Python's json module recurses once per level.
NESTED_BODIES = {
    "arrays": "[" * 40_000,
    "objects": '{"a":' * 8_000 + "1" + "}" * 8_000,
}
SERVICE_BODY_ROUTES = [
    ("POST", "/kb/search"),
    ("POST", "/kb/feedback"),
    ("POST", "/nlu/embed"),
    ("POST", "/handoff/tickets"),
    ("POST", "/handoff/conversations/conv-1/survey"),
]
AGENT_BODY_ROUTES = [
    ("PUT", "/agent/presence"),
    ("POST", "/agent/tickets/tk-1/reply"),
    ("POST", "/agent/tickets/tk-1/escalate"),
]
HALF_AN_EMOJI = "\ud83d"  # the first half of a surrogate pair, as a cut-off message ends
REPLACEMENT = "\ufffd"


@pytest.fixture
def service(handoff_client: TestClient) -> TestClient:
    return handoff_client


@pytest.fixture
async def priya(redis_url: str) -> dict[str, str]:
    return await agent_headers(redis_url, "priya")


async def error_of(response: Any, status: int) -> str:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    error: str = (await response.json())["error"]
    return error


def allowed(response: Any) -> set[str]:
    return {method.strip() for method in response.headers["Allow"].split(",")}


def as_json(body: object) -> dict[str, Any]:
    """Keyword arguments posting `body` as JSON text (json.dumps escapes a lone surrogate)."""
    return {"data": json.dumps(body), "headers": {"Content-Type": "application/json"}}


@pytest.mark.parametrize("shape", sorted(NESTED_BODIES))
@pytest.mark.parametrize(("method", "path"), SERVICE_BODY_ROUTES)
async def test_deeply_nested_json_is_a_400_on_every_service_route(  # type: ignore[no-untyped-def]
    service, method, path, shape
) -> None:
    response = await service.request(
        method,
        path,
        data=NESTED_BODIES[shape],
        headers={"Content-Type": "application/json"},
    )
    assert "deeper than 32 levels" in await error_of(response, 400)


@pytest.mark.parametrize(("method", "path"), AGENT_BODY_ROUTES)
async def test_deeply_nested_json_is_a_400_on_the_agent_api(service, priya, method, path) -> None:  # type: ignore[no-untyped-def]
    headers = {**priya, "Content-Type": "application/json"}
    response = await service.request(method, path, data=NESTED_BODIES["arrays"], headers=headers)
    assert "deeper than 32 levels" in await error_of(response, 400)


async def test_a_message_ending_in_half_an_emoji_still_gets_its_vector(service, embedder) -> None:  # type: ignore[no-untyped-def]
    texts = ["where is my order " + HALF_AN_EMOJI, "\udc00"]
    response = await service.post("/nlu/embed", **as_json({"texts": texts}))
    assert response.status == 200, await response.text()
    vectors = np.asarray((await response.json())["vectors"], dtype=np.float32)
    expected = embedder.embed(["where is my order " + REPLACEMENT, REPLACEMENT])
    assert vectors.shape == (2, 384)
    assert np.allclose(vectors, expected, atol=1e-5)


async def test_a_question_ending_in_half_an_emoji_is_answered(service) -> None:  # type: ignore[no-untyped-def]
    query = "when will my refund show up on my card? " + HALF_AN_EMOJI
    response = await service.post("/kb/search", **as_json({"query": query}))
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["answered"] is True
    assert body["answer"]["article_id"] == "refund-timeline"
    assert body["query"].endswith(REPLACEMENT)


async def test_an_unanswered_question_with_half_an_emoji_is_recorded(service) -> None:  # type: ignore[no-untyped-def]
    query = "do you have a loyalty points programme " + HALF_AN_EMOJI
    response = await service.post("/kb/search", **as_json({"query": query}))
    assert response.status == 200, await response.text()
    assert (await response.json())["miss_recorded"] is True
    listing = await (await service.get("/kb/unanswered")).json()
    assert listing["questions"][0]["question"].startswith("do you have a loyalty points")


async def test_a_handoff_whose_transcript_holds_half_an_emoji_is_stored(service) -> None:  # type: ignore[no-untyped-def]
    body = handoff_body(conversation(HUB, "it is still blinking " + HALF_AN_EMOJI))
    response = await service.post("/handoff/tickets", **as_json(body))
    assert response.status == 201, await response.text()
    ticket = await (await service.get("/handoff/conversations/conv-1")).json()
    assert ticket["conversation_state"] == "waiting"


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        ("[1, 2]", "application/json", "the body must be a JSON object"),
        ('"text"', "application/json", "the body must be a JSON object"),
        ("", "application/json", "the body must be JSON"),
        ('{"query": "hi"', "application/json", "the body must be JSON"),
        ('{"query": "hi", "x": NaN}', "application/json", "NaN is not a JSON number"),
        ('{"query": "hi", "x": 1e999}', "application/json", "finite numbers"),
        ('{"query": "hi"}', "text/plain", "Content-Type: application/json"),
        ("query=hi", "application/x-www-form-urlencoded", "Content-Type: application/json"),
        (b'{"query": "caf\xe9"}', "application/json", "UTF-8"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_a_clear_400(  # type: ignore[no-untyped-def]
    service, data, content_type, message
) -> None:
    response = await service.post("/kb/search", data=data, headers={"Content-Type": content_type})
    assert message in await error_of(response, 400)


async def test_a_body_over_the_limit_is_a_413(service) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"texts": ["x" * 1000] * 100})  # about 100 KB, over 96 KiB
    response = await service.post("/nlu/embed", data=body)
    assert "larger than 98304 bytes" in await error_of(response, 413)


async def test_escalate_takes_no_body_as_no_reason(service, priya) -> None:  # type: ignore[no-untyped-def]
    response = await service.post("/agent/tickets/tk-missing/escalate", headers=priya)
    assert "no ticket tk-missing" in await error_of(response, 404)


@pytest.mark.parametrize("method", ["TRACE", "PATCH", "DELETE", "OPTIONS"])
async def test_a_method_a_route_does_not_take_is_a_json_405_naming_the_allowed(  # type: ignore[no-untyped-def]
    service, method
) -> None:
    response = await service.request(method, "/kb/search")
    assert f"{method} is not allowed on /kb/search" in await error_of(response, 405)
    assert response.headers["Allow"] == "POST"
    health = await service.request(method, "/health")
    await error_of(health, 405)
    assert allowed(health) == {"GET", "HEAD"}


# The agent console behind the public gateway: the service authenticates, then parses.


@pytest.fixture
async def gateway(aiohttp_client, redis_url, service):  # type: ignore[no-untyped-def]
    service_url = str(service.make_url("")).rstrip("/")
    return await aiohttp_client(create_gateway(console_settings(redis_url, service_url)))


@pytest.mark.parametrize("shape", sorted(NESTED_BODIES))
async def test_the_console_refuses_a_stranger_before_reading_a_nested_body(  # type: ignore[no-untyped-def]
    gateway, shape
) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await gateway.post(
            "/console/api/tickets/tk-1/note",
            data=NESTED_BODIES[shape],
            headers={**headers, "Content-Type": "application/json"},
        )
        assert "agent token" in await error_of(response, 401)


async def test_the_console_passes_an_agents_nested_body_to_a_clear_400(gateway, priya) -> None:  # type: ignore[no-untyped-def]
    response = await gateway.post(
        "/console/api/tickets/tk-1/note", data=NESTED_BODIES["objects"], headers=priya
    )
    assert "deeper than 32 levels" in await error_of(response, 400)


async def test_the_gateway_answers_a_method_it_does_not_take_with_a_json_405(  # type: ignore[no-untyped-def]
    aiohttp_client, redis_url
) -> None:
    gateway = await aiohttp_client(
        create_gateway(gateway_settings(redis_url, "http://127.0.0.1:9"))
    )
    for method in ("TRACE", "DELETE"):
        response = await gateway.request(method, "/health")
        assert f"{method} is not allowed on /health" in await error_of(response, 405)
        assert allowed(response) == {"GET", "HEAD"}


async def test_a_tracker_whose_events_are_not_objects_is_a_400(service) -> None:  # type: ignore[no-untyped-def]
    body = {"conversation_id": "c1", "tracker": {"events": [[None, None]], "slots": {}}}
    response = await service.post("/handoff/tickets", json=body)
    assert 'an "events" list of objects' in await error_of(response, 400)
