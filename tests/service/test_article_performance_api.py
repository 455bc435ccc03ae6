"""The content team's article performance API on the real app and Redis: outcome records written
to the stream as the outcome watchdog writes them, read through the dashboard's cache; the
roles that may read it (content, supervisor; not a plain agent), the window, the order, and bad
queries refused with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from outcomes import store as outcome_store
from outcomes.record import OutcomeRecord, ShownArticle
from service.agents import issue_token
from service.settings import AgentCliSettings
from tests.metrics.builders import escalated, record, survey
from tests.support.handoff import agent_headers, handoff_settings, start_app

ROUTE = "/agent/content/articles/performance"
AGENTS = Path(__file__).resolve().parents[2] / "handoff" / "routing" / "agents.yml"
EDITOR = "perf-editor"  # a content agent of this test's own agents file
HUB, TRACK = "hub-offline", "track-an-order"
BLINKING = "Blinking amber"


def answer(article_id: str, turn: int = 1, **fields: Any) -> ShownArticle:
    return ShownArticle(article_id, True, turn=turn, **fields)


RECORDS = [
    escalated(
        "c1",
        articles_shown=(answer(HUB, section=BLINKING, feedback="not_helpful"),),
        survey=survey("agent", csat=1),
    ),
    escalated("c2", 30, articles_shown=(answer(HUB, section=BLINKING),), survey=survey(csat=2)),
    record(
        "c3",
        60,
        articles_shown=(answer(HUB, section="", article_version="0f9e8d7c6b5a"),),
        survey=survey(csat=5),
    ),
    *(record(f"t{n}", n, articles_shown=(answer(TRACK, feedback="helpful"),)) for n in range(4)),
    record("m1", 90, articles_shown=(ShownArticle(TRACK, False, turn=1),)),
]


@pytest.fixture
def agents_file(tmp_path: Path) -> Path:
    """The sample agents file and a content editor."""
    data = yaml.safe_load(AGENTS.read_text(encoding="utf-8"))
    editor = {"id": EDITOR, "name": "Pat Editor", "teams": ["general"], "max_concurrent": 1}
    data["agents"].append({**editor, "role": "content"})
    path = tmp_path / "agents.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
async def client(aiohttp_client, redis_url, articles_dir, embedder, clock, agents_file):  # type: ignore[no-untyped-def]
    settings = handoff_settings(redis_url, articles_dir, AGENTS_FILE=str(agents_file))
    return await start_app(aiohttp_client, settings, embedder, clock)


@pytest.fixture
async def editor(redis_url: str, agents_file: Path) -> dict[str, str]:
    cli = AgentCliSettings.from_env({"REDIS_URL": redis_url, "AGENTS_FILE": str(agents_file)})
    return {"Authorization": f"Bearer {await issue_token(cli, EDITOR)}"}


async def write(redis_client: Any, records: list[OutcomeRecord]) -> None:
    await outcome_store.append_many(redis_client, records)


async def get_json(client: TestClient, query: str, headers: dict[str, str], status: int) -> Any:
    response = await client.get(f"{ROUTE}{query}", headers=headers)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


async def test_an_editor_sees_the_article_followed_by_handoffs_first(  # type: ignore[no-untyped-def]
    client, editor, redis_client
) -> None:
    await write(redis_client, RECORDS)

    answer = await get_json(client, "", editor, 200)

    assert (answer["days"], answer["sort"]) == (30, "handoffs")
    assert answer["from"] == "2026-02-08T14:00:00.000Z"  # 30 days before the clock's now
    assert answer["to"] == "2026-03-10T14:00:00.000Z"
    hub, track = answer["articles"]
    assert hub["article_id"] == HUB and track["article_id"] == TRACK
    assert hub["title"] == "Hearthly Hub is offline"  # as served now
    assert track["title"] is None  # no article of that id is published (any more)
    counts = ("shown", "not_helpful", "conversations", "handoffs_after")
    assert [hub[name] for name in counts] == [3, 1, 3, 2]
    assert hub["csat"] == {"mean": 2.67, "count": 3}
    assert hub["csat_after_handoff"] == {"mean": 1.5, "count": 2}
    assert (hub["latest_version"], hub["versions"], hub["offered"]) == ("0f9e8d7c6b5a", 1, 0)
    sections = [(row["section"], row["shown"], row["handoffs_after"]) for row in hub["sections"]]
    assert sections == [(BLINKING, 2, 2), ("", 1, 0)]
    assert (track["shown"], track["helpful"], track["offered"], track["sections"]) == (4, 4, 1, [])
    by_shown = await get_json(client, "?sort=shown", editor, 200)
    assert [row["article_id"] for row in by_shown["articles"]] == [TRACK, HUB]


async def test_the_window_counts_sessions_that_started_in_the_last_days(  # type: ignore[no-untyped-def]
    client, editor, redis_client, clock
) -> None:
    await write(redis_client, RECORDS)
    assert len((await get_json(client, "?days=1", editor, 200))["articles"]) == 2

    clock.advance(days=2)  # the records are now two days old
    later = [record("late", 60 * 24 * 2, articles_shown=(answer("reset-the-hub"),))]
    await write(redis_client, later)

    recent = await get_json(client, "?days=1", editor, 200)
    assert [row["article_id"] for row in recent["articles"]] == ["reset-the-hub"]
    assert len((await get_json(client, "?days=3", editor, 200))["articles"]) == 3


async def test_supervisors_may_read_it_and_agents_may_not(client, redis_url) -> None:  # type: ignore[no-untyped-def]
    supervisor = await agent_headers(redis_url, "dana")
    assert (await get_json(client, "", supervisor, 200))["articles"] == []

    agent = await agent_headers(redis_url, "priya")
    refused = await get_json(client, "", agent, 403)
    assert refused["error"] == "this needs the content or supervisor role; you are agent"
    assert (await client.get(ROUTE)).status == 401  # the service token is no agent's


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("?days=0", "days must be a whole number from 1 to 365"),
        ("?days=366", "days must be a whole number from 1 to 365"),
        ("?days=thirty", "days must be a whole number from 1 to 365"),
        ("?days=-1", "days must be a whole number from 1 to 365"),
        ("?days=", "days must be a whole number from 1 to 365"),
        ("?sort=best", "sort must be one of handoffs, not_helpful, shown, csat"),
        ("?days=7&days=30", "days is given more than once"),
        ("?window=7d", "unknown parameter 'window'; this route takes days, sort"),
    ],
)
async def test_a_bad_query_is_refused_with_the_reason(client, editor, query, reason) -> None:  # type: ignore[no-untyped-def]
    answer = await get_json(client, query, editor, 400)

    assert answer["error"] == reason
