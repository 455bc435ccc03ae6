"""The service's settings, read and validated once at start-up into one typed object (with
infra/env.py's reader, which the gateway and the stack share)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from handoff.routing.agents_config import DEFAULT_AGENTS_PATH
from handoff.routing.config import DEFAULT_ROUTING_PATH
from helpdesk.config import DeliverySettings
from helpdesk.settings import delivery_settings
from infra.env import EnvReader
from infra.env import SettingsError as SettingsError  # still imported from here by a gateway test
from knowledge_base.confidence import ANSWER_THRESHOLD, TENTATIVE_THRESHOLD, Thresholds
from knowledge_base.products import DEFAULT_PRODUCTS_PATH
from mail.settings import MailSettings, mail_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_TOKEN_LENGTH = 24


@dataclass(frozen=True)
class OutcomeSettings:
    """How sessions end and their outcome records are kept (docs/escalation-management.md)."""

    inactivity_seconds: float = 3600.0
    """A session ends this long after the conversation's last activity (widgets just close):
    at least Rasa's session expiry (bot/domain/session.yml, 60 minutes), so a customer who
    comes back after the record is in a session of its own, not in one already recorded."""
    watchdog_interval: float = 30.0
    retention_days: int = 365
    """Records (and the per-session marks and surveys) are kept this long."""
    max_records: int = 1_000_000
    """The stream's length bound (about 1 KB of Redis memory per record)."""
    customer_key_secret: bytes = field(default=b"", repr=False)
    """The key of the customer-id hash in the records (CUSTOMER_KEY_SECRET; derived from the
    service token when not set)."""

    @classmethod
    def from_env(cls, read: EnvReader, service_token: str) -> OutcomeSettings:
        number = read.number
        secret = read.env.get("CUSTOMER_KEY_SECRET", "")
        if secret and len(secret) < MIN_TOKEN_LENGTH:
            read.add(f"CUSTOMER_KEY_SECRET must be at least {MIN_TOKEN_LENGTH} characters")
        return cls(
            inactivity_seconds=number("OUTCOME_INACTIVITY_SECONDS", "3600", float, 0.5, 604800),
            watchdog_interval=number("OUTCOME_WATCHDOG_INTERVAL", "30", float, 0.05, 3600),
            retention_days=int(number("OUTCOME_RETENTION_DAYS", "365", int, 1, 3650)),
            max_records=int(
                number("OUTCOME_STREAM_MAX_RECORDS", "1000000", int, 1000, 100_000_000)
            ),
            customer_key_secret=secret.encode() if secret else derived_key(service_token),
        )


def derived_key(service_token: str) -> bytes:
    """A key of its own for hashing customer ids, from the service token (stable while the
    token is; set CUSTOMER_KEY_SECRET to keep the hashes across a token change)."""
    label = b"support-assistant outcomes customer key"
    return hmac.new(service_token.encode(), label, hashlib.sha256).digest()


SHOP_CONNECTORS = ("order_service", "shopify")
SHOPIFY_API_VERSION = "2025-01"


@dataclass(frozen=True)
class ShopSettings:
    """Which shop the order desk asks (SHOP_CONNECTOR) and how to reach it: the sample order
    service's API (docs/order-service.md; ORDER_SERVICE_URL, ORDER_SERVICE_TOKEN) or a Shopify
    store's Admin API (SHOPIFY_SHOP, SHOPIFY_ACCESS_TOKEN, SHOPIFY_API_VERSION; SHOPIFY_API_URL
    only to reach it through a proxy or a local stand-in). service/shops.py makes the connector."""

    url: str
    token: str = field(repr=False)
    connector: str = "order_service"
    shop_domain: str = ""
    api_version: str = SHOPIFY_API_VERSION

    @classmethod
    def from_env(cls, read: EnvReader) -> ShopSettings | None:
        connector = read.env.get("SHOP_CONNECTOR", "order_service") or "order_service"
        if connector not in SHOP_CONNECTORS:
            read.add(f"SHOP_CONNECTOR={connector!r} must be one of {', '.join(SHOP_CONNECTORS)}")
            return None
        if connector == "shopify":
            return cls._shopify(read)
        url, token = read.env.get("ORDER_SERVICE_URL", ""), read.env.get("ORDER_SERVICE_TOKEN", "")
        if not url and not token:
            return None
        if not url or len(token) < MIN_TOKEN_LENGTH:
            read.add(
                "ORDER_SERVICE_URL and ORDER_SERVICE_TOKEN go together: an http(s) address and a "
                f"token of at least {MIN_TOKEN_LENGTH} characters"
            )
        return cls(read.http_url("ORDER_SERVICE_URL", url or "http://127.0.0.1:8500"), token)

    @classmethod
    def _shopify(cls, read: EnvReader) -> ShopSettings:
        env = read.env
        shop, token = env.get("SHOPIFY_SHOP", ""), env.get("SHOPIFY_ACCESS_TOKEN", "")
        if not shop or len(token) < MIN_TOKEN_LENGTH:
            read.add(
                "SHOP_CONNECTOR=shopify needs SHOPIFY_SHOP (the store, e.g. halo-home or "
                "halo-home.myshopify.com) and SHOPIFY_ACCESS_TOKEN (the custom app's Admin API "
                f"access token, at least {MIN_TOKEN_LENGTH} characters)"
            )
        version = env.get("SHOPIFY_API_VERSION", SHOPIFY_API_VERSION)
        if not re.fullmatch(r"\d{4}-\d{2}", version):
            read.add(f"SHOPIFY_API_VERSION={version!r} must look like 2025-01")
        url = read.http_url("SHOPIFY_API_URL", "") if env.get("SHOPIFY_API_URL") else ""
        return cls(url, token, "shopify", shop, version)


