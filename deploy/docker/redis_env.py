"""The bot image's entry point: run a command with Rasa's Redis settings taken from REDIS_URL.

Rasa's tracker and lock stores (deploy/rasa/endpoints.yml, as bot/endpoints.yml) read
REDIS_HOST, REDIS_PORT, REDIS_DB and REDIS_PASSWORD; every other process reads REDIS_URL. So a
deployment sets REDIS_URL once, for all of them, and this derives the four from it the way
`make run` does (stack/config.py's RedisTarget: redis://[:password@]host:port/db), then replaces
itself with the command (`rasa run ...`, or the action server, which ignores them).

Without REDIS_URL the command runs with the environment as it is. Python 3.10, standard library
and stack/config.py only (the bot image has no more of the project).
"""

from __future__ import annotations

import os
import sys

from stack.config import RedisTarget, StackConfigError


def rasa_redis_env(env: dict[str, str]) -> dict[str, str]:
    """`env` with REDIS_HOST, REDIS_PORT, REDIS_DB and REDIS_PASSWORD from its REDIS_URL."""
    url = env.get("REDIS_URL", "")
    if not url:
        return env
    target = RedisTarget.parse(url, owned=False)
    return env | {
        "REDIS_HOST": target.host,
        "REDIS_PORT": str(target.port),
        "REDIS_DB": str(target.db),
        "REDIS_PASSWORD": target.password,
    }


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: redis_env.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    try:
        env = rasa_redis_env(dict(os.environ))
    except StackConfigError:  # its message quotes the URL, password and all: not printed
        print(
            f"cannot start {argv[0]}: REDIS_URL must look like redis://[:password@]host:port/db",
            file=sys.stderr,
        )
        return 2
    os.execvpe(argv[0], argv, env)
    return 0  # not reached: execvpe replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
