"""The processes of the stack: what to run, with which environment, and how to tell it is up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from stack.config import BOT_ENV, MODEL_DIR, ROOT, SERVICE_ENV, StackConfig


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: list[str]
    health_url: str | None  # GET answering 200: ready; None: Redis (a PING)
    env: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 60.0


def base_env() -> dict[str, str]:
    keep = (
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "TZ",
        "TMPDIR",
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
    )
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    return env


def redis_spec(config: StackConfig) -> ProcessSpec:
    data_dir = config.var_dir / "redis" / str(config.redis.port)  # one per port: never shared
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        "redis-server",
        str(ROOT / "config" / "redis.conf"),
        "--port",
        str(config.redis.port),
        "--dir",
        str(data_dir),
        "--pidfile",
        str(data_dir / "redis.pid"),
    ]
    return ProcessSpec("redis", argv, None, base_env(), ready_timeout=15)


def service_spec(config: StackConfig) -> ProcessSpec:
    env = (
        base_env()
        | config.knowledge_base
        | config.handoff
        | {
            "SERVICE_HOST": "127.0.0.1",
            "SERVICE_PORT": str(config.service_port),
            "SERVICE_TOKEN": config.service_token,
            "METRICS_TOKEN": config.metrics_token,  # Prometheus' token for GET /metrics only
            "REDIS_URL": config.redis.url,
            "RASA_URL": config.rasa_url,  # service/desk/rasa_hand_back.py tells Rasa
            "KB_EMBEDDING_CACHE_DIR": str(config.var_dir / "cache" / "embeddings"),
            "HF_HUB_OFFLINE": "1",
        }
        | {  # email follow-up (mail/settings.py): links open the widget served by the gateway
            "LINK_SIGNING_SECRET": config.link_signing_secret,
            "WIDGET_URL": f"{config.gateway_url}/",
            "GATEWAY_URL": config.gateway_url,
        }
        | config.mail  # SMTP_*, MAIL_*, WIDGET_URL, GATEWAY_URL when set
        | config.shop  # SHOP_CONNECTOR, SHOPIFY_* (service/shops.py)
        | (
            {  # the order service's API: the sample one, or the company's own
                "ORDER_SERVICE_URL": config.shop_url,
                "ORDER_SERVICE_TOKEN": config.order_service_token,
            }
            if config.shop.get("SHOP_CONNECTOR") != "shopify"
            else {}
        )
    )
    return ProcessSpec(
        "service",
        [str(SERVICE_ENV / "python"), "-m", "service"],
        f"{config.service_url}/health",
        env,
        ready_timeout=120,
    )


def order_service_spec(config: StackConfig) -> ProcessSpec:
    """The sample shop's order service (SQLite in var/order-service, seeded on first start)."""
    env = base_env() | {
        "ORDER_SERVICE_PORT": str(config.order_service_port),
        "ORDER_SERVICE_TOKEN": config.order_service_token,
        "ORDER_SERVICE_DB": str(config.var_dir / "order-service" / "orders.sqlite3"),
    }
    argv = [str(SERVICE_ENV / "python"), "-m", "order_service"]
    return ProcessSpec("orders", argv, f"{config.shop_url}/health", env, ready_timeout=30)


def actions_spec(config: StackConfig) -> ProcessSpec:
    env = base_env() | {
        "SANIC_HOST": "127.0.0.1",  # rasa-sdk 3.6 has no --interface flag; it reads this
        "SERVICE_URL": config.service_url,
        "SERVICE_TOKEN": config.service_token,
        "CUSTOMER_SIGNING_SECRET": config.customer_signing_secret,
    }
    argv = [
        str(BOT_ENV / "python"),
        "-m",
        "rasa_extensions.action_server",  # rasa-sdk's server with JSON, masked log lines
        "--actions",
        "actions",
        "--port",
        str(config.actions_port),
    ]
    return ProcessSpec("actions", argv, f"{config.actions_url}/health", env, ready_timeout=60)


