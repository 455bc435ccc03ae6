"""The gateway's settings, read and validated once at start-up into one typed object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from service.settings import SettingsError

DEFAULT_PORT = 8400


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `burst` messages at once, refilled at `per_minute` a minute."""

    burst: int
    per_minute: float


@dataclass(frozen=True)
class GatewaySettings:
    host: str
    port: int
    redis_url: str
    rasa_url: str
    service_url: str
    service_token: str
    customer_signing_secret: str
    allowed_origins: tuple[str, ...]
    max_message_chars: int = 1000
    session_ttl_seconds: int = 7 * 24 * 3600
    session_rate: RateLimit = RateLimit(burst=10, per_minute=30)
    address_rate: RateLimit = RateLimit(burst=60, per_minute=300)
    init_payload: str = "/greet"
    rasa_timeout_seconds: float = 30.0
    status_interval_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewaySettings:
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

        port = int(number("GATEWAY_PORT", str(DEFAULT_PORT), int, 1, 65535))
        redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6479/0")
        if urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
            problems.append(
                f"REDIS_URL={redis_url!r} must start with redis://, rediss:// or unix://"
            )
        rasa_url = env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/")
        if urlparse(rasa_url).scheme not in ("http", "https"):
            problems.append(f"RASA_URL={rasa_url!r} must be an http(s) address")
        service_url = env.get("SERVICE_URL", "http://127.0.0.1:8300").rstrip("/")
        if urlparse(service_url).scheme not in ("http", "https"):
            problems.append(f"SERVICE_URL={service_url!r} must be an http(s) address")
        service_token = env.get("SERVICE_TOKEN", "")
        if not service_token:
            problems.append("SERVICE_TOKEN must be set (make run generates one)")
        secret = env.get("CUSTOMER_SIGNING_SECRET", "")
        if len(secret) < 24:
            problems.append(
                "CUSTOMER_SIGNING_SECRET must be a secret of at least 24 characters "
                "(make run generates one in var/secrets/customer_signing_secret)"
            )
        default_origins = f"http://127.0.0.1:{port},http://localhost:{port}"
        origins = tuple(
            origin.strip().rstrip("/")
            for origin in env.get("GATEWAY_ALLOWED_ORIGINS", default_origins).split(",")
            if origin.strip()
        )
        for origin in origins:
            parsed = urlparse(origin)
            if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path:
                problems.append(
                    f"GATEWAY_ALLOWED_ORIGINS: {origin!r} is not an origin like https://shop.example"
                )
        init_payload = env.get("GATEWAY_INIT_PAYLOAD", "/greet")
        if init_payload and not init_payload.startswith("/"):
            problems.append(f"GATEWAY_INIT_PAYLOAD={init_payload!r} must start with /")
        settings = cls(
            host=env.get("GATEWAY_HOST", "127.0.0.1"),
            port=port,
            redis_url=redis_url,
            rasa_url=rasa_url,
            service_url=service_url,
            service_token=service_token,
            customer_signing_secret=secret,
            allowed_origins=origins,
            max_message_chars=int(number("GATEWAY_MAX_MESSAGE_CHARS", "1000", int, 1, 20000)),
            session_ttl_seconds=int(
                number("GATEWAY_SESSION_TTL", str(7 * 24 * 3600), int, 60, 90 * 24 * 3600)
            ),
            session_rate=RateLimit(
                burst=int(number("GATEWAY_SESSION_BURST", "10", int, 1, 10000)),
                per_minute=number("GATEWAY_SESSION_PER_MINUTE", "30", float, 0.1, 100000),
            ),
            address_rate=RateLimit(
                burst=int(number("GATEWAY_ADDRESS_BURST", "60", int, 1, 100000)),
                per_minute=number("GATEWAY_ADDRESS_PER_MINUTE", "300", float, 0.1, 1000000),
            ),
            init_payload=init_payload,
            rasa_timeout_seconds=number("GATEWAY_RASA_TIMEOUT", "30", float, 0.5, 300),
            status_interval_seconds=number("GATEWAY_STATUS_INTERVAL", "10", float, 0.05, 3600),
        )
        if problems:
            raise SettingsError("invalid gateway settings:\n  - " + "\n  - ".join(problems))
        return settings
