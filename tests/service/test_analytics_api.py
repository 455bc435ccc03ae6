"""The supervisor's analytics API on the real app and Redis: outcome records written to the
stream as the outcome watchdog writes them, read through the service's cache; the role check,
bad queries, drill-down, per-agent figures, the live queues and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from infra.clock import iso_utc, parse_time
from metrics.verdicts import Verdict
from outcomes import keys as outcome_keys
from outcomes import store as outcome_store
from outcomes.record import ActionCount, OutcomeRecord
from service.keys import ANALYTICS, HANDOFF
from tests.metrics.builders import escalated, escalation, record, survey, ticket
from tests.support.handoff import HUB, agent_headers, conversation, handoff_body

ROUTES = (
    "metrics",
    "series?metric=escalation",
    "conversations",
    "agents",
    "live",
    "export.csv?view=metrics",
)
TECHNICAL = ticket(1, 2, 30, agent_id="priya", closed_as="resolved", agent_reasks=("order_number",))
LEFT_WAITING = ticket(1, None, 9, closed_as="closed", queue_wait_seconds=480.0)
RECORDS = [
    record("a", last_answer_helpful=True, survey=survey("bot", csat=5, ces=7)),
    record("b", first_intent="refund_request", articles=("refund-timeline",)),
    escalated("c", first_intent="refund_request", articles=("refund-timeline",)),
    escalated("d", escalation=escalation("technical", "explicit_request"), ticket=TECHNICAL),
    record(
        "e",
        outcome="abandoned",
        abandoned_at="while_waiting",
        escalation=escalation(),
        ticket=LEFT_WAITING,
    ),
]


@pytest.fixture
def client(handoff_client: TestClient) -> TestClient:
    return handoff_client


@pytest.fixture
async def supervisor(redis_url: str) -> dict[str, str]:
    return await agent_headers(redis_url, "dana")


async def write(redis_client: Any, records: list[OutcomeRecord]) -> None:
    await outcome_store.append_many(redis_client, records)


async def get_json(client: Any, path: str, headers: dict[str, str], status: int = 200) -> Any:
    response = await client.get(f"/agent/analytics/{path}", headers=headers)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


async def test_only_supervisors_may_read_analytics(client, redis_url) -> None:  # type: ignore[no-untyped-def]
    agent = await agent_headers(redis_url, "priya")
    for route in ROUTES:
        answer = await get_json(client, route, agent, status=403)
        assert answer["error"] == "this needs the supervisor role; you are agent"
        response = await client.get(f"/agent/analytics/{route}")  # the service token is no agent
        assert response.status == 401


async def test_metrics_of_today_from_the_stream(client, supervisor, redis_client) -> None:  # type: ignore[no-untyped-def]
    await write(redis_client, RECORDS)

    answer = await get_json(client, "metrics?window=today", supervisor)

    assert answer["sessions"] == 5
    assert answer["window"] == {
        "name": "today",
        "from": "2026-03-10T00:00:00.000Z",
        "to": "2026-03-11T00:00:00.000Z",
        "tz": "UTC",
    }
    assert answer["rates"]["containment"] == {"value": 0.4, "numerator": 2, "denominator": 5}
    assert answer["rates"]["escalation"] == {"value": 0.6, "numerator": 3, "denominator": 5}
    assert answer["rates"]["over_escalation"] == {"value": None, "numerator": 0, "denominator": 0}
    assert answer["breakdowns"]["escalation_by_intent"]["refund_request"]["numerator"] == 1
    assert answer["breakdowns"]["abandonment_by_where"]["while_waiting"]["numerator"] == 1
    assert answer["times"]["first_response_seconds"]["p50"] == 60.0
    assert answer["scores"]["csat_bot"]["mean"] == 5.0
    assert answer["notes"] == {"anonymous_sessions": 5, "verdicts": 0, "verdicts_unknown": 0}
    technical = await get_json(client, "metrics?window=today&team=technical", supervisor)
    assert technical["sessions"] == 1
    assert technical["filters"] == {"team": "technical", "intent": None, "channel": None}
    empty = await get_json(
        client, "metrics?window=custom&from=2026-01-01&to=2026-01-31", supervisor
    )
    assert (empty["sessions"], empty["rates"]["containment"]["value"]) == (0, None)


async def test_the_cache_reads_only_what_is_new(client, supervisor, redis_client) -> None:  # type: ignore[no-untyped-def]
    await write(redis_client, RECORDS)
    cache = client.server.app[ANALYTICS].cache
    reads: list[str] = []
    reader = cache._reader
    original = reader.read

    async def counting_read(after_id: str = "0-0", count: int = 1000) -> Any:
        items, cursor = await original(after_id, count)
        reads.append(f"{after_id}:{len(items)}")
        return items, cursor

    reader.read = counting_read  # type: ignore[method-assign]
    assert (await get_json(client, "metrics?window=today", supervisor))["sessions"] == 5
    first_reads = len(reads)
    assert (await get_json(client, "metrics?window=today", supervisor))["sessions"] == 5
    assert [entry.split(":")[-1] for entry in reads[first_reads:]] == ["0"]  # one empty XRANGE

    late = record("f", survey=None)
    await write(redis_client, [late])
    saved = outcome_store.LateSurvey(
        "f", late.session, survey("bot", csat=2, ces=None), "2026-03-10T10:00:00.000Z"
    )
    await redis_client.xadd(
        outcome_keys.STREAM, {"kind": "survey", "key": late.key, "survey": saved.to_json()}
    )
    answer = await get_json(client, "metrics?window=today", supervisor)

    assert answer["sessions"] == 6
    assert answer["scores"]["csat_bot"] == {"count": 2, "mean": 3.5, "p50": 2.0, "p90": 5.0}
    assert cache.size == 6


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("metrics?window=fortnight", "window must be one of today, 7d, 30d, custom"),
        ("metrics?window=custom&from=2026-03-01", "window=custom needs from and to"),
        ("metrics?window=custom&from=2026-03-05&to=2026-03-01", "from must be before to"),
        ("metrics?tz=Mars/Base", "unknown time zone"),
        ("metrics?team=sales", "team must be one of account, billing"),
        ("metrics?team=billing&team=orders", "team is given more than once"),
        ("metrics?teams=billing", "unknown parameter 'teams'"),
        ("series", "metric is required"),
        ("series?metric=happiness", "unknown metric 'happiness'"),
        ("series?metric=escalation&step=minute", "step must be one of hour, day"),
        ("series?metric=escalation&window=30d&step=hour&tz=UTC&from=x", "from and to go with"),
        ("conversations?metric=escalation&part=half", "part must be one of numerator, denominator"),
        ("conversations?limit=0", "limit must be a whole number from 1 to 1000"),
        ("conversations?offset=-1", "offset must be a whole number"),
        ("live?within=99999999999999999999", "within must be a whole number from 1 to 1440"),
        ("export.csv", "view must be one of metrics, conversations, agents"),
        ("export.csv?view=agents&metric=escalation", "unknown parameter 'metric'"),
    ],
)
async def test_a_malformed_query_is_a_400_with_a_clear_message(
    client, supervisor, query, message
) -> None:  # type: ignore[no-untyped-def]
    answer = await get_json(client, query, supervisor, status=400)
    assert message in answer["error"]


async def test_series_by_hour(client, supervisor, redis_client) -> None:  # type: ignore[no-untyped-def]
    await write(redis_client, RECORDS)

    answer = await get_json(client, "series?metric=escalation&window=today", supervisor)

    assert (answer["metric"], answer["step"], len(answer["points"])) == ("escalation", "hour", 24)
    nine = answer["points"][9]
    assert nine == {
        "from": "2026-03-10T09:00:00.000Z",
        "to": "2026-03-10T10:00:00.000Z",
        "value": 0.6,
        "numerator": 3,
        "denominator": 5,
    }
    assert answer["points"][10]["value"] is None
    by_day = await get_json(client, "series?metric=first_response_seconds&window=7d", supervisor)
    assert [point["count"] for point in by_day["points"]] == [0, 0, 0, 0, 0, 0, 2]


async def test_drill_down_to_the_conversations_behind_a_figure(
    client, supervisor, redis_client
) -> None:  # type: ignore[no-untyped-def]
    await write(redis_client, RECORDS)

    answer = await get_json(client, "conversations?metric=escalation&window=today", supervisor)
    assert (answer["total"], answer["part"]) == (3, "numerator")
    assert [row["conversation_id"] for row in answer["conversations"]] == ["e", "d", "c"]
    first = answer["conversations"][0]
    assert first["key"] == RECORDS[4].key
    assert first["escalation"]["team"] == "billing" and first["value"] is None
    page = await get_json(
        client,
        "conversations?metric=escalation&part=denominator&window=today&limit=2&offset=2",
        supervisor,
    )
    assert (page["total"], [row["conversation_id"] for row in page["conversations"]]) == (
        5,
        ["c", "b"],
    )
    times = await get_json(
        client, "conversations?metric=first_response_seconds&window=today", supervisor
    )
    assert [(row["conversation_id"], row["value"]) for row in times["conversations"]] == [
        ("d", 60.0),
        ("c", 180.0),
    ]
    group = await get_json(
        client,
        "conversations?metric=escalation_by_reason:explicit_request&window=today",
        supervisor,
    )
    assert [row["conversation_id"] for row in group["conversations"]] == ["d"]


async def test_what_the_assistant_resolved_by_acting_on_orders(
    client, supervisor, redis_client
) -> None:  # type: ignore[no-untyped-def]
    refunded = record(
        "r", first_intent="refund_request", actions=(ActionCount("refund", "issued", 1),)
    )
    held = escalated(
        "h",
        first_intent="refund_request",
        escalation=escalation("supervisors", "policy", escalation_type="hierarchical"),
        actions=(ActionCount("refund", "needs_approval", 1),),
    )
    await write(redis_client, [*RECORDS, refunded, held])

    answer = await get_json(client, "metrics?window=today", supervisor)

    assert answer["rates"]["action_containment"] == {
        "value": 0.1429,
        "numerator": 1,
        "denominator": 7,
    }
    assert answer["rates"]["containment"]["numerator"] == 3  # the refunded session is in it too
    assert answer["breakdowns"]["actions_by_result"] == {
        "refund_issued": {"value": 0.5, "numerator": 1, "denominator": 2},
        "refund_needs_approval": {"value": 0.5, "numerator": 1, "denominator": 2},
    }
    behind = await get_json(
        client, "conversations?metric=action_containment&window=today", supervisor
    )
    assert [row["conversation_id"] for row in behind["conversations"]] == ["r"]
    assert behind["conversations"][0]["actions"] == [
        {"action": "refund", "result": "issued", "count": 1}
    ]
    held_ones = await get_json(
        client,
        "conversations?metric=actions_by_result:refund_needs_approval&window=today",
        supervisor,
    )
    assert [row["conversation_id"] for row in held_ones["conversations"]] == ["h"]
    series = await get_json(client, "series?metric=action_containment&window=today", supervisor)
    assert series["points"][9]["numerator"] == 1
    metrics_csv = await (
        await client.get(
            "/agent/analytics/export.csv?view=metrics&window=today", headers=supervisor
        )
    ).text()
    assert "action_containment,,rate,0.1429,1,7,,,," in metrics_csv.splitlines()


class FakeReview:
    def __init__(self, verdicts: Sequence[Verdict], scores: Mapping[str, float]) -> None:
        self._verdicts, self._scores = verdicts, scores
        self.windows: list[tuple[datetime, datetime]] = []

    async def verdicts(self) -> Sequence[Verdict]:
        return self._verdicts

    async def qa_scores(self, start: datetime, end: datetime) -> Mapping[str, float]:
        self.windows.append((start, end))
        return self._scores


async def test_per_agent_figures_and_the_review_hook(client, supervisor, redis_client) -> None:  # type: ignore[no-untyped-def]
    await write(redis_client, RECORDS)

    plain = await get_json(client, "agents?window=today", supervisor)
    rows = {row["agent_id"]: row for row in plain["agents"]}
    assert set(rows) == {"dana", "luis", "maya", "priya", "sam", "theo"}
    assert rows["maya"]["tickets"] == 1 and rows["maya"]["qa_score"] is None
    assert rows["priya"]["reask"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert rows["priya"]["name"] == "Priya Natarajan" and rows["priya"]["teams"] == ["technical"]
    assert rows["sam"]["tickets"] == 0 and rows["sam"]["first_response_seconds"]["p50"] is None

    review = FakeReview(
        [Verdict(RECORDS[2].key, "over"), Verdict("gone:x", "under")], {"maya": 4.2}
    )
    client.server.app[ANALYTICS].review = review
    rows = {
        row["agent_id"]: row
        for row in (await get_json(client, "agents?window=today", supervisor))["agents"]
    }
    assert rows["maya"]["qa_score"] == 4.2
    assert review.windows[0][0].isoformat() == "2026-03-10T00:00:00+00:00"
    answer = await get_json(client, "metrics?window=today", supervisor)
    assert answer["rates"]["over_escalation"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert answer["notes"]["verdicts_unknown"] == 1


async def test_live_queues_and_tickets_at_risk(client, supervisor, clock) -> None:  # type: ignore[no-untyped-def]
    created = await client.post("/handoff/tickets", json=handoff_body(conversation(HUB)))
    assert created.status == 201, await created.text()
    ticket_id = (await created.json())["ticket_id"]

    quiet = await get_json(client, "live?within=1", supervisor)
    queues = {queue["team"]: queue for queue in quiet["queues"]}
    assert queues["technical"]["waiting"] == 1 and queues["billing"]["waiting"] == 0
    assert quiet["open_tickets"] == 1
    assert quiet["at_risk"] == []

    stored = await client.server.app[HANDOFF].store.tickets.get(ticket_id)
    due = parse_time(stored.routing.first_response_due)
    clock.now = due - timedelta(minutes=10)
    soon = await get_json(client, "live", supervisor)
    assert soon["within_minutes"] == 15
    assert soon["at_risk"] == [
        {
            "ticket_id": ticket_id,
            "conversation_id": "conv-1",
            "team": "technical",
            "status": "waiting",
            "priority": stored.priority,
            "agent_id": None,
            "sla": "first_response",
            "due": iso_utc(due),
            "seconds_left": 600,
            "breached": False,
        }
    ]
    assert (await get_json(client, "live?within=5", supervisor))["at_risk"] == []

    clock.now = due + timedelta(minutes=1)  # breached (the SLA watchdog may re-escalate it)
    late = await get_json(client, "live", supervisor)
    assert [(t["ticket_id"], t["breached"]) for t in late["at_risk"]] == [(ticket_id, True)]


async def test_csv_exports_quote_and_defuse(client, supervisor, redis_client) -> None:  # type: ignore[no-untyped-def]
    odd = record("x", first_intent='a,"b"', channel="=HYPERLINK(1)")
    await write(redis_client, [*RECORDS, odd])

    response = await client.get(
        "/agent/analytics/export.csv?view=conversations&window=today", headers=supervisor
    )
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="conversations-today-2026-03-10.csv"'
    )
    text = await response.text()
    assert 'a,""b""' in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["conversation_id", "session", "started_at"]
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {"a", "b", "c", "d", "e", "x"}
    assert by_id["x"][6] == 'a,"b"' and by_id["x"][5] == "'=HYPERLINK(1)"

    metrics_csv = await (
        await client.get(
            "/agent/analytics/export.csv?view=metrics&window=today", headers=supervisor
        )
    ).text()
    metric_rows = list(csv.reader(io.StringIO(metrics_csv)))
    assert metric_rows[0] == [
        "metric",
        "group",
        "kind",
        "value",
        "numerator",
        "denominator",
        "count",
        "mean",
        "p50",
        "p90",
    ]
    assert ["containment", "", "rate", "0.5", "3", "6", "", "", "", ""] in metric_rows
    assert ["over_escalation", "", "rate", "", "0", "0", "", "", "", ""] in metric_rows
    agents_csv = await (
        await client.get("/agent/analytics/export.csv?view=agents&window=today", headers=supervisor)
    ).text()
    assert agents_csv.splitlines()[0].startswith("agent_id,name,tickets,first_response_p50_seconds")
    drilled = await (
        await client.get(
            "/agent/analytics/export.csv?view=conversations&window=today&metric=escalation",
            headers=supervisor,
        )
    ).text()
    assert len(drilled.splitlines()) == 4
