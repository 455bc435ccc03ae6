"""A real Prometheus (Debian's `prometheus` package, started here on a free loopback port)
scrapes the running stack's service and gateway every second with their tokens, as the README's
scrape config does; a conversation escalates through the gateway and is taken over by an agent;
the counters and histograms it moved show up in Prometheus' query API, and every query of the
Grafana dashboard runs there."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml

from stack.supervisor import Stack, free_port
from tests.e2e.client import Widget
from tests.e2e.test_handback import ESCALATION, Team, until

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]
PROMETHEUS = "/usr/bin/prometheus"
ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboards" / "grafana" / "support-assistant.json"
JOBS = ("support-service", "support-gateway")


def scrape_config(stack: Stack, folder: Path) -> dict[str, Any]:
    """Both targets every second; each token from a file only its owner can read."""
    jobs = []
    for job, address, token in (
        ("support-service", f"127.0.0.1:{stack.config.service_port}", stack.config.metrics_token),
        ("support-gateway", f"127.0.0.1:{stack.config.gateway_port}", stack.config.metrics_token),
    ):
        credentials = folder / f"{job}.token"
        credentials.write_text(token)
        credentials.chmod(0o600)
        jobs.append(
            {
                "job_name": job,
                "authorization": {"credentials_file": str(credentials)},
                "static_configs": [{"targets": [address]}],
            }
        )
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": jobs,
    }


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    async def query(self, expr: str) -> list[dict[str, Any]]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with session.get(f"{self.url}/api/v1/query", params={"query": expr}) as answer:
                body: dict[str, Any] = await answer.json()
        assert body["status"] == "success", (expr, body)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    async def value(self, expr: str) -> float:
        """The single value of `expr` (0 when it has no series yet)."""
        result = await self.query(expr)
        assert len(result) <= 1, (expr, result)
        return float(result[0]["value"][1]) if result else 0.0


@pytest_asyncio.fixture(scope="module", loop_scope="package")
async def prometheus(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Prometheus]:
    """Prometheus for this module's tests, stopped after them."""
    tmp_path = tmp_path_factory.mktemp("prometheus")
    if not os.access(PROMETHEUS, os.X_OK):
        pytest.fail(f"{PROMETHEUS} is missing: `make test` installs Debian's prometheus")
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(stack, tmp_path)))
    url = f"http://127.0.0.1:{free_port()}"
    log = tmp_path / "prometheus.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
            "--log.level=warn",
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        await _ready(url, process, log)
        yield Prometheus(url)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


async def _ready(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        for _ in range(300):
            assert process.returncode is None, f"prometheus exited: {_tail(log)}"
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{url}/-/ready") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise AssertionError(f"prometheus never got ready: {_tail(log)}")


async def test_prometheus_scrapes_both_and_sees_an_escalation(
    stack: Stack, widget: Widget, prometheus: Prometheus
) -> None:
    async def both_up() -> bool:
        up = {r["metric"]["job"]: r["value"][1] for r in await prometheus.query("up")}
        return all(up.get(job) == "1" for job in JOBS)

    await until(both_up, "Prometheus never scraped both the service and the gateway", timeout=30)
    escalations = "sum(support_escalations_total)"
    handoffs = "sum(support_handoff_duration_seconds_count)"
    replies = "sum(support_reply_duration_seconds_count)"
    before = {expr: await prometheus.value(expr) for expr in (escalations, handoffs, replies)}

    for message in ESCALATION:  # frustration, then "a person, please": a ticket
        await widget.say(message)
    team = Team(stack)
    conversation_id = await widget.conversation_id(stack)
    state = await team.handed_off(conversation_id)
    _, agent = await team.agent_for(state["team"])
    await team.call("POST", f"/agent/tickets/{state['ticket_id']}/claim", agent)
    await widget.say("thanks, I'll wait", replies=0)  # into the ticket: relayed to the team
    seen = len(widget.bot)
    reply = {"text": "Hi, I'm looking at the charge now."}
    await team.call("POST", f"/agent/tickets/{state['ticket_id']}/reply", agent, reply)
    await until(lambda: any(m.get("text") == reply["text"] for m in widget.bot[seen:]), "no reply")

    relays = 'sum(support_relay_duration_seconds_count{direction="%s"})'
    for expr, at_least in (
        (escalations, before[escalations] + 1),
        (handoffs, before[handoffs] + 1),
        (replies, before[replies] + len(ESCALATION)),
        (relays % "to_team", 1),
        (relays % "to_customer", 1),
    ):
        await _scraped(prometheus, expr, at_least)
    labels = (await prometheus.query("support_escalations_total"))[0]["metric"]
    assert labels["job"] == "support-service"
    assert set(labels) == {"__name__", "instance", "job", "reason", "escalation_type", "team"}
    depth = await prometheus.query(f'support_queue_depth{{team="{state["team"]}"}}')
    assert len(depth) == 1, "the queue depth is read at scrape time"
    assert await prometheus.value("sum(support_connected_sockets)") >= 1


async def _scraped(prometheus: Prometheus, expr: str, at_least: float) -> None:
    async def reached() -> bool:
        return await prometheus.value(expr) >= at_least

    await until(reached, f"{expr} never reached {at_least} in Prometheus", timeout=20)


async def test_every_dashboard_query_runs_in_prometheus(prometheus: Prometheus) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", "1m").replace("$team", ".*")
            await prometheus.query(expr)  # a PromQL error is status "error"
