"""Start an aiohttp process from its settings: `python -m service` and `python -m gateway`."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from aiohttp import web

from service.settings import SettingsError


class Listens(Protocol):
    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


SettingsT = TypeVar("SettingsT", bound=Listens)


def run(
    name: str,
    load: Callable[[Mapping[str, str]], SettingsT],
    create_app: Callable[[SettingsT], web.Application],
    **run_app_options: Any,
) -> int:
    """Read the settings from the environment (exit code 2 with every problem listed), then
    serve the app until interrupted; aiohttp's start-up lines go to the `name` logger."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
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
        **run_app_options,
    )
    return 0
