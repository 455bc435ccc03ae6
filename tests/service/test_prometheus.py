"""The service's /metrics (service/prometheus.py): behind the service token, what a handoff, an
SLA breach, a survey and a request add to it, label values that stay bounded, and live gauges
that a failed Redis read leaves out instead of failing the page."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.redis_client import RedisUnavailable
from service.keys import HANDOFF
from service.prometheus import LiveGauges, ServiceMetrics
from tests.conftest import TOKEN
from tests.support.handoff import (
    HUB,
    PAYMENT,
    agent_headers,
    conversation,
    go_online,
    handoff_body,
    record,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: Any) -> tuple[str, Samples]:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    page = await response.text()
    found = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }
    return page, found


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


async def test_prometheus_token_reads_the_metrics_and_nothing_else(
    aiohttp_client: Any, redis_url: str, articles_dir: Any, embedder: Any, clock: Any
) -> None:
    from tests.support.handoff import handoff_settings, start_app

    metrics_token = "metrics-" + "m" * 24
    settings = handoff_settings(redis_url, articles_dir, METRICS_TOKEN=metrics_token)
    client = await start_app(aiohttp_client, settings, embedder, clock)
    prometheus = {"Authorization": f"Bearer {metrics_token}"}

    response = await client.get("/metrics", headers=prometheus)
    assert response.status == 200
    assert "support_conversations_total" in await response.text()
    for path in ("/kb/unanswered", "/kb/articles"):
        response = await client.get(path, headers=prometheus)
        assert response.status == 401, path
    response = await client.post("/handoff/tickets", json={}, headers=prometheus)
    assert response.status == 401


def test_a_short_metrics_token_is_refused(redis_url: str, articles_dir: Any) -> None:
    from infra.env import SettingsError
    from tests.support.handoff import handoff_settings

    with pytest.raises(SettingsError, match="METRICS_TOKEN must be a secret of at least 24"):
        handoff_settings(redis_url, articles_dir, METRICS_TOKEN="short")


async def open_ticket(client: Any, conversation_id: str) -> dict[str, Any]:
    body = handoff_body(conversation(HUB, conversation_id=conversation_id))
    response = await client.post("/handoff/tickets", json=body)
    assert response.status in (200, 201), await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_metrics_need_the_service_token(handoff_client: Any) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer not-the-token"}):
        response = await handoff_client.get("/metrics", headers=headers)
        assert response.status == 401
        assert (await response.json()) == {"error": "missing or wrong service token"}
    page, _ = await scrape(handoff_client)
    for family, kind in (
        ("support_escalations_total", "counter"),
        ("support_handoff_duration_seconds", "histogram"),
        ("support_queue_depth", "gauge"),
    ):
        assert f"# TYPE {family} {kind}\n" in page


async def test_a_handoff_is_counted_by_reason_type_team_and_placement(
    handoff_client: Any, redis_url: str
) -> None:
    _, before = await scrape(handoff_client)
    assert value(before, "support_queue_depth", team="technical") == 0
    assert value(before, "support_agents_online", team="technical") == 0

    first = await open_ticket(handoff_client, "conv-queued")
    await open_ticket(handoff_client, "conv-queued")  # the same escalation again: one ticket
    _, found = await scrape(handoff_client)
    desk = handoff_client.server.app[HANDOFF]
    stored = await desk.store.tickets.get(first["ticket_id"])
    labels = {
        "reason": "explicit_request",
        "escalation_type": stored.routing.escalation_type,
        "team": "technical",
    }
    assert value(found, "support_escalations_total", **labels) == 1
    # nobody of the team is online: the ticket goes offline (a follow-up promise), and waits
    assert value(found, "support_handoffs_total", placement="offline") == 1
    assert value(found, "support_handoff_duration_seconds_count") == 1
    assert 0 < (value(found, "support_handoff_duration_seconds_sum") or 0) < 30
    assert value(found, "support_queue_depth", team="technical") == 1

    priya = await agent_headers(redis_url, "priya")
    await go_online(handoff_client, priya)  # takes the waiting ticket
    second = await open_ticket(handoff_client, "conv-assigned")
    _, found = await scrape(handoff_client)
    assert value(found, "support_escalations_total", **labels) == 2
    assert value(found, "support_handoffs_total", placement="assigned") == 1
    assert value(found, "support_agents_online", team="technical") == 1
    assert value(found, "support_agents_online", team="billing") == 0

    ticket_id = second["ticket_id"]
    for action, body in (("claim", {}), ("resolve", {"resolution_code": "answered"})):
        await handoff_client.post(f"/agent/tickets/{ticket_id}/{action}", json=body, headers=priya)
    # surveys are counted in tests/service/test_surveys_api.py


async def test_an_sla_breach_is_counted_by_kind_and_team(handoff_client: Any, clock: Any) -> None:
    await open_ticket(handoff_client, "conv-late")
    clock.advance(minutes=31)  # the normal first response (30 minutes) is missed
    for _ in range(100):
        _, found = await scrape(handoff_client)
        if value(found, "support_sla_breaches_total", kind="first_response", team="technical"):
            break
        await asyncio.sleep(0.05)
    assert value(found, "support_sla_breaches_total", kind="first_response", team="technical") == 1


async def test_requests_are_timed_by_route_pattern_never_by_path(handoff_client: Any) -> None:
    await handoff_client.get("/handoff/conversations/conv-private-4711")
    await handoff_client.get("/no/such/path-4711")
    await handoff_client.get("/kb/articles", headers={"Authorization": "Bearer wrong"})
    page, found = await scrape(handoff_client)
    timed = {
        (dict(labels)["route"], dict(labels)["status"]): count
        for (name, labels), count in found.items()
        if name == "support_request_duration_seconds_count" and dict(labels)["method"] == "GET"
    }
    assert timed[("/handoff/conversations/{conversation_id}", "200")] == 1
    assert timed[("unmatched", "404")] == 1
    assert timed[("/kb/articles", "401")] == 1
    assert "4711" not in page


def test_label_values_outside_the_vocabulary_become_other() -> None:
    metrics = ServiceMetrics()
    metrics.record_outcome("escalated")
    metrics.record_outcome("anything a caller sends")
    metrics.record_survey("bot", skipped=True)
    metrics.record_survey("<script>")
    metrics.record_breach("first_response", "technical")
    metrics.record_request("BREW", "/health", 405, 0.001)
    sample = metrics.registry.get_sample_value
    assert sample("support_conversations_total", {"outcome": "escalated"}) == 1
    assert sample("support_conversations_total", {"outcome": "other"}) == 1
    assert sample("support_surveys_total", {"audience": "bot", "answer": "skipped"}) == 1
    assert sample("support_surveys_total", {"audience": "other", "answer": "answered"}) == 1
    labels = {"method": "other", "route": "/health", "status": "405"}
    assert sample("support_request_duration_seconds_count", labels) == 1
    assert sample("support_sla_breaches_total", {"kind": "first_response", "team": "technical"})


def test_a_ticket_left_waiting_is_queued_and_an_unknown_reason_is_other() -> None:
    metrics = ServiceMetrics()
    waiting = record(PAYMENT, "conv-1")
    odd = replace(waiting, ticket=replace(waiting.ticket, escalation_decision={"reason": "x"}))
    bare = replace(waiting, ticket=replace(waiting.ticket, escalation_decision=None))
    for each in (waiting, odd, bare):
        metrics.record_new_ticket(each, 0.2)
    sample = metrics.registry.get_sample_value
    assert sample("support_handoffs_total", {"placement": "queued"}) == 3
    kind, team = waiting.routing.escalation_type, waiting.team
    for reason in ("explicit_request", "other", "none"):
        labels = {"reason": reason, "escalation_type": kind, "team": team}
        assert sample("support_escalations_total", labels) == 1, reason
    assert sample("support_handoff_duration_seconds_bucket", {"le": "0.25"}) == 3


def test_two_apps_in_one_process_keep_their_own_figures() -> None:
    first, second = ServiceMetrics(), ServiceMetrics()
    first.record_outcome("contained")
    assert first.registry.get_sample_value("support_conversations_total", {"outcome": "contained"})
    assert (
        second.registry.get_sample_value("support_conversations_total", {"outcome": "contained"})
        is None
    )


class _Tickets:
    def __init__(self, fail: BaseException | None = None, delay: float = 0.0) -> None:
        self.fail, self.delay = fail, delay

    async def queue(self, team: str, limit: int) -> tuple[int, list[str]]:
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return 3, ["tk-1"]


def _desk(tickets: _Tickets) -> Any:
    async def agent_pool() -> list[Any]:
        return [SimpleNamespace(presence="online", teams=frozenset({"billing"}))]

    return SimpleNamespace(
        routing=SimpleNamespace(teams={"billing": None, "technical": None}),
        store=SimpleNamespace(tickets=tickets),
        agent_pool=agent_pool,
    )


@pytest.mark.parametrize(
    "tickets",
    [_Tickets(fail=RedisUnavailable("down")), _Tickets(delay=1.0)],
    ids=["redis-down", "redis-slow"],
)
async def test_a_failed_live_read_leaves_the_gauges_without_samples(tickets: _Tickets) -> None:
    gauges = LiveGauges()
    await gauges.refresh(_desk(_Tickets()), timeout=0.5)
    assert [len(family.samples) for family in gauges.collect()] == [2, 2]

    await gauges.refresh(_desk(tickets), timeout=0.1)
    families = list(gauges.collect())
    assert [family.name for family in families] == ["support_queue_depth", "support_agents_online"]
    assert [family.samples for family in families] == [[], []]
