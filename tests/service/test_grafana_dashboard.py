"""dashboards/grafana/support-assistant.json queries only metrics that exist: every metric name
in its PromQL (panels and variables) is one the service's or the gateway's registry exposes, with
the sample suffixes Prometheus sees (`_total`, `_bucket`, `_count`, `_sum`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from gateway.prometheus import GatewayMetrics
from service.prometheus import ServiceMetrics

DASHBOARD = (
    Path(__file__).resolve().parents[2] / "dashboards" / "grafana" / "support-assistant.json"
)
KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}


def exposed_names(registry: CollectorRegistry) -> set[str]:
    """The sample names a scrape of `registry` can show, even for series not yet recorded."""
    names = set()
    for family in registry.collect():
        if family.type in SUFFIXES:  # a counter's or histogram's family name is no series
            names.update(family.name + suffix for suffix in SUFFIXES[family.type])
        else:
            names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are not functions,
    keywords, label names (in `{...}` or `by (...)`), strings or range durations."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges, subqueries
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\blabel_values\(\s*([A-Za-z_:][\w:]*)\s*,[^)]*\)", r"\1", expr)
    found = set()
    for match in re.finditer(r"(?<![\w$.])([A-Za-z_:][\w:]*)(\s*\()?", expr):
        name, call = match.group(1), match.group(2)
        if call is None and name.lower() not in KEYWORDS:
            found.add(name)
    return found


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            yield (
                f"variable {variable['name']}",
                query["query"] if isinstance(query, dict) else query,
            )


def test_the_extractor_finds_metric_names_and_nothing_else() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, team) (rate(support_x_bucket{team=~"$team", '
        'route="/a/{id}"}[$__rate_interval]))) / ignoring (le) support_y_total offset 5m'
    )
    assert metric_names(expr) == {"support_x_bucket", "support_y_total"}
    assert metric_names("label_values(support_queue_depth, team)") == {"support_queue_depth"}
    assert metric_names("sum(max by (team) (support_a)) and on (team) support_b > 1") == {
        "support_a",
        "support_b",
    }


def test_a_name_prometheus_would_not_have_is_not_exposed() -> None:
    exposed = exposed_names(ServiceMetrics().registry) | exposed_names(GatewayMetrics().registry)
    assert "support_escalations_total" in exposed
    assert "support_escalations" not in exposed  # a counter's samples end in _total
    assert "support_handoff_duration_seconds" not in exposed  # a histogram's: _bucket, ...
    assert "support_queue_depth" in exposed and "support_connected_sockets" in exposed


def test_every_metric_the_dashboard_queries_exists() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exposed = exposed_names(ServiceMetrics().registry) | exposed_names(GatewayMetrics().registry)
    used: set[str] = set()
    for where, expr in queries(dashboard):
        names = metric_names(expr)
        assert names, f"{where}: no metric in {expr!r}"
        assert names <= exposed, f"{where}: {sorted(names - exposed)} do not exist"
        used |= names
    # what a support lead opens it for: escalations, handoff latency, queues, SLA, sockets
    assert {
        "support_escalations_total",
        "support_handoff_duration_seconds_bucket",
        "support_queue_depth",
        "support_sla_breaches_total",
        "support_connected_sockets",
    } <= used


def test_the_dashboard_is_importable() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "support-assistant" and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in dashboard["panels"]:
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
