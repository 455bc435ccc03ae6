"""Run the gateway: `python -m gateway` (settings from the environment)."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from gateway.server import create_app
from gateway.settings import GatewaySettings
from service.settings import SettingsError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = GatewaySettings.from_env(os.environ)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=None,  # socket.io polling URLs carry socket ids; nothing worth keeping
        print=lambda message: logging.getLogger("gateway").info(message.strip()),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