EMBEDDING_RUNTIMES = ("onnx", "torch")


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
    tentative_threshold: float = TENTATIVE_THRESHOLD
    """From here up to answer_threshold the assistant answers tentatively ("did you mean")."""
    embedding_runtime: str = "onnx"  # KB_EMBEDDING_RUNTIME: "onnx" or "torch"
    onnx_dir: Path = PROJECT_ROOT / "var" / "cache" / "onnx"  # KB_ONNX_DIR: the exported graph
    max_query_chars: int = 1000  # the gateway's message limit (GATEWAY_MAX_MESSAGE_CHARS)
    routing_file: Path = DEFAULT_ROUTING_PATH
    agents_file: Path = DEFAULT_AGENTS_PATH
    handoff_retention_days: int = 90
    sla_watchdog_interval: float = 5.0
    handoff_purge_interval: float = 3600.0
    gap_topics_recluster_seconds: float = 3600.0
    """How often the gap topics are re-clustered in full (GAP_TOPICS_RECLUSTER_SECONDS)."""
    handoff_requeue_after_seconds: float = 120.0
    """An agent away or offline this long gives up the chats waiting for their reply (0: never;
    service/desk/assignment.py)."""
    rasa_url: str = "http://127.0.0.1:5005"
    """Rasa's server on loopback: a hand-back is told to it through its REST webhook."""
    rasa_timeout: float = 15.0
    outcomes: OutcomeSettings = OutcomeSettings()
    metrics_token: str = ""
    """A bearer token good for GET /metrics only (METRICS_TOKEN), so Prometheus need not hold the
    service token; the service token is taken there too."""
    products_file: Path = DEFAULT_PRODUCTS_PATH
    """The shop's products and their nicknames, for follow-up questions (KB_PRODUCTS_FILE)."""
    shop: ShopSettings | None = None
    """The shop's order API (ORDER_SERVICE_URL and ORDER_SERVICE_TOKEN); None: no shop, and
    the order routes answer 503 shop_not_configured."""
    helpdesk: DeliverySettings = DeliverySettings()
    """How hard the help-desk sync tries (HELPDESK_MAX_ATTEMPTS, HELPDESK_RETRY_SECONDS, ...) and
    the HELPDESK_* secrets the targets in the routing file name (helpdesk/config.py)."""
    mail: MailSettings = MailSettings()
    """Email follow-up (mail/settings.py: SMTP_HOST, MAIL_FROM, ...): unset SMTP_HOST sends no
    mail, and after-hours customers are not offered any."""

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self.answer_threshold, self.tentative_threshold)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        read = EnvReader(env)
        number = read.number
        token = env.get("SERVICE_TOKEN", "")
        if len(token) < MIN_TOKEN_LENGTH:
            read.add(
                f"SERVICE_TOKEN must be set to a secret of at least {MIN_TOKEN_LENGTH} characters "
                "(make run generates one in var/secrets/service_token)"
            )
        redis_url = read.redis_url()
        articles_dir = Path(
            env.get("KB_ARTICLES_DIR", PROJECT_ROOT / "knowledge_base" / "articles")
        )
        if not articles_dir.is_dir():
            read.add(f"KB_ARTICLES_DIR={str(articles_dir)!r} is not a folder")
        products_file = Path(env.get("KB_PRODUCTS_FILE", DEFAULT_PRODUCTS_PATH))
        if not products_file.is_file():
            read.add(f"KB_PRODUCTS_FILE={str(products_file)!r} is not a file")
        base_url = read.http_url("KB_ARTICLE_BASE_URL", "https://help.hearthly.example/articles")
        handoff_files = _handoff_files(read)
        rasa_url = read.http_url("RASA_URL", "http://127.0.0.1:5005")
        metrics_token = _metrics_token(read)
        answer_threshold, tentative_threshold = _kb_thresholds(read)
        settings = cls(
            host=env.get("SERVICE_HOST", "127.0.0.1"),
            port=read.port("SERVICE_PORT", 8300),
            service_token=token,
            redis_url=redis_url,
            articles_dir=articles_dir,
            embedding_cache_dir=Path(
                env.get("KB_EMBEDDING_CACHE_DIR", PROJECT_ROOT / "var" / "cache" / "embeddings")
            ),
            article_base_url=base_url,
            answer_threshold=answer_threshold,
            tentative_threshold=tentative_threshold,
            embedding_runtime=_embedding_runtime(read, env),
            onnx_dir=Path(env.get("KB_ONNX_DIR", PROJECT_ROOT / "var" / "cache" / "onnx")),
            reload_interval=number("KB_RELOAD_INTERVAL", "0.5", float, 0.05, 60.0),
            routing_file=handoff_files["HANDOFF_ROUTING_FILE"],
            agents_file=handoff_files["AGENTS_FILE"],
            handoff_retention_days=int(number("HANDOFF_RETENTION_DAYS", "90", int, 1, 3650)),
            sla_watchdog_interval=number("SLA_WATCHDOG_INTERVAL", "5", float, 0.05, 300.0),
            handoff_purge_interval=number("HANDOFF_PURGE_INTERVAL", "3600", float, 1.0, 86400.0),
            gap_topics_recluster_seconds=number(
                "GAP_TOPICS_RECLUSTER_SECONDS", "3600", float, 1.0, 604800.0
            ),
            handoff_requeue_after_seconds=_requeue_after(read),
            rasa_url=rasa_url,
            rasa_timeout=number("HANDOFF_RASA_TIMEOUT", "15", float, 0.1, 120.0),
            outcomes=OutcomeSettings.from_env(read, token),
            metrics_token=metrics_token,
            products_file=products_file,
            shop=ShopSettings.from_env(read),
            helpdesk=delivery_settings(read),
            mail=mail_settings(read),
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
        files = _handoff_files(read)
        read.raise_problems()
        return cls(redis_url, files["AGENTS_FILE"], files["HANDOFF_ROUTING_FILE"])


def _handoff_files(read: EnvReader) -> dict[str, Path]:
    """The routing rules and the agents file (handoff/routing/*.yml unless set)."""
    files = {
        name: Path(read.env.get(name, default))
        for name, default in (
            ("HANDOFF_ROUTING_FILE", DEFAULT_ROUTING_PATH),
            ("AGENTS_FILE", DEFAULT_AGENTS_PATH),
        )
    }
    for name, path in files.items():
        if not path.is_file():
            read.add(f"{name}={str(path)!r} is not a file")
    return files


def _requeue_after(read: EnvReader) -> float:
    """HANDOFF_REQUEUE_AFTER_SECONDS: the grace period of an away or offline agent's waiting
    chats (0: they are never requeued)."""
    return read.number("HANDOFF_REQUEUE_AFTER_SECONDS", "120", float, 0.0, 86400.0)


def _kb_thresholds(read: EnvReader) -> tuple[float, float]:
    """The answer threshold and the tentative ("did you mean") one below it
    (knowledge_base/confidence.py has the shipped values and how they were chosen)."""
    answer = read.number("KB_ANSWER_THRESHOLD", str(ANSWER_THRESHOLD), float, 0.0, 1.0)
    tentative = read.number(
        "KB_TENTATIVE_THRESHOLD", str(min(TENTATIVE_THRESHOLD, answer)), float, 0.0, 1.0
    )
    if tentative > answer:
        read.add(
            f"KB_TENTATIVE_THRESHOLD={tentative} must not be above KB_ANSWER_THRESHOLD={answer}"
        )
    return answer, tentative


def _embedding_runtime(read: EnvReader, env: Mapping[str, str]) -> str:
    runtime = env.get("KB_EMBEDDING_RUNTIME", "onnx")
    if runtime not in EMBEDDING_RUNTIMES:
        read.add(f"KB_EMBEDDING_RUNTIME={runtime!r} must be one of {', '.join(EMBEDDING_RUNTIMES)}")
    return runtime


def _metrics_token(read: EnvReader) -> str:
    token = read.env.get("METRICS_TOKEN", "")
    if token and len(token) < MIN_TOKEN_LENGTH:
        read.add(
            f"METRICS_TOKEN must be a secret of at least {MIN_TOKEN_LENGTH} characters "
            "(make run generates one in var/secrets/metrics_token)"
        )
    return token
