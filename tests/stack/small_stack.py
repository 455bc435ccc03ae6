"""A small real stack in a launcher process of its own, for the tests that kill the launcher or
one of its children: the project-owned Redis, the sample order service and a Python child that
starts a worker process serving its port (as `rasa run` does with Sanic workers), supervised
with a quick back-off and writing the status file `make status` reads.

`python -m tests.stack.small_stack VAR_DIR REDIS_PORT ORDER_PORT WORKER_PORT`; SIGTERM or
SIGINT stops it cleanly. The worker's pid is written to VAR_DIR/worker.pid each time it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import textwrap
from pathlib import Path

from stack.config import StackConfig
from stack.processes import ProcessSpec, base_env, order_service_spec, redis_spec
from stack.restarts import RestartPolicy
from stack.status import StatusBoard, status_path
from stack.supervisor import Stack

POLICY = RestartPolicy(first_delay=1.0, max_delay=2.0, stable_after=30, max_quick_failures=3)


def forking_child(port: int, pid_file: Path) -> ProcessSpec:
    script = textwrap.dedent(
        f"""
        import http.server, os, pathlib
        worker = os.fork()
        if worker == 0:
            http.server.ThreadingHTTPServer(
                ("127.0.0.1", {port}), http.server.SimpleHTTPRequestHandler).serve_forever()
        pathlib.Path({str(pid_file)!r}).write_text(str(worker))
        os.waitpid(worker, 0)
        """
    )
    return ProcessSpec(
        "forking", [sys.executable, "-c", script], f"http://127.0.0.1:{port}/", base_env(), 10
    )


async def main(var_dir: Path, redis_port: int, order_port: int, worker_port: int) -> None:
    config = StackConfig.from_env(
        {"REDIS_PORT": str(redis_port), "ORDER_SERVICE_PORT": str(order_port)}, var_dir=var_dir
    )
    specs = [
        redis_spec(config),
        order_service_spec(config),
        forking_child(worker_port, var_dir / "worker.pid"),
    ]
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    stack = Stack(config, specs, echo=None)
    stack.status = StatusBoard(status_path(var_dir))
    async with stack:
        supervisor = asyncio.create_task(stack.supervise(POLICY))
        await stop.wait()
        supervisor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor


if __name__ == "__main__":
    folder, *ports = sys.argv[1:]
    asyncio.run(main(Path(folder), *(int(port) for port in ports)))
