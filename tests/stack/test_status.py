"""The launcher says what each child is doing: var/run/stack-status.json, written atomically on
every change, and `python -m stack status` (`make status`) in words, exiting 1 unless every
child is running. Unit tests on the board and its words; then a real small stack in a launcher
process of its own (tests/stack/small_stack.py) whose Redis is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from stack.config import ROOT
from stack.status import StatusBoard, describe, read_status, status_path
from tests.stack.launcher import SmallStack, all_in


def test_the_board_follows_a_child_through_a_restart_and_writes_each_step(
    tmp_path: Path,
) -> None:
    path = status_path(tmp_path)
    board = StatusBoard(path)
    board.spawned("redis", 101)
    board.spawned("rasa", 102)
    assert read_status(path)["children"]["rasa"]["state"] == "starting"  # type: ignore[index]
    board.running("redis")
    board.running("rasa")
    board.restarting("rasa", "was killed by SIGKILL", restarts=1)
    rasa = read_status(path)["children"]["rasa"]  # type: ignore[index]
    assert (rasa["state"], rasa["pid"], rasa["restarts"]) == ("restarting", 102, 1)
    assert rasa["last_exit"] == "was killed by SIGKILL"
    board.spawned("rasa", 103)  # started again, not yet healthy: still restarting
    assert read_status(path)["children"]["rasa"]["state"] == "restarting"  # type: ignore[index]
    board.running("rasa")
    status = read_status(path)
    assert status is not None
    assert status["launcher_pid"] == os.getpid()
    assert list(status["children"]) == ["redis", "rasa"]  # the start order
    rasa = status["children"]["rasa"]
    assert (rasa["state"], rasa["pid"], rasa["restarts"]) == ("running", 103, 1)
    assert rasa["last_exit"] == "was killed by SIGKILL"  # kept: why it restarted
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]  # no temporary left


def test_the_words_say_who_is_not_running_and_whether_all_is_well(tmp_path: Path) -> None:
    path = status_path(tmp_path)
    board = StatusBoard(path)
    for name, pid in (("redis", 11), ("service", 12), ("actions", 13)):
        board.spawned(name, pid)
        board.running(name)
    text, healthy = describe(read_status(path), path)
    assert healthy, text
    assert f"The launcher (pid {os.getpid()}) is running" in text
    assert "All 3 are running." in text

    board.restarting("actions", "exited with code 1", restarts=2)
    text, healthy = describe(read_status(path), path)
    assert not healthy
    assert "actions  restarting since" in text
    assert "restarted 2 times; last time it exited with code 1" in text
    assert "Not running: actions" in text

    board.gave_up("actions", "exited with code 1")
    board.stopped()
    status = read_status(path)
    assert status is not None
    states = {name: child["state"] for name, child in status["children"].items()}
    assert states == {"redis": "stopped", "service": "stopped", "actions": "given up"}


def test_a_status_left_by_a_launcher_that_is_gone_is_not_healthy(tmp_path: Path) -> None:
    path = status_path(tmp_path)
    board = StatusBoard(path)
    board.spawned("redis", 11)
    board.running("redis")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    status = json.loads(path.read_text()) | {"launcher_pid": int(gone)}
    text, healthy = describe(status, path)
    assert not healthy
    assert f"The launcher (pid {gone}) is not running" in text
    assert "make run" in text


def test_without_a_status_file_there_is_nothing_running(tmp_path: Path) -> None:
    text, healthy = describe(read_status(status_path(tmp_path)), status_path(tmp_path))
    assert not healthy and "No stack has run here yet" in text


def stack_status(var_dir: Path) -> subprocess.CompletedProcess[str]:
    """`python -m stack status` for the stack whose state is in `var_dir`."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "STACK_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "stack", "status"], env=env, capture_output=True, text=True
    )


def test_a_killed_child_shows_as_restarting_then_running_with_one_restart(tmp_path: Path) -> None:
    stack = SmallStack(tmp_path / "var")
    try:
        before = stack.start()
        shown = stack_status(stack.var_dir)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert "All 3 are running." in shown.stdout

        redis_pid = before["children"]["redis"]["pid"]
        os.kill(redis_pid, signal.SIGKILL)
        restarting = stack.wait_for(
            lambda status: status["children"]["redis"]["state"] == "restarting", "restarting", 10
        )
        redis = restarting["children"]["redis"]
        assert redis["restarts"] == 1 and redis["last_exit"] == "was killed by SIGKILL"
        shown = stack_status(stack.var_dir)  # the back-off is 1 s: still restarting
        assert shown.returncode == 1
        assert "Not running: redis" in shown.stdout

        after = stack.wait_for(lambda status: all_in(status, "running"), "running again", 20)
        redis = after["children"]["redis"]
        assert redis["restarts"] == 1 and redis["pid"] != redis_pid
        for name in ("orders", "forking"):  # the others kept running, untouched
            assert after["children"][name] == before["children"][name]
        shown = stack_status(stack.var_dir)
        assert shown.returncode == 0, shown.stdout
        assert "restarted 1 time; last time it was killed by SIGKILL" in shown.stdout

        assert stack.launcher is not None
        stack.launcher.send_signal(signal.SIGTERM)  # a clean stop: every child says so
        assert stack.launcher.wait(timeout=30) == 0
        final = stack.status()
        assert final is not None and all_in(final, "stopped")
        shown = stack_status(stack.var_dir)
        assert shown.returncode == 1 and "is not running" in shown.stdout
    finally:
        stack.kill_everything()
