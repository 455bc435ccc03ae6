"""Where every process of the stack listens, and the secrets they share.

Read once from the environment with infra/env.py's reader (every problem listed in one error).
REDIS_URL, when set, points everything at an existing Redis instead of the project-owned one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from infra.env import EnvReader, SettingsError

ROOT = Path(__file__).resolve().parent.parent
BOT_ENV = ROOT / ".venv" / "bot" / "bin"
SERVICE_ENV = ROOT / ".venv" / "service" / "bin"
MODEL_DIR = ROOT / "bot" / "models"
MODEL_NAME = "assistant"
REPLICATED_KINDS = ("service", "actions", "rasa", "gateway")
"""The processes REPLICAS multiplies, in start order; Redis and the sample shop run once."""
SERVICE_SETTINGS = ("AGENTS_FILE", "SLA_WATCHDOG_INTERVAL", "CUSTOMER_KEY_SECRET")
"""Settings passed through to the service when set, besides HANDOFF_* and OUTCOME_*."""


class StackConfigError(SettingsError):
    pass


@dataclass(frozen=True)
class RedisTarget:
    url: str
    host: str
    port: int
    db: int
    password: str
    owned: bool  # True when the stack starts its own redis-server

    @classmethod
    def parse(cls, url: str, owned: bool) -> RedisTarget:
        parsed = urlparse(url)
        if parsed.scheme != "redis" or not parsed.hostname:
            raise StackConfigError(f"REDIS_URL={url!r}: expected redis://[:password@]host:port/db")
        db_text = parsed.path.lstrip("/") or "0"
        if not db_text.isdigit():
            raise StackConfigError(f"REDIS_URL={url!r}: the database must be a number")
        return cls(
            url=url,
            host=parsed.hostname,
            port=parsed.port or 6379,
            db=int(db_text),
            password=unquote(parsed.password or ""),
            owned=owned,
        )


@dataclass(frozen=True)
class StackConfig:
    redis: RedisTarget
    service_port: int
    actions_port: int
    rasa_port: int
    var_dir: Path
    service_token: str
    # shared with the company's backend, which signs customer identity (handoff/privacy/identity.py)
    customer_signing_secret: str
    gateway_port: int = 8400
    # Rasa server processes (Sanic workers sharing the port; Rasa's Redis lock store keeps one
    # conversation's turns in order across them): RASA_WORKERS, default the cores + 1, at most 8
    rasa_workers: int = 1
    # the bearer token Prometheus sends for GET /metrics on the gateway and the service (good for
    # nothing else)
    metrics_token: str = ""
    # GATEWAY_* settings (host, allowed origins, limits...) passed through to the gateway
    gateway: dict[str, str] = field(default_factory=dict)
    # KB_* settings passed through to the service (e.g. KB_ARTICLES_DIR, KB_ANSWER_THRESHOLD)
    knowledge_base: dict[str, str] = field(default_factory=dict)
    # HANDOFF_*, AGENTS_FILE, SLA_WATCHDOG_INTERVAL, OUTCOME_* and CUSTOMER_KEY_SECRET passed
    # through to the service when set
    handoff: dict[str, str] = field(default_factory=dict)
    # the sample shop's order service (order_service/, docs/order-service.md): its port and the
    # token the service's connector sends; both ignored when ORDER_SERVICE_URL names a shop of
    # the company's own (then ORDER_SERVICE_TOKEN is that shop's token)
    order_service_port: int = 8500
    order_service_token: str = ""
    external_shop_url: str = ""
    # SHOP_CONNECTOR and SHOPIFY_* passed through to the service: with SHOP_CONNECTOR=shopify
    # the service asks a Shopify store and no sample order service is started
    shop: dict[str, str] = field(default_factory=dict)
    # REPLICAS: processes of each kind (gateway, service, actions, Rasa) behind HAProxy
    # (stack/load_balancer.py); 1 runs each once with no load balancer
    replicas: int = 1
    # where the replicas listen, by kind; a kind not given uses its port + 1, + 2... (tests
    # give free ports)
    replica_ports: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # signs the customer's resume, reply and requests links (infra/signed_links.py); the same
    # in the service and the gateway
    link_signing_secret: str = ""
    # SMTP_*, MAIL_*, WIDGET_URL and GATEWAY_URL passed through to the service (email follow-up,
    # docs/email.md); without SMTP_HOST no mail is sent and none is offered
    mail: dict[str, str] = field(default_factory=dict)

    @property
    def replicated(self) -> bool:
        return self.replicas > 1

    def ports_of(self, kind: str) -> tuple[int, ...]:
        """The ports of the `kind` replicas (REPLICATED_KINDS); the load balancer listens on
        the kind's own port, which every other process and the customer use."""
        if kind in self.replica_ports:
            return self.replica_ports[kind]
        base = self.port_of(kind)
        return tuple(base + number for number in range(1, self.replicas + 1))

    def listening_on(self, kind: str, port: int) -> StackConfig:
        """This config for a replica of `kind` listening on `port`."""
        field_name = {
            "gateway": "gateway_port",
            "service": "service_port",
            "actions": "actions_port",
            "rasa": "rasa_port",
        }[kind]
        return replace(self, **{field_name: port})  # type: ignore[arg-type]

    def port_of(self, kind: str) -> int:
        """The port a kind is reached on: its own, or the load balancer's for it."""
        return {
            "gateway": self.gateway_port,
            "service": self.service_port,
            "actions": self.actions_port,
            "rasa": self.rasa_port,
        }[kind]

    @property
    def runs_sample_shop(self) -> bool:
        return not self.external_shop_url and self.shop.get("SHOP_CONNECTOR") != "shopify"

    @property
    def shop_url(self) -> str:
        return self.external_shop_url or f"http://127.0.0.1:{self.order_service_port}"

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.service_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str], var_dir: Path | None = None) -> StackConfig:
        var_dir = Path(env.get("STACK_VAR_DIR", var_dir or ROOT / "var"))
        read = EnvReader(env, "stack settings", StackConfigError)
        ports = {
            name: read.port(name, default)
            for name, default in (
                ("SERVICE_PORT", 8300),
                ("ACTIONS_PORT", 5055),
                ("RASA_PORT", 5005),
                ("GATEWAY_PORT", 8400),
                ("ORDER_SERVICE_PORT", 8500),
            )
        }
        external_shop = env.get("ORDER_SERVICE_URL", "")
        if external_shop and not env.get("ORDER_SERVICE_TOKEN"):
            read.add("ORDER_SERVICE_URL needs ORDER_SERVICE_TOKEN, the shop's API token")
        redis = _redis_target(read)
        rasa_workers = int(read.number("RASA_WORKERS", str(default_rasa_workers()), int, 1, 32))
        replicas = int(read.number("REPLICAS", "1", int, 1, 8))
        read.raise_problems()
        assert redis is not None  # an invalid REDIS_URL is one of the problems raised above
        return cls(
            redis=redis,
            service_port=ports["SERVICE_PORT"],
            actions_port=ports["ACTIONS_PORT"],
            rasa_port=ports["RASA_PORT"],
            var_dir=var_dir,
            service_token=env.get("SERVICE_TOKEN") or service_token(var_dir),
            customer_signing_secret=env.get("CUSTOMER_SIGNING_SECRET")
            or generated_secret(var_dir, "customer_signing_secret"),
            gateway_port=ports["GATEWAY_PORT"],
            rasa_workers=rasa_workers,
            replicas=replicas,
            metrics_token=env.get("METRICS_TOKEN") or generated_secret(var_dir, "metrics_token"),
            gateway={
                name: value
                for name, value in env.items()
                if name.startswith("GATEWAY_") and name != "GATEWAY_PORT" and value
            },
            knowledge_base={name: value for name, value in env.items() if name.startswith("KB_")},
            handoff={
                name: value
                for name, value in env.items()
                if name.startswith(("HANDOFF_", "OUTCOME_")) or name in SERVICE_SETTINGS
            },
            order_service_port=ports["ORDER_SERVICE_PORT"],
            order_service_token=env.get("ORDER_SERVICE_TOKEN")
            or generated_secret(var_dir, "order_service_token"),
            external_shop_url=external_shop,
            shop=_passed(env, ("SHOPIFY_",), ("SHOP_CONNECTOR",)),
            link_signing_secret=env.get("LINK_SIGNING_SECRET")
            or generated_secret(var_dir, "link_signing_secret"),
            mail=_passed(env, ("SMTP_", "MAIL_"), ("WIDGET_URL", "GATEWAY_URL")),
        )


