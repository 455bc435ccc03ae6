"""The one reader of settings from the environment: `EnvReader` checks each variable it reads and
collects every problem, so one start-up error lists all of them (infra/config_checks.py's idiom).

The service, the gateway, the agents CLI and the stack build their typed settings with it, once
at start-up; no other module reads `os.environ` on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlparse

from infra.config_checks import Problems

DEFAULT_REDIS_URL = "redis://127.0.0.1:6479/0"
"""The project-owned Redis (`make run` starts it on port 6479)."""


class SettingsError(ValueError):
    """One or more settings are missing or invalid; the message lists all of them."""


class EnvReader(Problems):
    """Reads variables from `env` (os.environ, or a dict in tests); each method returns a usable
    value (the default when the variable is invalid) and records the problem."""

    def __init__(
        self,
        env: Mapping[str, str],
        what: str = "settings",
        error: type[SettingsError] = SettingsError,
    ) -> None:
        super().__init__(what, error)
        self.env = env

    def number(self, name: str, default: str, kind: type, low: float, high: float) -> float:
        raw = self.env.get(name, default)
        try:
            value = kind(raw)
        except ValueError:
            self.add(f"{name}={raw!r} is not a {kind.__name__}")
            return kind(default)
        if not low <= value <= high:
            self.add(f"{name}={raw!r} must be between {low} and {high}")
        return value

    def port(self, name: str, default: int) -> int:
        return int(self.number(name, str(default), int, 1, 65535))

    def http_url(self, name: str, default: str) -> str:
        url = self.env.get(name, default).rstrip("/")
        if urlparse(url).scheme not in ("http", "https"):
            self.add(f"{name}={url!r} must be an http(s) address")
        return url

    def redis_url(self) -> str:
        url = self.env.get("REDIS_URL", DEFAULT_REDIS_URL)
        if urlparse(url).scheme not in ("redis", "rediss", "unix"):
            self.add(f"REDIS_URL={url!r} must start with redis://, rediss:// or unix://")
        return url
