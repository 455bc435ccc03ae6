"""The service's settings, read and validated once at start-up into one typed object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_TOKEN_LENGTH = 24


class SettingsError(ValueError):
    """One or more settings are missing or invalid; the message lists all of them."""


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
    max_query_chars: int = 500
    routing_file: Path = PROJECT_ROOT / "handoff" / "routing.yml"
    agents_file: Path = PROJECT_ROOT / "handoff" / "agents.yml"
    handoff_retention_days: int = 90
    sla_watchdog_interval: float = 5.0
    handoff_purge_interval: float = 3600.0
    rasa_url: str = "http://127.0.0.1:5005"
    """Rasa's server on loopback: a hand-back is told to it through its REST webhook."""
    rasa_timeout: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        problems: list[str] = []

        def number(name: str, default: str, kind: type, low: float, high: float) -> float:
            raw = env.get(name, default)
            try:
                value = kind(raw)
            except ValueError:
                problems.append(f"{name}={raw!r} is not a {kind.__name__}")
                return kind(default)
            if not low <= value <= high:
                problems.append(f"{name}={raw!r} must be between {low} and {high}")
            return value

        token = env.get("SERVICE_TOKEN", "")
        if len(token) < MIN_TOKEN_LENGTH:
            problems.append(
                f"SERVICE_TOKEN must be set to a secret of at least {MIN_TOKEN_LENGTH} characters "
                "(make run generates one in var/secrets/service_token)"
            )
        redis_url = _redis_url(env, problems)
        articles_dir = Path(
            env.get("KB_ARTICLES_DIR", PROJECT_ROOT / "knowledge_base" / "articles")
        )
        if not articles_dir.is_dir():
            problems.append(f"KB_ARTICLES_DIR={str(articles_dir)!r} is not a folder")
        base_url = env.get("KB_ARTICLE_BASE_URL", "https://help.hearthly.example/articles").rstrip(
            "/"
        )
        if urlparse(base_url).scheme not in ("http", "https"):
            problems.append(f"KB_ARTICLE_BASE_URL={base_url!r} must be an http(s) address")
        handoff_files = _handoff_files(env, problems)
        rasa_url = env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/")
        if urlparse(rasa_url).scheme not in ("http", "https"):
            problems.append(f"RASA_URL={rasa_url!r} must be an http(s) address")
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
        if problems:
            raise SettingsError("invalid settings:\n  - " + "\n  - ".join(problems))
        return settings


@dataclass(frozen=True)
class AgentCliSettings:
    """What `python -m service.agents` needs: Redis, and the agents and routing files."""

    redis_url: str
    agents_file: Path
    routing_file: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AgentCliSettings:
        problems: list[str] = []
        redis_url = _redis_url(env, problems)
        files = _handoff_files(env, problems)
        if problems:
            raise SettingsError("invalid settings:\n  - " + "\n  - ".join(problems))
        return cls(redis_url, files["AGENTS_FILE"], files["HANDOFF_ROUTING_FILE"])


def _redis_url(env: Mapping[str, str], problems: list[str]) -> str:
    redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6479/0")
    if urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
        problems.append(f"REDIS_URL={redis_url!r} must start with redis://, rediss:// or unix://")
    return redis_url


def _handoff_files(env: Mapping[str, str], problems: list[str]) -> dict[str, Path]:
    """The routing rules and the agents file (handoff/*.yml unless set)."""
    files = {
        name: Path(env.get(name, PROJECT_ROOT / "handoff" / default))
        for name, default in (
            ("HANDOFF_ROUTING_FILE", "routing.yml"),
            ("AGENTS_FILE", "agents.yml"),
        )
    }
    for name, path in files.items():
        if not path.is_file():
            problems.append(f"{name}={str(path)!r} is not a file")
    return files
