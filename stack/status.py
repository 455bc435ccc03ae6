"""What each of the launcher's children is doing, for people and for tools.

The launcher keeps a `StatusBoard`: per child its pid, state, restarts, how it last exited and
since when. With a path (`make run`: var/run/stack-status.json) the board is written on every
change, atomically (a temporary file renamed over the old one), so a reader never sees half a
file. `python -m stack status` (`make status`) prints it in words and exits 1 unless the
launcher runs and every child is running - the launcher's own health, and the only one that
sees the action server (nothing else the gateway talks to knows it).

The file holds names, pids, states, times and exit descriptions ("was killed by SIGKILL"):
nothing secret.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

STARTING = "starting"  # started, not yet answering its health check
RUNNING = "running"  # answered its health check
RESTARTING = "restarting"  # exited; waiting out its back-off, or started again and not yet up
GIVEN_UP = "given up"  # kept failing: the launcher stopped restarting it (and stops the stack)
STOPPED = "stopped"  # the launcher stopped it
STATES = (STARTING, RUNNING, RESTARTING, GIVEN_UP, STOPPED)


def status_path(var_dir: Path) -> Path:
    return var_dir / "run" / "stack-status.json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class ChildStatus:
    name: str
    pid: int
    state: str
    since: str  # when it entered this state (ISO 8601, UTC)
    restarts: int = 0  # since the launcher started
    last_exit: str | None = None  # "exited with code 1", "was killed by SIGKILL"


class StatusBoard:
    """The launcher's children by name, in the order they were started."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.children: dict[str, ChildStatus] = {}

    def spawned(self, name: str, pid: int) -> None:
        """A process for `name` was started: a restart stays `restarting` until it is up."""
        child = self.children.get(name)
        if child is not None and child.state == RESTARTING:
            child.pid = pid
            self._write()
        else:
            restarts, last_exit = (child.restarts, child.last_exit) if child else (0, None)
            self.children[name] = ChildStatus(name, pid, STARTING, _now(), restarts, last_exit)
            self._write()

    def running(self, name: str) -> None:
        self._change(name, RUNNING)

    def restarting(self, name: str, last_exit: str, restarts: int) -> None:
        self._change(name, RESTARTING, last_exit=last_exit, restarts=restarts)

    def gave_up(self, name: str, last_exit: str) -> None:
        self._change(name, GIVEN_UP, last_exit=last_exit)

    def stopped(self) -> None:
        """The launcher stopped everything (a child it gave up on keeps saying so)."""
        for child in self.children.values():
            if child.state != GIVEN_UP:
                child.state, child.since = STOPPED, _now()
        self._write()

    def _change(self, name: str, state: str, **fields: Any) -> None:
        child = self.children.get(name)
        if child is None:
            return
        child.state, child.since = state, _now()
        for field_name, value in fields.items():
            setattr(child, field_name, value)
        self._write()

    def as_json(self) -> dict[str, Any]:
        return {
            "launcher_pid": os.getpid(),
            "updated_at": _now(),
            "children": {name: asdict(child) for name, child in self.children.items()},
        }

    def _write(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".stack-status.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                json.dump(self.as_json(), stream, indent=2)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def read_status(path: Path) -> dict[str, Any] | None:
    """The last status a launcher wrote there, or None when there is none (never started)."""
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return loaded


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process has that number now
        return False
    return True


def describe(status: dict[str, Any] | None, path: Path) -> tuple[str, bool]:
    """The status in words, and whether all is well: the launcher runs and every child is
    running."""
    if status is None:
        return f"No stack has run here yet ({path} does not exist). Start one: make run", False
    launcher = status["launcher_pid"]
    children = list(status["children"].values())
    launcher_alive = process_alive(launcher)
    if launcher_alive:
        lines = [f"The launcher (pid {launcher}) is running. Its processes:"]
    else:
        lines = [
            f"The launcher (pid {launcher}) is not running; what it last wrote "
            f"({status['updated_at']}):"
        ]
    width = max((len(child["name"]) for child in children), default=0)
    lines += [f"  {child['name']:<{width}}  {child_line(child)}" for child in children]
    not_running = [child["name"] for child in children if child["state"] != RUNNING]
    if not launcher_alive:
        lines.append("Nothing is supervised. Start the stack: make run")
    elif not_running:
        lines.append(f"Not running: {', '.join(not_running)} (logs: var/log/<name>.log)")
    else:
        lines.append(f"All {len(children)} are running.")
    return "\n".join(lines), launcher_alive and bool(children) and not not_running


def child_line(child: dict[str, Any]) -> str:
    since = child["since"].replace("T", " ").replace("+00:00", " UTC")
    text = f"{child['state']} since {since} (pid {child['pid']})"
    if child["restarts"]:
        times = "time" if child["restarts"] == 1 else "times"
        text += f", restarted {child['restarts']} {times}"
    if child["last_exit"]:
        text += f"; last time it {child['last_exit']}"
    return text


def main(var_dir: Path) -> int:
    """`python -m stack status`: 0 when the launcher runs and every child is running, else 1."""
    path = status_path(var_dir)
    text, healthy = describe(read_status(path), path)
    print(text)
    return 0 if healthy else 1
