"""Killing the launcher with SIGKILL leaves nothing behind: its children end (the kernel's
parent-death signal), and so do the processes they started themselves (the guard, which ends
each child's process group): no pid of the stack runs and no port of it is taken a few seconds
later. A real launcher process with a real Redis, the sample order service and a child with a
worker process of its own, as `rasa run` has (tests/stack/small_stack.py)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from stack.supervisor import port_is_free
from tests.stack.launcher import SmallStack, running


def test_a_launcher_killed_with_sigkill_leaves_no_process_and_no_port_behind(
    tmp_path: Path,
) -> None:
    stack = SmallStack(tmp_path / "var")
    try:
        stack.start()
        pids = stack.process_pids()
        assert len(pids) == 4 and all(map(running, pids))  # redis, orders, forking, its worker
        assert not any(map(port_is_free, stack.ports.values()))

        assert stack.launcher is not None
        stack.launcher.send_signal(signal.SIGKILL)
        stack.launcher.wait()
        killed_at = time.monotonic()
        while any(map(running, pids)) and time.monotonic() - killed_at < 10:
            time.sleep(0.05)
        left = [pid for pid in pids if running(pid)]
        assert left == [], f"still running {time.monotonic() - killed_at:.1f} s later: {left}"
        busy = {name: port for name, port in stack.ports.items() if not port_is_free(port)}
        assert busy == {}, f"ports still taken: {busy}"
        assert "the launcher is gone: ending its processes" in stack.output.read_text()
    finally:
        stack.kill_everything()
