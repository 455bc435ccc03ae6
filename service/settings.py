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
        redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6479/0")
        if urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
            problems.append(
                f"REDIS_URL={redis_url!r} must start with redis://, rediss:// or unix://"
            )
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
        )
        if problems:
            raise SettingsError("invalid settings:\n  - " + "\n  - ".join(problems))
        return settings
