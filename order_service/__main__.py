"""Run the sample shop's order service: `python -m order_service` (settings from the
environment, settings.py; exit code 2 with every problem listed when they are wrong)."""

from __future__ import annotations

import sys

from aiohttp import web

from infra.runner import run
from order_service.app import create_app
from order_service.settings import Settings


def _app(settings: Settings) -> web.Application:
    return create_app(settings.database, settings.token)


def main() -> int:
    return run("order_service", Settings.from_env, _app)


if __name__ == "__main__":
    sys.exit(main())
