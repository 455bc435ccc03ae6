"""Readiness checks, the one way the service and the gateway ask their dependencies whether they
answer: every check runs at once with a short deadline, and each is reported by name with its
status and latency.

Liveness ("the process answers") needs no check: a route that returns 200 is enough. Readiness
("it can do its job now") is what a load balancer or an orchestrator needs before sending
traffic, so it must stay fast when a dependency hangs (the deadline) and it must never show
what a failure's exception holds (a URL with a password, a token in a header): a failed check
says only what it can say safely - its own `DependencyDown` words, "no answer within 1 s", or
the kind of error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

CHECK_TIMEOUT_SECONDS = 1.0
"""How long one check may take before its dependency counts as unavailable."""

Check = Callable[[], Awaitable[Mapping[str, Any] | None]]
"""Returns (optionally) details to report, e.g. counts; raises when the dependency is down."""


class DependencyDown(Exception):
    """A check's own, safe-to-show reason that its dependency cannot serve."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "ok" if self.ok else "unavailable",
            "latency_ms": self.latency_ms,
        }
        if self.error is not None:
            body["error"] = self.error
        return body | dict(self.details)


async def run_check(
    name: str, check: Check, timeout_seconds: float = CHECK_TIMEOUT_SECONDS
) -> CheckResult:
    started = time.perf_counter()
    error: str | None = None
    details: Mapping[str, Any] | None = None
    try:
        details = await asyncio.wait_for(check(), timeout_seconds)
    except asyncio.TimeoutError:
        error = f"no answer within {timeout_seconds:g} s"
    except DependencyDown as down:
        error = str(down)
    except Exception as unexpected:  # noqa: BLE001 - reported by kind only: may hold secrets
        error = f"not reachable ({type(unexpected).__name__})"
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return CheckResult(name, error is None, latency_ms, error, details or {})


async def readiness(
    checks: Mapping[str, Check], timeout_seconds: float = CHECK_TIMEOUT_SECONDS
) -> tuple[dict[str, Any], int]:
    """The readiness answer: `{"status": "ok"|"unavailable", "checks": {name: {...}}}` and
    200 when every check passed, else 503. The checks run concurrently."""
    results = await asyncio.gather(
        *(run_check(name, check, timeout_seconds) for name, check in checks.items())
    )
    ready = all(result.ok for result in results)
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {result.name: result.as_json() for result in results},
    }
    return body, 200 if ready else 503


LIVE_BODY = {"status": "ok"}
"""The liveness answer: the process and its event loop answer; no dependency is asked."""


async def http_answers(
    session: aiohttp.ClientSession,
    url: str,
    expect_text: str | None = None,
    timeout_seconds: float = CHECK_TIMEOUT_SECONDS,
) -> None:
    """A check of an HTTP dependency: GET `url` answers 200 (and, with `expect_text`, its body
    starts with it: the right program listens on that port, not just any)."""
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    async with session.get(url, timeout=timeout, allow_redirects=False) as response:
        if response.status != 200:
            raise DependencyDown(f"answered HTTP {response.status}")
        if expect_text is not None:
            text = await response.text(errors="replace")
            if not text.startswith(expect_text):
                raise DependencyDown(f"answered, but not with {expect_text!r}")
