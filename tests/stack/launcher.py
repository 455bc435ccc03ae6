"""Drive tests/stack/small_stack.py from a test: start it in a process of its own, read the
status file it writes, and find out whether a process or a port is still in use."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stack.config import ROOT
from stack.status import status_path
from stack.supervisor import free_port


class SmallStack:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.ports = {"redis": free_port(), "orders": free_port(), "forking": free_port()}
        self.output = var_dir / "launcher.out"
        self.launcher: subprocess.Popen[bytes] | None = None

    def start(self) -> dict[str, Any]:
        """Start the launcher; the status once every child is running."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "tests.stack.small_stack", str(self.var_dir)]
        argv += [str(self.ports[name]) for name in ("redis", "orders", "forking")]
        with self.output.open("wb") as output:
            self.launcher = subprocess.Popen(
                argv, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self.wait_for(
            lambda status: len(status["children"]) == 3 and all_in(status, "running"),
            "every child running",
        )

    def status(self) -> dict[str, Any] | None:
        try:
            loaded: dict[str, Any] = json.loads(status_path(self.var_dir).read_text())
        except FileNotFoundError:
            return None
        return loaded

    def wait_for(
        self, condition: Callable[[dict[str, Any]], bool], what: str, seconds: float = 60
    ) -> dict[str, Any]:
        """The first status (polled every 20 ms) that meets `condition`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            status = self.status()
            if status is not None and condition(status):
                return status
            assert self.launcher is not None
            if self.launcher.poll() is not None:
                raise AssertionError(f"the launcher exited:\n{self.output.read_text()}")
            time.sleep(0.02)
        raise AssertionError(f"not {what} after {seconds:g} s: {self.status()}")

    def worker_pid(self) -> int:
        return int((self.var_dir / "worker.pid").read_text())

    def process_pids(self) -> list[int]:
        """The children's pids as the status says and the forking child's worker."""
        status = self.status()
        assert status is not None
        return [child["pid"] for child in status["children"].values()] + [self.worker_pid()]

    def kill_everything(self) -> None:
        """Clean-up after a failed test: nothing of it may outlive the test."""
        if self.launcher is not None and self.launcher.poll() is None:
            self.launcher.kill()
            self.launcher.wait()
        for pid in self.process_pids() if self.status() else []:
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill(pid, signal.SIGKILL)


def all_in(status: dict[str, Any], state: str) -> bool:
    return bool(status["children"]) and all(
        child["state"] == state for child in status["children"].values()
    )


def running(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
