"""The generated outcome records others load into Redis for benchmarks: realistic, complete,
reproducible, and readable back from the stream as the service's cache reads them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from benchmarks.outcome_records import fill_redis, generate_records
from outcomes import store as outcome_store
from outcomes.record import ACTION_RESULTS

END = datetime(2026, 3, 31, 12, tzinfo=timezone.utc)


def test_the_records_cover_every_kind_and_repeat_with_the_same_seed() -> None:
    records = generate_records(3000, seed=7, end=END)

    assert len(records) == 3000
    assert generate_records(3000, seed=7, end=END) == records
    assert generate_records(3000, seed=8, end=END) != records
    outcomes = Counter(record.outcome for record in records)
    assert set(outcomes) == {"contained", "escalated", "withdrawn", "abandoned", "after_hours"}
    assert {r.abandoned_at for r in records if r.outcome == "abandoned"} == {
        "after_miss",
        "mid_flow",
        "while_waiting",
    }
    assert len({r.escalation.team for r in records if r.escalation}) == 6
    assert {r.survey.audience for r in records if r.survey} == {"bot", "agent"}
    assert any(r.survey.skipped for r in records if r.survey)
    assert any(r.ticket.agent_reasks for r in records if r.ticket)
    assert any(r.resolved_with_action for r in records)  # the assistant acted on an order
    results = {item.result for r in records for item in r.actions}
    assert results == set(ACTION_RESULTS)
    assert any(r.customer_key is None for r in records)
    assert len({r.customer_key for r in records}) < len(records) / 2  # customers come back
    assert len({r.conversation_id for r in records}) < len(records)  # second sessions
    assert len({r.key for r in records}) == len(records)
    ends = [record.ended_at for record in records]
    assert ends == sorted(ends) and ends[-1] <= "2026-03-31T12:00:00.000Z"


async def test_fill_redis_writes_what_the_stream_reader_reads(redis_url, redis_client) -> None:  # type: ignore[no-untyped-def]
    written = await fill_redis(redis_url, 250, seed=3, end=END)

    store = await outcome_store.create(redis_url)
    items, cursor = await store.read("0-0", 1000)
    await store.close()
    assert items == written
    assert cursor != "0-0"
