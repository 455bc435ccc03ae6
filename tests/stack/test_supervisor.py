"""The launcher keeps the stack up: a child that dies is restarted with back-off, the others keep
running, and one that keeps failing stops the stack with a clear message.

The children are real processes (tiny Python HTTP servers answering the health check), killed
for real with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest

from stack.config import StackConfig
from stack.processes import ProcessSpec, base_env
from stack.restarts import RestartPolicy, Restarts
from stack.supervisor import Stack, StackError, free_port

QUICK = RestartPolicy(first_delay=0.1, max_delay=0.4, stable_after=30, max_quick_failures=3)


def web_child(name: str, lifetime: float | None = None) -> ProcessSpec:
    """A child answering GET / with 200; with `lifetime`, it exits with code 3 after that long."""
    port = free_port()
    script = textwrap.dedent(
        f"""
        import http.server, sys, threading, time
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", {port}), http.server.SimpleHTTPRequestHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        time.sleep({lifetime if lifetime is not None else 3600})
        sys.exit(3)
        """
    )
    return ProcessSpec(
        name, [sys.executable, "-c", script], f"http://127.0.0.1:{port}/", base_env(), 10
    )


async def answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            async with session.get(url) as response:
                return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def test_a_killed_child_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    config = StackConfig.from_env({}, var_dir=tmp_path)
    specs = [web_child(name) for name in ("first", "middle", "last")]
    async with Stack(config, specs, echo=None) as stack:
        supervisor = asyncio.create_task(stack.supervise(QUICK))
        before = {p.spec.name: p.process.pid for p in stack.running}
        os.kill(before["middle"], signal.SIGKILL)

        log_file = tmp_path / "log" / "middle.log"
        for _ in range(100):  # up to 10 s
            if "[stack] middle is running again" in log_file.read_text():
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the killed child was not restarted")

        assert not supervisor.done()
        assert stack.running[1].process.pid != before["middle"]
        others = [p for p in stack.running if p.spec.name != "middle"]
        assert {p.spec.name: p.process.pid for p in others} == {
            "first": before["first"],
            "last": before["last"],
        }
        assert not any(p.exited for p in stack.running)
        for spec in specs:
            assert await answers(spec.health_url or ""), f"{spec.name} does not answer"
        assert "[stack] middle was killed by SIGKILL; restarting in 0.1 s (restart 1)" in (
            log_file.read_text()
        )

        os.kill(stack.running[1].process.pid, signal.SIGKILL)  # again: the back-off doubles
        for _ in range(100):
            if "restarting in 0.2 s (restart 2)" in log_file.read_text():
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the second restart was not announced")
    assert supervisor.cancelled(), "stopping the stack ends the supervision first"
    for name in ("first", "middle", "last"):  # what the stack stops is not restarted
        assert "SIGTERM" not in (tmp_path / "log" / f"{name}.log").read_text()


async def test_a_child_that_keeps_failing_makes_the_supervisor_give_up(tmp_path: Path) -> None:
    config = StackConfig.from_env({}, var_dir=tmp_path)
    specs = [web_child("steady"), web_child("flaky", lifetime=1.0)]
    async with Stack(config, specs, echo=None) as stack:
        with pytest.raises(StackError) as failure:
            await asyncio.wait_for(stack.supervise(QUICK), timeout=30)
        assert "flaky exited with code 3, 4 times in a row within 30 s" in str(failure.value)
        assert "giving up" in str(failure.value)
        steady = stack.running[0]
        assert not steady.exited, "the launcher, not the supervisor, stops the rest"
    log = (tmp_path / "log" / "flaky.log").read_text()
    assert [line for line in log.splitlines() if "restarting in" in line] == [
        "[stack] flaky exited with code 3; restarting in 0.1 s (restart 1)",
        "[stack] flaky exited with code 3; restarting in 0.2 s (restart 2)",
        "[stack] flaky exited with code 3; restarting in 0.4 s (restart 3)",
    ]


def test_the_back_off_doubles_up_to_its_cap_and_gives_up_after_many_quick_failures() -> None:
    restarts = Restarts(RestartPolicy())  # 1 s doubling to 30 s, 8 quick failures in a row
    delays = [restarts.after_exit(uptime=2.0) for _ in range(9)]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30, None]


def test_a_child_that_stayed_up_starts_its_back_off_afresh() -> None:
    restarts = Restarts(RestartPolicy())
    assert [restarts.after_exit(uptime=1.0) for _ in range(4)] == [1, 2, 4, 8]
    assert restarts.after_exit(uptime=600.0) == 1  # up ten minutes: a new streak
    assert restarts.after_exit(uptime=1.0) == 2
    assert restarts.total == 6


def forking_child(name: str, pid_file: Path) -> ProcessSpec:
    """Like `rasa run` with Sanic workers: the child starts a worker process that serves the
    port, writes the worker's pid to `pid_file`, and waits for it."""
    port = free_port()
    script = textwrap.dedent(
        f"""
        import http.server, os, pathlib, time
        worker = os.fork()
        if worker == 0:
            http.server.ThreadingHTTPServer(
                ("127.0.0.1", {port}), http.server.SimpleHTTPRequestHandler).serve_forever()
        pathlib.Path({str(pid_file)!r}).write_text(str(worker))
        os.waitpid(worker, 0)
        """
    )
    return ProcessSpec(
        name, [sys.executable, "-c", script], f"http://127.0.0.1:{port}/", base_env(), 10
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not yet reaped
        return stat.read().split(")")[-1].split()[0] != "Z"


async def test_a_killed_child_takes_its_workers_with_it_so_its_restart_gets_the_port(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "worker.pid"
    config = StackConfig.from_env({}, var_dir=tmp_path)
    spec = forking_child("rasa-like", pid_file)
    async with Stack(config, [spec], echo=None) as stack:
        supervisor = asyncio.create_task(stack.supervise(QUICK))
        first_worker = int(pid_file.read_text())
        os.kill(stack.running[0].process.pid, signal.SIGKILL)  # the parent only, as a crash

        log_file = tmp_path / "log" / "rasa-like.log"
        for _ in range(100):
            if "[stack] rasa-like is running again" in log_file.read_text():
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"not restarted:\n{log_file.read_text()}")
        assert not alive(first_worker), "the crashed child's worker outlived it"
        second_worker = int(pid_file.read_text())
        assert second_worker != first_worker and alive(second_worker)
        assert await answers(spec.health_url or "")
        assert not supervisor.done()
    for _ in range(50):  # stopping the stack stops the worker too
        if not alive(second_worker):
            break
        await asyncio.sleep(0.1)
    assert not alive(second_worker)


def test_free_ports_are_outside_the_ephemeral_range_and_never_handed_out_twice() -> None:
    """An outgoing connection takes an ephemeral port (32768-60999 on Linux); a port chosen
    there could be taken before the process binds it."""
    from stack.supervisor import FREE_PORTS, free_port

    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(port in FREE_PORTS and port < 32768 for port in ports)
