"""When to restart a child that exited: exponential back-off, reset once it has stayed up.

Pure arithmetic, no processes or clocks: the supervisor (stack/supervisor.py) tells a
`Restarts` how long the child had been up each time it exits and gets back how long to wait
before starting it again, or None when it keeps failing and the launcher should give up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 1.0  # seconds before the first restart
    max_delay: float = 30.0  # the delay doubles per quick failure up to this
    stable_after: float = 60.0  # up this long: the next exit starts the back-off afresh
    max_quick_failures: int = 8  # exits in a row without staying up `stable_after`: give up

    def delay(self, quick_failures: int) -> float:
        """The wait before restart number `quick_failures` of a streak (1, 2, 4... capped)."""
        return min(self.max_delay, self.first_delay * 2 ** (quick_failures - 1))


class Restarts:
    """One child's restart streak."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self.quick_failures = 0  # exits in a row, each after less than `stable_after` up
        self.total = 0  # restarts since the launcher started

    def after_exit(self, uptime: float) -> float | None:
        """The child exited after `uptime` seconds: the wait before restarting it, or None
        when it failed `max_quick_failures` times in a row (give up)."""
        if uptime >= self.policy.stable_after:
            self.quick_failures = 0
        self.quick_failures += 1
        if self.quick_failures > self.policy.max_quick_failures:
            return None
        self.total += 1
        return self.policy.delay(self.quick_failures)
