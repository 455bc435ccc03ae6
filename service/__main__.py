"""Run the service: `python -m service` (settings from the environment)."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from service.app import create_app
from service.settings import Settings, SettingsError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log_format='"%r" %s %b %Tfs',
        print=lambda message: logging.getLogger("service").info(message.strip()),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
