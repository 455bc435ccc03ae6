"""The email follow-up's command line:

    python -m mail send     send the queued mails until Ctrl-C or SIGTERM (the service runs the
                            same worker itself; run this for a sender of its own)

Uses REDIS_URL and the SMTP_*/MAIL_* settings, as the service does (mail/settings.py). Exit
status 2 with the reason when a setting or Redis fails, or when SMTP_HOST is not set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from infra import log_format
from infra.env import EnvReader, SettingsError
from infra.redis_client import RedisUnavailable
from mail.settings import MailSettings, mail_settings
from mail.worker import MailWorker


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mail", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("send", help="send the queued mails until interrupted")
    parser.parse_args(argv)
    try:
        read = EnvReader(os.environ, "mail settings")
        redis_url = read.redis_url()
        settings = mail_settings(read)
        read.raise_problems()
        if not settings.sending:
            raise SettingsError("SMTP_HOST is not set: there is no mail server to send through")
        log_format.configure()
        asyncio.run(_send(redis_url, settings))
    except (SettingsError, RedisUnavailable) as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def _send(redis_url: str, settings: MailSettings) -> None:
    worker = await MailWorker.start(redis_url, settings)
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    try:
        await stopped.wait()
    finally:
        await worker.stop()


if __name__ == "__main__":
    sys.exit(main())
