"""Start an aiohttp process from its settings: `python -m service` and `python -m gateway`.

The settings come from the environment (infra/env.py); a process that cannot start lists every
problem and exits with code 2.

Both write one access-log line per request naming the route, never the path it was called
with nor its query string: `GET /handoff/conversations/{conversation_id} 200 846 B 4.1 ms`. A
path holds conversation and ticket ids; a query string can hold anything a client puts there
(engine.io's socket `sid`, a token); neither belongs in a log.

Logs are JSON lines, masked before they are written (infra/log_format.py); a process passes its
product's masking of typed secrets as `redactors`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, TypeVar

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from infra import log_format
from infra.env import SettingsError


class Listens(Protocol):
    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


SettingsT = TypeVar("SettingsT", bound=Listens)
UNROUTED = "(no route)"


def route_of(request: BaseRequest) -> str:
    """The route's pattern (`/agent/tickets/{ticket_id}`), or "(no route)" when none matched
    (404, 405, or a request refused before routing)."""
    match_info = getattr(request, "match_info", None)
    resource = getattr(getattr(match_info, "route", None), "resource", None)
    return resource.canonical if resource is not None else UNROUTED


PROBES = frozenset({"/health", "/health/live", "/health/ready"})
"""Asked every second by a load balancer, every few by Kubernetes: an answer of 200 is not
logged (a failed probe is), or they would drown every other line."""


class RouteAccessLogger(AbstractAccessLogger):
    """Method, route pattern, status, size and time of each request; nothing the client sent.
    Successful health probes are left out (PROBES)."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        if response.status == 200 and route_of(request) in PROBES:
            return
        self.logger.info(
            "%s %s %s %s B %.1f ms",
            request.method,
            route_of(request),
            response.status,
            response.body_length,
            time * 1000,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def run(
    name: str,
    load: Callable[[Mapping[str, str]], SettingsT],
    create_app: Callable[[SettingsT], web.Application],
    redactors: Iterable[log_format.Redactor] = (),
) -> int:
    """Read the settings from the environment (exit code 2 with every problem listed), then
    serve the app until interrupted; aiohttp's start-up lines go to the `name` logger, its
    access log is `RouteAccessLogger`'s; every line is JSON, masked by `redactors` and
    log_format's own (emails, phone numbers, tokens)."""
    log_format.configure(redactors)
    try:
        settings = load(os.environ)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=lambda message: logging.getLogger(name).info(message.strip()),
        access_log_class=RouteAccessLogger,
    )
    return 0
