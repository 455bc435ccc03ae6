"""The baseline a team would deploy first: a plain Rasa 3.6 bot exactly as `rasa init` makes it.

`prepare()` creates it once under var/bench/plain-rasa (`rasa init --no-prompt`, which also
trains its model: about 3 minutes on 2 cores) and writes two files beside Rasa's own:
credentials with the REST and socket.io channels (the ones our stack serves), and endpoints
with Rasa's Redis tracker store. socket.io runs without `session_persistence`: with it, Rasa
3.6.21's channel never joins the client to its session's room (it calls python-socketio's
`enter_room` coroutine without awaiting it: "coroutine 'AsyncServer.enter_room' was never
awaited") and every reply is lost; without it, replies go to the socket itself.
`plain_rasa_spec()` serves it on a loopback port, with the in-memory tracker store `rasa init`
configures, or with the Redis one (`redis_port`), so the cost of keeping conversations in
Redis is visible on its own.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from stack.config import BOT_ENV, ROOT
from stack.processes import ProcessSpec, base_env

PLAIN_BOT_DIR = ROOT / "var" / "bench" / "plain-rasa"
CREDENTIALS = (
    "rest:\n\nsocketio:\n  user_message_evt: user_uttered\n  bot_message_evt: bot_uttered\n"
    "  session_persistence: false\n"
)
REDIS_ENDPOINTS = "tracker_store:\n  type: redis\n  url: 127.0.0.1\n  port: {port}\n  db: {db}\n"
REDIS_DB = 7  # apart from the stack's own keys in the shared Redis


def _env() -> dict[str, str]:
    return base_env() | {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def prepare(bot_dir: Path = PLAIN_BOT_DIR) -> Path:
    """The `rasa init` bot, trained; created on the first call only."""
    if not list((bot_dir / "models").glob("*.tar.gz")):
        bot_dir.mkdir(parents=True, exist_ok=True)
        print(f"creating the plain `rasa init` bot in {bot_dir} (trains once, ~3 min)")
        subprocess.run(
            [str(BOT_ENV / "rasa"), "init", "--no-prompt", "--init-dir", str(bot_dir)],
            cwd=bot_dir,
            env=_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    (bot_dir / "bench-credentials.yml").write_text(CREDENTIALS)
    return bot_dir


def plain_rasa_spec(
    name: str, port: int, bot_dir: Path = PLAIN_BOT_DIR, redis_port: int | None = None
) -> ProcessSpec:
    """`rasa run` of the plain bot; its tracker store in Redis when `redis_port` is given."""
    endpoints = bot_dir / "endpoints.yml"  # rasa init's: in-memory tracker store
    if redis_port is not None:
        endpoints = bot_dir / f"bench-endpoints-redis-{redis_port}.yml"
        endpoints.write_text(REDIS_ENDPOINTS.format(port=redis_port, db=REDIS_DB))
    argv = [
        str(BOT_ENV / "rasa"),
        "run",
        "--model",
        str(bot_dir / "models"),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(bot_dir / "bench-credentials.yml"),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return ProcessSpec(name, argv, f"http://127.0.0.1:{port}/", _env(), ready_timeout=300)
