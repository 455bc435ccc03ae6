"""Run the gateway: `python -m gateway` (settings from the environment)."""

from __future__ import annotations

import sys

from gateway.app import create_app
from gateway.settings import GatewaySettings
from handoff.privacy.typed_secrets import redact_with_echoes
from infra.runner import run


def main() -> int:
    # the access log names routes only (infra/runner.py): no socket ids from polling URLs
    return run("gateway", GatewaySettings.from_env, create_app, redactors=[redact_with_echoes])


if __name__ == "__main__":
    sys.exit(main())
