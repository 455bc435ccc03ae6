"""The gateway's settings, read and validated once at start-up into one typed object (with
infra/env.py's reader, which the service and the stack share)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from infra.env import EnvReader

DEFAULT_PORT = 8400
MIN_SECRET_LENGTH = 24
# What a customer reads when their message got no answer (Rasa, an action or Redis failed).
# It promises nothing about what was kept; GATEWAY_TROUBLE_MESSAGE sets the company's own.
DEFAULT_TROUBLE_MESSAGE = (
    "Sorry, something went wrong on our side and I couldn't answer that. Please send your "
    "message again in a few minutes. If it can't wait, our support team is at 1-800-555-0199 "
    "(Monday-Friday 8 am-8 pm ET, Saturday-Sunday 9 am-5 pm ET) or support@hearthly.example."
)


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
    trouble_message: str = DEFAULT_TROUBLE_MESSAGE
    metrics_token: str = ""
    """The bearer token Prometheus sends for GET /metrics (METRICS_TOKEN); empty: no /metrics."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewaySettings:
        read = EnvReader(env, "gateway settings")
        number = read.number
        port = read.port("GATEWAY_PORT", DEFAULT_PORT)
        redis_url = read.redis_url()
        rasa_url = read.http_url("RASA_URL", "http://127.0.0.1:5005")
        service_url = read.http_url("SERVICE_URL", "http://127.0.0.1:8300")
        service_token = env.get("SERVICE_TOKEN", "")
        if not service_token:
            read.add("SERVICE_TOKEN must be set (make run generates one)")
        secret = env.get("CUSTOMER_SIGNING_SECRET", "")
        if len(secret) < 24:
            read.add(
                "CUSTOMER_SIGNING_SECRET must be a secret of at least 24 characters "
                "(make run generates one in var/secrets/customer_signing_secret)"
            )
        metrics_token = env.get("METRICS_TOKEN", "")
        if metrics_token and len(metrics_token) < MIN_SECRET_LENGTH:
            read.add(
                f"METRICS_TOKEN must be a secret of at least {MIN_SECRET_LENGTH} characters "
                "(make run generates one in var/secrets/metrics_token)"
            )
        origins = _allowed_origins(read, port)
        init_payload = env.get("GATEWAY_INIT_PAYLOAD", "/greet")
        if init_payload and not init_payload.startswith("/"):
            read.add(f"GATEWAY_INIT_PAYLOAD={init_payload!r} must start with /")
        trouble_message = env.get("GATEWAY_TROUBLE_MESSAGE", DEFAULT_TROUBLE_MESSAGE).strip()
        if not trouble_message:
            read.add("GATEWAY_TROUBLE_MESSAGE must not be empty")
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
            trouble_message=trouble_message,
            metrics_token=metrics_token,
        )
        read.raise_problems()
        return settings


def _allowed_origins(read: EnvReader, port: int) -> tuple[str, ...]:
    """GATEWAY_ALLOWED_ORIGINS, comma-separated; the gateway's own address by default."""
    default_origins = f"http://127.0.0.1:{port},http://localhost:{port}"
    origins = tuple(
        origin.strip().rstrip("/")
        for origin in read.env.get("GATEWAY_ALLOWED_ORIGINS", default_origins).split(",")
        if origin.strip()
    )
    for origin in origins:
        parsed = urlparse(origin)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path:
            read.add(
                f"GATEWAY_ALLOWED_ORIGINS: {origin!r} is not an origin like https://shop.example"
            )
    return origins
