"""Bad input gets a clear 4xx JSON error, never a 500: bodies nested thousands of levels deep,
half an emoji (a lone UTF-16 surrogate), bodies that are not JSON objects, and HTTP methods a
route does not take. The real service (real model, real Redis) and the real gateway."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app as create_gateway
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


# What the fuzzing found (tests/service/test_fuzz_openapi.py, docs/openapi.yaml)


async def raw_request(client: Any, head: bytes, body: bytes = b"") -> tuple[int, str, bytes]:
    """One request written byte for byte (an HTTP client would refuse or re-encode it): the
    status, content type and body of the answer."""
    import asyncio

    url = client.make_url("")
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, payload = rest.partition(b"\r\n\r\n")
    content_type = next(
        (
            line.split(b":", 1)[1].strip().decode()
            for line in headers.split(b"\r\n")
            if line.lower().startswith(b"content-type:")
        ),
        "",
    )
    return int(status_line.split()[1]), content_type, payload


NOT_UTF8_TOKEN = b"Authorization: Bearer \xe9t\xe9-\xff\r\n"


@pytest.mark.parametrize("path", ["/kb/articles", "/metrics", "/agent/me"])
async def test_a_token_that_is_not_utf8_is_a_401_not_a_500(service, path) -> None:  # type: ignore[no-untyped-def]
    head = b"GET %s HTTP/1.1\r\nHost: x\r\n" % path.encode() + NOT_UTF8_TOKEN
    status, content_type, body = await raw_request(service, head)
    assert (status, content_type.split(";")[0]) == (401, "application/json"), body
    assert b"token" in body


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_body_that_is_not_in_its_content_encoding_is_a_400(service, encoding) -> None:  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    response = await service.post("/kb/search", data=b'{"query": "hi"}', headers=headers)
    assert "Content-Encoding" in await error_of(response, 400)


@pytest.mark.parametrize(
    "window",
    [
        "from=9999-12-31&to=9999-12-31",
        "from=9999-12-30T00:00&to=9999-12-30T23:00&tz=Etc/GMT%2B12",
        "from=0001-01-01&to=0001-01-02&tz=Asia/Tokyo",
        "from=0001-01-02T00:00%2B14:00&to=0001-01-02T05:00",
    ],
)
async def test_a_window_at_the_end_of_the_calendar_is_a_400(service, redis_url, window) -> None:  # type: ignore[no-untyped-def]
    supervisor = await agent_headers(redis_url, "dana")
    for route in ("metrics", "series?metric=first_response_seconds&step=hour", "agents"):
        sep = "&" if "?" in route else "?"
        response = await service.get(
            f"/agent/analytics/{route}{sep}window=custom&{window}", headers=supervisor
        )
        assert "from and to must be dates from 0001-01-03 to 9999-12-29" in await error_of(
            response, 400
        )
    near = "window=custom&from=9999-12-29&to=9999-12-29&tz=Pacific/Kiritimati"
    response = await service.get(
        f"/agent/analytics/series?metric=containment&{near}", headers=supervisor
    )
    assert response.status == 200, await response.text()


@pytest.mark.parametrize("path", ["/console/api/me", "/console/api/tickets/tk-1/note"])
async def test_the_console_takes_a_token_that_is_not_utf8_as_a_wrong_one(gateway, path) -> None:  # type: ignore[no-untyped-def]
    method = b"GET" if path.endswith("/me") else b"POST"
    head = b"%s %s HTTP/1.1\r\nHost: x\r\n" % (method, path.encode()) + NOT_UTF8_TOKEN
    status, content_type, body = await raw_request(gateway, head, b'{"text": "hi"}')
    assert (status, content_type.split(";")[0]) == (401, "application/json"), body


async def test_the_console_refuses_a_body_that_is_not_in_its_content_encoding(
    gateway, priya
) -> None:  # type: ignore[no-untyped-def]
    headers = {**priya, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = await gateway.post(
        "/console/api/tickets/tk-1/note", data=b'{"text": "hi"}', headers=headers
    )
    assert "Content-Encoding" in await error_of(response, 400)
