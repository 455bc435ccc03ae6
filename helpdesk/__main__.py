"""The help-desk sync's command line:

    python -m helpdesk dead-letters [--target NAME]   list dead letters (JSON lines, no bodies)
    python -m helpdesk replay [--target NAME]         send them again (every target by default)
    python -m helpdesk deliver                        run the delivery alone until Ctrl-C (the
                                                      service runs the same loops itself)

Uses REDIS_URL, HANDOFF_ROUTING_FILE (the targets) and the HELPDESK_* settings and secrets, as
the service does. Exit status 2 with the reason when a setting, the routing file or Redis fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from handoff.privacy.typed_secrets import redact_with_echoes
from handoff.routing.config import DEFAULT_ROUTING_PATH, RoutingConfigError
from helpdesk.config import DeliverySettings, HelpdeskConfig, MissingSecret
from helpdesk.dead_letters import list_dead_letters, replay
from helpdesk.settings import delivery_settings, load_helpdesk_config
from helpdesk.worker import HelpdeskWorker
from infra import log_format
from infra.env import EnvReader, SettingsError
from infra.redis_client import RedisUnavailable, connect_checked


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpdesk", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("dead-letters", "list the events a target did not take after the last attempt"),
        ("replay", "move dead letters back for delivery"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--target", help="one target's name (default: every target)")
    commands.add_parser("deliver", help="run the delivery loops until interrupted")
    arguments = parser.parse_args(argv)
    try:
        read = EnvReader(os.environ)
        redis_url = read.redis_url()
        routing_file = Path(os.environ.get("HANDOFF_ROUTING_FILE", DEFAULT_ROUTING_PATH))
        settings = delivery_settings(read)
        read.raise_problems()
        config = load_helpdesk_config(routing_file)
        if arguments.command == "deliver":
            log_format.configure([redact_with_echoes])
            asyncio.run(_deliver(redis_url, config, settings))
            return 0
        targets = _targets(config, arguments.target)
        return asyncio.run(_command(arguments.command, redis_url, targets))
    except (
        SettingsError,
        RoutingConfigError,
        MissingSecret,
        RedisUnavailable,
        LookupError,
    ) as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _targets(config: HelpdeskConfig, name: str | None) -> list[str]:
    if name is None:
        return [target.name for target in config.targets]
    return [config.target(name).name]


async def _command(command: str, redis_url: str, targets: list[str]) -> int:
    client = await connect_checked(redis_url)
    try:
        if command == "dead-letters":
            for letter in await list_dead_letters(client, targets):
                print(json.dumps(letter.to_json(), ensure_ascii=False))
        else:
            for target in targets:
                print(f"{target}: {await replay(client, target)} dead letters replayed")
    finally:
        await client.aclose()
    return 0


async def _deliver(redis_url: str, config: HelpdeskConfig, settings: DeliverySettings) -> None:
    worker = await HelpdeskWorker.start(redis_url, config, settings)
    try:
        await asyncio.Event().wait()
    finally:
        await worker.stop()


if __name__ == "__main__":
    sys.exit(main())