def _passed(
    env: Mapping[str, str], prefixes: tuple[str, ...], names: tuple[str, ...] = ()
) -> dict[str, str]:
    """The settings passed through to a process: set, and named so."""
    return {
        name: value
        for name, value in env.items()
        if value and (name.startswith(prefixes) or name in names)
    }


def default_rasa_workers() -> int:
    """One Rasa worker per core and one more: a worker blocked on the service's sentence vector
    leaves its core to another (`make bench-vs-rasa` measured 1, 2, 3 and 4 on 2 cores)."""
    return min((os.cpu_count() or 1) + 1, 8)


def _redis_target(read: EnvReader) -> RedisTarget | None:
    """REDIS_URL when set, else the project-owned Redis on REDIS_PORT; None when invalid (the
    problem is recorded)."""
    try:
        if read.env.get("REDIS_URL"):
            return RedisTarget.parse(read.env["REDIS_URL"], owned=False)
        redis_port = read.port("REDIS_PORT", 6479)
        return RedisTarget.parse(f"redis://127.0.0.1:{redis_port}/0", owned=True)
    except StackConfigError as error:
        read.add(str(error))
        return None


def service_token(var_dir: Path) -> str:
    """The internal token, generated once per checkout and kept out of the repo (var/ is
    ignored) with owner-only permissions."""
    return generated_secret(var_dir, "service_token")


def generated_secret(var_dir: Path, name: str) -> str:
    """A secret generated once per checkout in var/secrets/NAME (owner-only permissions)."""
    path = var_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(token)
    return token
