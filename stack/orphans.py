"""No orphans: every process the launcher starts, and every process those start, ends when the
launcher ends - even when it gets SIGKILL and can run no clean-up of its own.

Two layers, because Linux offers no single one that covers both:
- each child asks the kernel for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG, set
  between fork and exec: `dies_with_this_process`). The kernel does not pass that setting on
  to the child's own children (Rasa's Sanic workers), so:
- a guard process (`GroupGuard`; this file run as a script) learns the process group of each
  child (each leads its own: start_new_session) through a pipe from the launcher. The launcher's
  death closes the pipe; the guard then sends SIGTERM to every group it knows, and SIGKILL to
  what is left after GRACE_SECONDS. It forgets a group once it is empty, so a number the kernel
  hands out again later is never signalled.

SIGTERM first, not SIGKILL: Redis flushes its AOF and the servers close their sockets. Standard
library only: the guard runs as `python -I orphans.py`, with nothing to import.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
GRACE_SECONDS = 3.0
"""How long the groups get after SIGTERM before SIGKILL, once the launcher is gone."""
POLL_SECONDS = 1.0
"""How often the guard forgets the groups that have ended."""
DONE = b"done\n"
"""What the launcher sends when it stopped its children itself."""


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once in the launcher (nothing is loaded between fork and exec);
    None off Linux, where children then only die with the launcher through the guard."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    return None


_PRCTL = _load_prctl()


def dies_with_this_process(signum: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` for a child of this process: the kernel sends it `signum` when this
    process ends (the thread that forks it must be the one that lives as long: the event loop's).
    If this process died before the child could ask, the child kills itself."""
    parent = os.getpid()

    def preexec() -> None:
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:  # died between fork and prctl: no signal would ever come
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


class GroupGuard:
    """The launcher's side of the guard: started with the first child it is told about."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None

    async def watch(self, group: int) -> None:
        """Have the guard end process group `group` if the launcher dies."""
        if self._process is None:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                __file__,
                stdin=asyncio.subprocess.PIPE,
                start_new_session=True,  # Ctrl-C in the terminal is the launcher's to handle
            )
        assert self._process.stdin is not None
        with contextlib.suppress(ConnectionError):  # the guard was killed: prctl still holds
            self._process.stdin.write(f"{group}\n".encode())
            await self._process.stdin.drain()

    async def close(self) -> None:
        """After the launcher stopped its children: the guard ends what may be left and exits."""
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(ConnectionError):
            process.stdin.write(DONE)
            await process.stdin.drain()
        process.stdin.close()
        await process.wait()


def group_exists(group: int) -> bool:
    """Whether `group` has a process, a zombie included (which keeps its number from reuse)."""
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):  # gone, or someone else's number now
        return False
    return True


def running_groups(groups: set[int]) -> set[int]:
    """Those of `groups` with a process that still runs: a zombie (dead, not yet reaped by
    whoever inherited it) does not count. Reads /proc; elsewhere, `group_exists`."""
    proc = Path("/proc")
    if not proc.is_dir():
        return set(filter(group_exists, groups))
    running = set()
    for stat in proc.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            state, _parent, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(process_group) in groups and state != "Z":
                running.add(int(process_group))
    return running


def end_groups(groups: set[int], grace_seconds: float = GRACE_SECONDS) -> None:
    """SIGTERM to each group, SIGKILL to those still there after `grace_seconds`."""
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and running_groups(groups):
        time.sleep(0.05)
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


def guard(fd: int = 0) -> None:
    """Read group numbers (one a line) from `fd` until it closes, then end the live ones.
    `done` first: the launcher stopped its children itself and ends normally."""
    groups: set[int] = set()
    pending = b""
    done = False
    while not done:
        readable, _, _ = select.select([fd], [], [], POLL_SECONDS)
        if readable:
            chunk = os.read(fd, 4096)
            if not chunk:
                break  # the launcher died (or closed the pipe without a word)
            *lines, pending = (pending + chunk).split(b"\n")
            groups.update(int(line) for line in lines if line.strip().isdigit())
            done = DONE.strip() in lines
        groups = set(filter(group_exists, groups))
    groups = running_groups(groups)
    if groups:
        if not done:
            print(
                f"[stack] the launcher is gone: ending its processes (groups {sorted(groups)})",
                flush=True,
            )
        end_groups(groups)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    guard()
