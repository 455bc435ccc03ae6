"""The order service's settings, read and checked once at start-up (infra/env.py's reader):

ORDER_SERVICE_TOKEN  the API's bearer token (required, at least 24 characters)
ORDER_SERVICE_PORT   the port on 127.0.0.1 (default 8500)
ORDER_SERVICE_DB     the SQLite file (default var/order-service/orders.sqlite3)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra.env import EnvReader

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = PROJECT_ROOT / "var" / "order-service" / "orders.sqlite3"
DEFAULT_PORT = 8500
MIN_TOKEN_LENGTH = 24


@dataclass(frozen=True)
class Settings:
    port: int
    database: Path
    token: str = field(repr=False)
    host: str = "127.0.0.1"
    """Loopback only: the shop's API is for the connector on the same machine."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Raises infra.env.SettingsError listing every problem."""
        read = EnvReader(env, "order service settings")
        port = read.port("ORDER_SERVICE_PORT", DEFAULT_PORT)
        database = Path(env.get("ORDER_SERVICE_DB") or DEFAULT_DATABASE)
        token = env.get("ORDER_SERVICE_TOKEN", "")
        if len(token) < MIN_TOKEN_LENGTH:
            state = "is not set" if not token else f"has {len(token)} characters"
            read.add(
                f"ORDER_SERVICE_TOKEN {state}; set it to a secret of at least"
                f" {MIN_TOKEN_LENGTH} characters (e.g. `openssl rand -hex 24`)"
            )
        read.raise_problems()
        return cls(port=port, database=database, token=token)
