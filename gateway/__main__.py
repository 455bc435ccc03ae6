"""Run the gateway: `python -m gateway` (settings from the environment)."""

from __future__ import annotations

import sys

from gateway.server import create_app
from gateway.settings import GatewaySettings
from service.runner import run


def main() -> int:
    # socket.io polling URLs carry socket ids; nothing worth keeping in an access log
    return run("gateway", GatewaySettings.from_env, create_app, access_log=None)


if __name__ == "__main__":
    sys.exit(main())