def gateway_spec(config: StackConfig) -> ProcessSpec:
    """The public gateway (socket.io, Rasa's channel protocol); 127.0.0.1 unless GATEWAY_HOST."""
    env = (
        base_env()
        | {
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(config.gateway_port),
            "REDIS_URL": config.redis.url,
            "RASA_URL": config.rasa_url,
            "SERVICE_URL": config.service_url,
            "SERVICE_TOKEN": config.service_token,
            "CUSTOMER_SIGNING_SECRET": config.customer_signing_secret,
            "METRICS_TOKEN": config.metrics_token,
            "LINK_SIGNING_SECRET": config.link_signing_secret,  # resume and requests links
        }
        | config.gateway
    )
    argv = [str(SERVICE_ENV / "python"), "-m", "gateway"]
    return ProcessSpec("gateway", argv, f"{config.gateway_url}/health", env, ready_timeout=30)


def rasa_env(config: StackConfig) -> dict[str, str]:
    return base_env() | {
        "ACTIONS_PORT": str(config.actions_port),
        "REDIS_HOST": config.redis.host,
        "REDIS_PORT": str(config.redis.port),
        "REDIS_DB": str(config.redis.db),
        "REDIS_PASSWORD": config.redis.password,
        "SERVICE_URL": config.service_url,  # for rasa_extensions.service_featurizer
        "SERVICE_TOKEN": config.service_token,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # structlog lines as JSON, which config/rasa-logging.yml's filter can read field by field
        "FORCE_JSON_LOGGING": "1",
        # Rasa's own setting; it starts more than one only with a shared lock store (ours: Redis)
        "SANIC_WORKERS": str(config.rasa_workers),
        # days a conversation's tracker is kept after its last message (bot/endpoints.yml)
        "TRACKER_RETENTION_DAYS": os.environ.get("TRACKER_RETENTION_DAYS", "90"),
    }


def rasa_spec(config: StackConfig, model: Path = MODEL_DIR) -> ProcessSpec:
    argv = [
        str(BOT_ENV / "rasa"),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(ROOT / "bot" / "endpoints.yml"),
        "--credentials",
        str(ROOT / "bot" / "credentials.yml"),
        "--interface",
        "127.0.0.1",
        "--port",
        str(config.rasa_port),
        "--logging-config-file",  # no customer text in Rasa's log lines
        str(ROOT / "config" / "rasa-logging.yml"),
    ]
    return ProcessSpec("rasa", argv, f"{config.rasa_url}/", rasa_env(config), ready_timeout=300)


def train_argv(out: Path = MODEL_DIR) -> list[str]:
    """`rasa train` skips training when its fingerprint of data, config and domain is unchanged."""
    return [
        str(BOT_ENV / "rasa"),
        "train",
        "--domain",
        str(ROOT / "bot" / "domain"),
        "--data",
        str(ROOT / "bot" / "data"),
        "--config",
        str(ROOT / "bot" / "config.yml"),
        "--out",
        str(out),
        "--fixed-model-name",
        "assistant",
    ]


def service_specs(config: StackConfig) -> list[ProcessSpec]:
    """What Rasa needs to train and to test: the service (for sentence vectors) and its Redis."""
    specs = [service_spec(config)]
    if config.redis.owned:
        specs.insert(0, redis_spec(config))
    return specs


def stack_specs(config: StackConfig) -> list[ProcessSpec]:
    """Start order: each process only needs the ones before it. The sample shop's order service
    runs unless ORDER_SERVICE_URL names the company's own shop or SHOP_CONNECTOR=shopify."""
    specs = [service_spec(config), actions_spec(config), rasa_spec(config)]
    if config.runs_sample_shop:
        specs.insert(0, order_service_spec(config))
    if config.redis.owned:
        specs.insert(0, redis_spec(config))
    return specs


def public_stack_specs(config: StackConfig) -> list[ProcessSpec]:
    """The whole product (`make run`, end-to-end tests): the stack and, last, the public gateway.
    Benchmarks of the bot itself use `stack_specs`."""
    return [*stack_specs(config), gateway_spec(config)]
