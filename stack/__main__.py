"""The stack's command line (service env): `python -m stack run|train|chat|status`.

run    start Redis (unless REDIS_URL), the service, the action server, Rasa and the gateway
       (REPLICAS=n: n of each of the last four behind HAProxy); wait for each to be healthy;
       stream their logs; restart one that exits (back-off 1, 2, 4... 30 s; stop everything
       if it fails 9 times in a row); stop everything on Ctrl-C
train  train the Rasa model when data, config or domain changed (Rasa's fingerprint)
chat   talk to the running assistant from the terminal
status what `run` is doing: each process's state, pid and restarts (var/run/stack-status.json);
       exits 1 unless every process is running
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys

from stack import status
from stack.chat import chat
from stack.config import MODEL_DIR, StackConfig, StackConfigError
from stack.processes import rasa_env, service_specs, train_argv
from stack.replicas import product_specs
from stack.supervisor import Stack, StackError, service_available


async def with_service(config: StackConfig, argv: list[str]) -> int:
    """Run argv with the service reachable: reuse a running one, else start it for the command."""
    async with service_available(config, service_specs) as running:
        process = await asyncio.create_subprocess_exec(*argv, env=rasa_env(running))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):  # stop the command, then the service
            loop.add_signal_handler(signum, process.send_signal, signum)
        try:
            return await process.wait()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)


def train(config: StackConfig) -> int:
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    print("[stack] checking the Rasa model (trains only when data, config or domain changed)")
    return asyncio.run(with_service(config, train_argv()))


async def run(config: StackConfig) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        stack = Stack(config, product_specs(config))
    except StackConfigError as error:
        print(f"[stack] {error}", file=sys.stderr)
        return 2
    stack.status = status.StatusBoard(status.status_path(config.var_dir))  # `make status`
    try:
        await stack.start()
    except StackError as error:
        print(f"[stack] could not start: {error}", file=sys.stderr)
        await stack.stop()
        return 1
    print("\n" + stack.describe() + "\n", flush=True)
    supervisor = asyncio.create_task(stack.supervise())  # restarts a child that exits
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([stopper, supervisor], return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if not stopper.done():
        print(f"[stack] {supervisor.exception()}\n[stack] stopping the rest", file=sys.stderr)
        code = 1
    for task in (stopper, supervisor):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # printed above
            await task
    print("[stack] stopping...", flush=True)
    await stack.stop()
    print("[stack] stopped", flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["run", "train", "chat", "with-service", "status"])
    parser.add_argument("argv", nargs=argparse.REMAINDER, help="with-service: the command to run")
    args = parser.parse_args(argv)
    try:
        config = StackConfig.from_env(os.environ)
    except StackConfigError as error:
        print(f"[stack] {error}", file=sys.stderr)
        return 2
    if args.command == "train":
        return train(config)
    if args.command == "with-service":
        command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        if not command:
            parser.error("with-service needs a command, e.g. with-service -- rasa test")
        return asyncio.run(with_service(config, command))
    if args.command == "chat":
        return asyncio.run(chat(config))
    if args.command == "status":
        return status.main(config.var_dir)
    return asyncio.run(run(config))


if __name__ == "__main__":
    sys.exit(main())
