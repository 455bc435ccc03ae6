"""The gateway's settings, read and validated once at start-up into one typed object (with
infra/env.py's reader, which the service and the stack share)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from gateway.client_address import InvalidTrustedProxies, Network, parse_trusted_proxies
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


# The default buckets, sized for one customer typing at a human pace (a message every few
# seconds at the fastest, rarely more than 4 a minute over a conversation):
SESSION_RATE = RateLimit(burst=10, per_minute=30)
"""One chat session (one widget): 10 quick messages, then one every 2 s - no person types
faster; a script flooding one session is held at that."""
CUSTOMER_RATE = RateLimit(burst=20, per_minute=60)
"""One verified customer (the signed customer id) across their sessions: two sessions' worth,
for a customer with the chat open in two tabs; opening more tabs does not add to it."""
ADDRESS_RATE = RateLimit(burst=600, per_minute=1200)
"""One client address (a home, an office, a mobile carrier's NAT, or every customer behind a
reverse proxy that is not in GATEWAY_TRUSTED_PROXIES): 50 customers sending 10 messages at once
fit in the burst (the case that refused 478 of 500 with the old 60/300), and 1,200 a minute is
300 customers at 4 messages a minute each. It still stops one address from spreading a flood
over many sessions beyond 20 messages a second; the session bucket limits each of them."""
SESSION_CREATE_RATE = RateLimit(burst=100, per_minute=120)
"""New chat sessions from one client address, a budget of their own so opening chats spends no
message tokens: 100 at once (50 customers opening the chat together, twice over), then 2 a
second (7,200 new chats an hour from one address). Resuming a session the gateway issued is
free. Every new session is a Redis record kept for GATEWAY_SESSION_TTL, so this is what stops a
script from filling Redis with sessions."""
RESUME_RATE = RateLimit(burst=10, per_minute=6)
"""Resume links (`POST /widget/resume`, gateway/resume.py) opened from one client address: a
household opening a few emailed links at once, then one every 10 s. A link is a 128-bit
signature, so this is not what keeps guessing out; it keeps a script from minting sessions."""
TRANSCRIPT_EMAIL_RATE = RateLimit(burst=3, per_minute=0.1)
"""The chat's transcript by email (`POST /widget/transcript-email`, gateway/transcript_email.py)
from one chat session: 3 at once, then one every 10 minutes (the service sends at most 3 per
request anyway); a mail is sent to an address the customer types, so this stays small."""
TRANSCRIPT_EMAIL_ADDRESS_RATE = RateLimit(burst=10, per_minute=1)
"""The same from one client address, across its sessions: a household or an office asking for
a few transcripts, then one a minute; a script opening chats cannot send mail faster."""


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
    session_rate: RateLimit = SESSION_RATE
    customer_rate: RateLimit = CUSTOMER_RATE
    address_rate: RateLimit = ADDRESS_RATE
    session_create_rate: RateLimit = SESSION_CREATE_RATE
    trusted_proxies: tuple[Network, ...] = ()
    """The reverse proxies whose X-Forwarded-For is believed (GATEWAY_TRUSTED_PROXIES)."""
    init_payload: str = "/greet"
    rasa_timeout_seconds: float = 30.0
    status_interval_seconds: float = 10.0
    trouble_message: str = DEFAULT_TROUBLE_MESSAGE
    metrics_token: str = ""
    """The bearer token Prometheus sends for GET /metrics (METRICS_TOKEN); empty: no /metrics."""
    shared_rooms: bool = False
    """GATEWAY_SHARED_ROOMS: other gateway replicas serve the same conversations, so what one
    sends to a conversation reaches its sockets on the others too (through Redis)."""
    link_signing_secret: str = ""
    """LINK_SIGNING_SECRET, the service's too (infra/signed_links.py); empty: resume links are
    not set up and `POST /widget/resume` answers 404."""
    resume_rate: RateLimit = RESUME_RATE
    transcript_email_rate: RateLimit = TRANSCRIPT_EMAIL_RATE
    transcript_email_address_rate: RateLimit = TRANSCRIPT_EMAIL_ADDRESS_RATE

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
        metrics_token = _optional_secret(
            read, "METRICS_TOKEN", "make run generates one in var/secrets/metrics_token"
        )
        link_secret = _optional_secret(
            read, "LINK_SIGNING_SECRET", "the same as the service's; unset: no resume links"
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
            session_ttl_seconds=int(number("GATEWAY_SESSION_TTL", "604800", int, 60, 90 * 86400)),
            session_rate=_rate(read, "GATEWAY_SESSION", SESSION_RATE),
            customer_rate=_rate(read, "GATEWAY_CUSTOMER", CUSTOMER_RATE),
            address_rate=_rate(read, "GATEWAY_ADDRESS", ADDRESS_RATE),
            session_create_rate=_rate(read, "GATEWAY_SESSION_CREATE", SESSION_CREATE_RATE),
            trusted_proxies=_trusted_proxies(read),
            init_payload=init_payload,
            rasa_timeout_seconds=number("GATEWAY_RASA_TIMEOUT", "30", float, 0.5, 300),
            status_interval_seconds=number("GATEWAY_STATUS_INTERVAL", "10", float, 0.05, 3600),
            trouble_message=trouble_message,
            metrics_token=metrics_token,
            shared_rooms=_flag(read, "GATEWAY_SHARED_ROOMS"),
            link_signing_secret=link_secret,
            resume_rate=_rate(read, "GATEWAY_RESUME", RESUME_RATE),
            transcript_email_rate=_rate(read, "GATEWAY_TRANSCRIPT_EMAIL", TRANSCRIPT_EMAIL_RATE),
            transcript_email_address_rate=_transcript_email_address_rate(read),
        )
        read.raise_problems()
        return settings


def _optional_secret(read: EnvReader, name: str, hint: str) -> str:
    """A secret that may be unset (empty), else of at least MIN_SECRET_LENGTH characters."""
    value = read.env.get(name, "")
    if value and len(value) < MIN_SECRET_LENGTH:
        read.add(f"{name} must be a secret of at least {MIN_SECRET_LENGTH} characters ({hint})")
    return value


def _rate(read: EnvReader, prefix: str, default: RateLimit) -> RateLimit:
    """{prefix}_BURST and {prefix}_PER_MINUTE."""
    return RateLimit(
        burst=int(read.number(f"{prefix}_BURST", str(default.burst), int, 1, 1_000_000)),
        per_minute=read.number(
            f"{prefix}_PER_MINUTE", f"{default.per_minute:g}", float, 0.1, 10_000_000
        ),
    )


def _transcript_email_address_rate(read: EnvReader) -> RateLimit:
    """GATEWAY_TRANSCRIPT_EMAIL_ADDRESS_BURST and _PER_MINUTE."""
    return _rate(read, "GATEWAY_TRANSCRIPT_EMAIL_ADDRESS", TRANSCRIPT_EMAIL_ADDRESS_RATE)


def _flag(read: EnvReader, name: str) -> bool:
    raw = read.env.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        read.add(f"{name}={raw!r} must be true or false")
    return raw in ("true", "1")


def _trusted_proxies(read: EnvReader) -> tuple[Network, ...]:
    try:
        return parse_trusted_proxies(read.env.get("GATEWAY_TRUSTED_PROXIES", ""))
    except InvalidTrustedProxies as error:
        read.add(str(error))
        return ()


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
