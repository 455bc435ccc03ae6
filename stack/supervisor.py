"""Start the stack's processes, wait until each is healthy, stream their logs, restart one that
exits (with back-off, stack/restarts.py), stop them cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO

import aiohttp

from infra import redis_client
from stack import orphans
from stack.config import RedisTarget, StackConfig
from stack.processes import ProcessSpec
from stack.restarts import RestartPolicy, Restarts
from stack.status import StatusBoard

COLOURS = {"redis": "31", "service": "32", "actions": "33", "rasa": "36", "haproxy": "35"}


class StackError(RuntimeError):
    pass


FREE_PORTS = range(20000, 32000)
"""Where free_port looks: below Linux's ephemeral range (32768-60999), so that an outgoing
connection made between choosing a port and binding it cannot take it (a port the kernel hands
out for `bind(0)` is an ephemeral one: a clean-clone run once lost the order service's that way)."""
_handed_out: set[int] = set()


def free_port() -> int:
    """A port nobody listens on right now, never the same one twice in a process (for tests and
    benchmarks, which start their processes a few seconds after choosing)."""
    for _ in range(500):
        port = random.choice(FREE_PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {FREE_PORTS.start}-{FREE_PORTS.stop - 1}")


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def exit_description(code: int) -> str:
    """'exited with code 1', or 'was killed by SIGKILL' for a negative (signal) return code."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


class RunningProcess:
    def __init__(
        self,
        spec: ProcessSpec,
        process: asyncio.subprocess.Process,
        log_path: Path,
        echo: IO[str] | None,
    ):
        self.spec = spec
        self.process = process
        self.started_at = time.monotonic()
        self.recent: deque[str] = deque(maxlen=40)
        self._log_path = log_path
        self._echo = echo
        self.pump = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        assert self.process.stdout is not None
        colour = COLOURS.get(self.spec.name.split("-")[0], "0")  # service-2: as the service
        prefix = f"\033[{colour}m{self.spec.name:>8} |\033[0m "
        with self._log_path.open("a", encoding="utf-8") as log_file:
            while line_bytes := await self.process.stdout.readline():
                line = line_bytes.decode("utf-8", "replace").rstrip()
                self.recent.append(line)
                log_file.write(line + "\n")
                log_file.flush()
                if self._echo is not None:
                    self._echo.write(prefix + line + "\n")
                    self._echo.flush()

    @property
    def exited(self) -> bool:
        return self.process.returncode is not None

    async def exit_code(self) -> int:
        """The child's exit code once it has exited. Not `process.wait()`: that also waits for
        its output pipe to close, which a worker it started and left behind keeps open. Polled:
        asyncio's subprocess API sets the exit code but has no event for it."""
        while self.process.returncode is None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        return self.process.returncode

    def kill_group(self) -> None:
        """SIGKILL the child and whatever it started that is still there (Rasa's workers): the
        child leads its own process group (start_new_session), so the group is everything."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


class Stack:
    """The running processes. Use as `async with Stack(config, specs): ...`."""

    def __init__(
        self, config: StackConfig, specs: list[ProcessSpec], echo: IO[str] | None = sys.stdout
    ):
        self.config = config
        self.specs = specs
        self.echo = echo
        self.running: list[RunningProcess] = []
        self.log_dir = config.var_dir / "log"
        self._supervision: asyncio.Task[None] | None = None
        self.status = StatusBoard()  # `python -m stack run` gives it a file (stack/status.py)
        self._guard = orphans.GroupGuard()  # the children end with us, even on SIGKILL

    async def __aenter__(self) -> Stack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _check_ports(self) -> None:
        names = {spec.name for spec in self.specs}
        for name, port in self._ports():
            if name in names and not port_is_free(port):
                setting = name.split("-")[0].upper() + "_PORT"
                raise StackError(
                    f"port {port} for {name} is already in use on 127.0.0.1: is another "
                    f"stack running? Stop it, or choose another port ({setting})."
                )

    def _ports(self) -> list[tuple[str, int]]:
        """(process name, port) of the ports the stack itself listens on."""
        config = self.config
        kinds = ("service", "actions", "rasa")
        ports = [("redis", config.redis.port), *((kind, config.port_of(kind)) for kind in kinds)]
        if config.replicated:
            ports = [(name, port) for name, port in ports if name == "redis"]
            ports += [("haproxy", config.port_of(kind)) for kind in (*kinds, "gateway")]
            ports += [
                (f"{kind}-{number}", port)
                for kind in (*kinds, "gateway")
                for number, port in enumerate(config.ports_of(kind), start=1)
            ]
        return ports

    async def start(self) -> None:
        self._check_ports()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        first, rest = self.specs[:1], self.specs[1:]
        for phase in (first, rest):  # Redis (or the first process) before everything else
            started = []
            for spec in phase:
                started.append(await self._spawn(spec))
                self.running.append(started[-1])  # stopped by stop() even if a later one fails
            await asyncio.gather(*(self._wait_ready(process) for process in started))

    async def supervise(self, policy: RestartPolicy | None = None) -> None:
        """Restart every child that exits, after a back-off, until cancelled; the others keep
        running meanwhile. Raises StackError when one keeps failing (`max_quick_failures` exits
        in a row, none after staying up `stable_after`): the caller then stops the rest."""
        policy = policy or RestartPolicy()
        self._supervision = asyncio.current_task()
        keepers = [
            asyncio.create_task(self._keep_running(slot, Restarts(policy)))
            for slot in range(len(self.running))
        ]
        try:
            done, _ = await asyncio.wait(keepers, return_when=asyncio.FIRST_EXCEPTION)
            for keeper in done:
                keeper.result()  # raises the StackError of the child that keeps failing
        finally:
            for keeper in keepers:
                keeper.cancel()
            await asyncio.gather(*keepers, return_exceptions=True)

    async def _keep_running(self, slot: int, restarts: Restarts) -> None:
        while True:
            running = self.running[slot]
            code = await running.exit_code()
            running.kill_group()  # a crashed Rasa's workers would keep its port and old model
            with contextlib.suppress(asyncio.CancelledError):
                await running.pump  # its last lines go to the log before ours
            name = running.spec.name
            delay = restarts.after_exit(time.monotonic() - running.started_at)
            if delay is None:
                self.status.gave_up(name, exit_description(code))
                tail = "\n    ".join(running.recent)
                raise StackError(
                    f"{name} {exit_description(code)}, {restarts.policy.max_quick_failures + 1} "
                    f"times in a row within {restarts.policy.stable_after:g} s of starting; "
                    f"giving up on it (see {self.log_dir}/{name}.log):\n    {tail}"
                )
            self.status.restarting(name, exit_description(code), restarts.total)
            self.notice(
                name,
                f"{name} {exit_description(code)}; restarting in {delay:g} s "
                f"(restart {restarts.total})",
            )
            await asyncio.sleep(delay)
            replacement = await self._spawn(running.spec)
            self.running[slot] = replacement
            try:
                await self._wait_ready(replacement)
            except StackError as error:
                self.notice(name, f"{name} did not come back: {str(error).splitlines()[0]}")
                if not replacement.exited:
                    replacement.kill_group()  # counts as one more quick failure
            else:
                self.notice(name, f"{name} is running again")

    def notice(self, name: str, message: str) -> None:
        """A line of the launcher's own about child `name`: to stderr and to the child's log."""
        line = f"[stack] {message}"
        print(line, file=sys.stderr, flush=True)
        with (self.log_dir / f"{name}.log").open("a", encoding="utf-8") as log_file:
            log_file.write(line + "\n")

    async def _spawn(self, spec: ProcessSpec) -> RunningProcess:
        process = await asyncio.create_subprocess_exec(
            *spec.argv,
            env=spec.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
            preexec_fn=orphans.dies_with_this_process(),  # and SIGKILL (stack/orphans.py)
        )
        await self._guard.watch(process.pid)  # its own children too: they are in its group
        self.status.spawned(spec.name, process.pid)
        return RunningProcess(spec, process, self.log_dir / f"{spec.name}.log", self.echo)

    async def _wait_ready(self, running: RunningProcess) -> None:
        spec = running.spec
        deadline = time.monotonic() + spec.ready_timeout
        while time.monotonic() < deadline:
            if running.exited:
                await asyncio.sleep(0.2)  # let the log pump catch the last lines
                tail = "\n    ".join(running.recent)
                raise StackError(
                    f"{spec.name} exited with code {running.process.returncode}:\n    {tail}"
                )
            if await self._healthy(spec):
                self.status.running(spec.name)
                return
            await asyncio.sleep(0.5)
        raise StackError(
            f"{spec.name} was not healthy after {spec.ready_timeout:.0f} s; "
            f"see {self.log_dir}/{spec.name}.log"
        )

    async def _healthy(self, spec: ProcessSpec) -> bool:
        if spec.health_url is None:  # the project's own Redis: ready when it answers a PING
            client = redis_client.connect(self.config.redis.url, timeout_seconds=1.0)
            try:
                await redis_client.ping(client)
                return True
            except redis_client.RedisUnavailable:
                return False
            finally:
                await client.aclose()
        return await self.healthy_url(spec.health_url)

    async def healthy_url(self, url: str, token: str | None = None) -> bool:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            timeout = aiohttp.ClientTimeout(total=2)
            async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
                async with session.get(url) as response:
                    return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def stop(self, grace_seconds: float = 15.0) -> None:
        supervision, self._supervision = self._supervision, None
        if supervision is not None and supervision is not asyncio.current_task():
            supervision.cancel()  # what stops now must not be restarted
            with contextlib.suppress(asyncio.CancelledError, StackError):
                await supervision
        for running in reversed(self.running):
            if not running.exited:
                with contextlib.suppress(ProcessLookupError):
                    running.process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(running.exit_code(), grace_seconds)
                except asyncio.TimeoutError:
                    running.kill_group()
                    await running.process.wait()
            running.kill_group()  # nothing it started outlives it
            with contextlib.suppress(asyncio.CancelledError):
                await running.pump
        self.running.clear()
        self.status.stopped()
        await self._guard.close()

    def describe(self) -> str:
        redis_line = (
            f"redis    {self.config.redis.host}:{self.config.redis.port} "
            f"(project-owned, data in {self.config.var_dir / 'redis'})"
            if self.config.redis.owned
            else f"redis    {self.config.redis.host}:{self.config.redis.port} (REDIS_URL)"
        )
        return "\n".join(
            [
                "The assistant is running (all on 127.0.0.1):",
                f"  {redis_line}",
                f"  service  {self.config.service_url}  "
                f"(knowledge base; internal token in {self.config.var_dir / 'secrets'})",
                f"  actions  {self.config.actions_url}",
                f"  rasa     {self.config.rasa_url}  (REST: POST /webhooks/rest/webhook)",
                f"  gateway  {self.config.gateway_url}  (socket.io for web widgets)",
                f"  shop     {shop_line(self.config)}",
                *replicas_lines(self.config),
                f"Logs: {self.log_dir}/<name>.log. "
                "Chat from another terminal: make shell. Stop: Ctrl-C.",
            ]
        )


@contextlib.asynccontextmanager
async def service_available(
    config: StackConfig, specs: Callable[[StackConfig], list[ProcessSpec]]
) -> AsyncIterator[StackConfig]:
    """Yield the config of a service that answers: a running one of this checkout (e.g.
    `make run`) is reused; otherwise the processes `specs` builds are started on free ports for
    the duration and stopped afterwards."""
    probe = Stack(config, [])
    if await probe.healthy_url(f"{config.service_url}/kb/articles", config.service_token):
        yield config  # ours (it accepted our token): reuse it
        return
    # Started only for this command: free ports, so nothing else on the machine (another
    # checkout's stack, a Redis on the default port) can collide with it.
    redis = config.redis
    if redis.owned:
        redis = RedisTarget.parse(f"redis://127.0.0.1:{free_port()}/0", owned=True)
    config = dataclasses.replace(config, service_port=free_port(), redis=redis)
    print("[stack] starting the service for this command (logs in var/log/)", flush=True)
    try:
        async with Stack(config, specs(config), echo=None):
            yield config
    except StackError as error:
        raise SystemExit(f"[stack] could not start the service: {error}") from None


def replicas_lines(config: StackConfig) -> list[str]:
    """For the banner of a replicated stack: where the replicas behind HAProxy listen."""
    if not config.replicated:
        return []
    kinds = ("service", "actions", "rasa", "gateway")
    listed = "; ".join(f"{kind} {', '.join(map(str, config.ports_of(kind)))}" for kind in kinds)
    return [
        f"  {config.replicas} replicas of each behind HAProxy on the ports above ({listed}); "
        f"HAProxy's config in {config.var_dir / 'haproxy'}"
    ]


def shop_line(config: StackConfig) -> str:
    """Which shop the assistant asks about orders, for the start-up banner."""
    if config.shop.get("SHOP_CONNECTOR") == "shopify":
        return f"Shopify store {config.shop.get('SHOPIFY_SHOP', '?')} (SHOP_CONNECTOR=shopify)"
    if config.external_shop_url:
        return f"{config.shop_url}  (ORDER_SERVICE_URL)"
    return f"{config.shop_url}  (the sample order service, docs/order-service.md)"
