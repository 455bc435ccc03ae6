"""Run the service: `python -m service` (settings from the environment)."""

from __future__ import annotations

import sys

from infra.runner import run
from service.app import create_app
from service.settings import Settings


def main() -> int:
    return run("service", Settings.from_env, create_app)


if __name__ == "__main__":
    sys.exit(main())
