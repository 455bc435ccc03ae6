"""The action server (rasa-sdk 3.6) with the log lines every other process writes: one JSON
object a line, masked by the same filter (emails, phone numbers, tokens, and the project's
masking of typed secrets and their echoes).

`python -m rasa_sdk` sets up coloured plain-text logging with no filter; this entry point takes
the same arguments (`--actions actions --port 5055`, ...) and runs the same server, with
infra/log_format.py's handler on the root logger instead. The stack, the compose file and the
Kubernetes manifests start the action server through it. Standard library and rasa-sdk only,
as the bot env needs.
"""

from __future__ import annotations

import logging
import sys

from rasa_sdk.endpoint import create_argument_parser, run

from handoff.privacy.typed_secrets import redact_with_echoes
from infra import log_format


def main(argv: list[str] | None = None) -> None:
    args = create_argument_parser().parse_args(argv)
    log_format.configure([redact_with_echoes], level=args.loglevel or logging.INFO)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    run(
        args.actions,
        args.port,
        args.cors,
        args.ssl_certificate,
        args.ssl_keyfile,
        args.ssl_password,
        args.auto_reload,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
