"""Run the service: `python -m service` (settings from the environment)."""

from __future__ import annotations

import sys

from handoff.privacy.typed_secrets import redact_with_echoes
from infra.runner import run
from service.app import create_app
from service.settings import Settings


def main() -> int:
    # typed secrets (cards, IBANs, passwords) masked in log lines as in what is stored
    return run("service", Settings.from_env, create_app, redactors=[redact_with_echoes])


if __name__ == "__main__":
    sys.exit(main())
