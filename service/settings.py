"""The service's settings, read and validated once at start-up into one typed object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from handoff.routing.agents_config import DEFAULT_AGENTS_PATH
from handoff.routing.config import DEFAULT_ROUTING_PATH

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_TOKEN_LENGTH = 24


class SettingsError(ValueError):
    """One or more settings are missing or invalid; the message lists all of them."""


class EnvReader:
    """Reads settings from the environment and collects every problem, so that one start-up
    error lists all of them (`raise_problems`). Shared by the service and the gateway."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def number(self, name: str, default: str, kind: type, low: float, high: float) -> float:
        raw = self.env.get(name, default)
        try:
            value = kind(raw)
        except ValueError:
            self.problems.append(f"{name}={raw!r} is not a {kind.__name__}")
            return kind(default)
        if not low <= value <= high:
            self.problems.append(f"{name}={raw!r} must be between {low} and {high}")
        return value

    def http_url(self, name: str, default: str) -> str:
        url = self.env.get(name, default).rstrip("/")
        if urlparse(url).scheme not in ("http", "https"):
            self.problems.append(f"{name}={url!r} must be an http(s) address")
        return url

    def redis_url(self) -> str:
        url = self.env.get("REDIS_URL", "redis://127.0.0.1:6479/0")
        if urlparse(url).scheme not in ("redis", "rediss", "unix"):
            self.problems.append(
                f"REDIS_URL={url!r} must start with redis://, rediss:// or unix://"
            )
        return url

    def raise_problems(self, what: str = "settings") -> None:
        if self.problems:
            raise SettingsError(f"invalid {what}:\n  - " + "\n  - ".join(self.problems))


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    service_token: str
    redis_url: str
    articles_dir: Path
    embedding_cache_dir: Path
    article_base_url: str
    answer_threshold: float
    reload_interval: float
    max_query_chars: int = 1000  # the gateway's message limit (GATEWAY_MAX_MESSAGE_CHARS)
    routing_file: Path = DEFAULT_ROUTING_PATH
    agents_file: Path = DEFAULT_AGENTS_PATH
    handoff_retention_days: int = 90
    sla_watchdog_interval: float = 5.0
    handoff_purge_interval: float = 3600.0
    rasa_url: str = "http://127.0.0.1:5005"
    """Rasa's server on loopback: a hand-back is told to it through its REST webhook."""
    rasa_timeout: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        read = EnvReader(env)
        problems, number = read.problems, read.number
        token = env.get("SERVICE_TOKEN", "")
        if len(token) < MIN_TOKEN_LENGTH:
            problems.append(
                f"SERVICE_TOKEN must be set to a secret of at least {MIN_TOKEN_LENGTH} characters "
                "(make run generates one in var/secrets/service_token)"
            )
        redis_url = read.redis_url()
        articles_dir = Path(
            env.get("KB_ARTICLES_DIR", PROJECT_ROOT / "knowledge_base" / "articles")
        )
        if not articles_dir.is_dir():
            problems.append(f"KB_ARTICLES_DIR={str(articles_dir)!r} is not a folder")
        base_url = read.http_url("KB_ARTICLE_BASE_URL", "https://help.hearthly.example/articles")
        handoff_files = _handoff_files(env, problems)
        rasa_url = read.http_url("RASA_URL", "http://127.0.0.1:5005")
        settings = cls(
            host=env.get("SERVICE_HOST", "127.0.0.1"),
            port=int(number("SERVICE_PORT", "8300", int, 1, 65535)),
            service_token=token,
            redis_url=redis_url,
            articles_dir=articles_dir,
            embedding_cache_dir=Path(
                env.get("KB_EMBEDDING_CACHE_DIR", PROJECT_ROOT / "var" / "cache" / "embeddings")
            ),
            article_base_url=base_url,
            answer_threshold=number("KB_ANSWER_THRESHOLD", "0.5", float, 0.0, 1.0),
            reload_interval=number("KB_RELOAD_INTERVAL", "0.5", float, 0.05, 60.0),
            routing_file=handoff_files["HANDOFF_ROUTING_FILE"],
            agents_file=handoff_files["AGENTS_FILE"],
            handoff_retention_days=int(number("HANDOFF_RETENTION_DAYS", "90", int, 1, 3650)),
            sla_watchdog_interval=number("SLA_WATCHDOG_INTERVAL", "5", float, 0.05, 300.0),
            handoff_purge_interval=number("HANDOFF_PURGE_INTERVAL", "3600", float, 1.0, 86400.0),
            rasa_url=rasa_url,
            rasa_timeout=number("HANDOFF_RASA_TIMEOUT", "15", float, 0.1, 120.0),
        )
        read.raise_problems()
        return settings


@dataclass(frozen=True)
class AgentCliSettings:
    """What `python -m service.agents` needs: Redis, and the agents and routing files."""

    redis_url: str
    agents_file: Path
    routing_file: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AgentCliSettings:
        read = EnvReader(env)
        redis_url = read.redis_url()
        files = _handoff_files(env, read.problems)
        read.raise_problems()
        return cls(redis_url, files["AGENTS_FILE"], files["HANDOFF_ROUTING_FILE"])


def _handoff_files(env: Mapping[str, str], problems: list[str]) -> dict[str, Path]:
    """The routing rules and the agents file (handoff/routing/*.yml unless set)."""
    files = {
        name: Path(env.get(name, default))
        for name, default in (
            ("HANDOFF_ROUTING_FILE", DEFAULT_ROUTING_PATH),
            ("AGENTS_FILE", DEFAULT_AGENTS_PATH),
        )
    }
    for name, path in files.items():
        if not path.is_file():
            problems.append(f"{name}={str(path)!r} is not a file")
    return files
