"""The processes of a replicated stack (REPLICAS > 1): Redis and the sample shop once, HAProxy,
then each of the service, the action server, Rasa and the gateway REPLICAS times, named
`service-1`, `service-2`...

A replica is the same process as in a single stack but for the port it listens on: every URL it
is given for another kind is that kind's usual port, where HAProxy listens
(stack/load_balancer.py). The supervisor restarts each replica on its own.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable

from stack.config import REPLICATED_KINDS, StackConfig, StackConfigError
from stack.load_balancer import MONITOR_PATH, haproxy_config
from stack.processes import (
    ProcessSpec,
    actions_spec,
    base_env,
    gateway_spec,
    order_service_spec,
    public_stack_specs,
    rasa_spec,
    redis_spec,
    service_spec,
)

SPEC_OF: dict[str, Callable[[StackConfig], ProcessSpec]] = {
    "service": service_spec,
    "actions": actions_spec,
    "rasa": rasa_spec,
    "gateway": gateway_spec,
}


def load_balancer_spec(config: StackConfig) -> ProcessSpec:
    """HAProxy in the foreground (-db: no daemon, logs to stdout), its configuration written
    to var/haproxy/ from the config."""
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if haproxy is None:
        raise StackConfigError(
            "REPLICAS > 1 needs HAProxy: `scripts/bootstrap.sh haproxy` installs it (Debian)"
        )
    folder = config.var_dir / "haproxy" / str(config.gateway_port)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "haproxy.cfg"
    path.write_text(haproxy_config(config), encoding="utf-8")
    health = f"{config.service_url}{MONITOR_PATH}"
    # ready once HAProxy sees every replica up: as long as the slowest replica (Rasa) takes
    ready_timeout = max(spec.ready_timeout for spec in (rasa_spec(config), service_spec(config)))
    argv = [haproxy, "-db", "-f", str(path)]
    return ProcessSpec("haproxy", argv, health, base_env(), ready_timeout + 30)


def replica_spec(config: StackConfig, kind: str, number: int, port: int) -> ProcessSpec:
    """Replica `number` of `kind`, listening on `port`."""
    own = config.listening_on(kind, port)
    if kind == "rasa":  # the cores are shared by the replicas: one Sanic worker each by default
        own = dataclasses.replace(own, rasa_workers=max(1, config.rasa_workers // config.replicas))
    spec = SPEC_OF[kind](own)
    env = dict(spec.env)
    if kind == "gateway":
        env |= {
            "GATEWAY_HOST": "127.0.0.1",  # only HAProxy is public
            "GATEWAY_SHARED_ROOMS": "true",
            # HAProxy's X-Forwarded-For is believed, so limits see the customer's address
            "GATEWAY_TRUSTED_PROXIES": _with_loopback(env.get("GATEWAY_TRUSTED_PROXIES", "")),
            # the pages customers load come from HAProxy's port, not the replica's
            "GATEWAY_ALLOWED_ORIGINS": env.get("GATEWAY_ALLOWED_ORIGINS")
            or f"{config.gateway_url},http://localhost:{config.gateway_port}",
        }
    return dataclasses.replace(spec, name=f"{kind}-{number}", env=env)


def replicated_stack_specs(config: StackConfig) -> list[ProcessSpec]:
    """Start order: each process only needs the ones before it (the supervisor starts the
    first alone, then the rest together and waits for each to be ready)."""
    specs = []
    if config.redis.owned:
        specs.append(redis_spec(config))
    if config.runs_sample_shop:
        specs.append(order_service_spec(config))
    specs.append(load_balancer_spec(config))
    for kind in REPLICATED_KINDS:
        for number, port in enumerate(config.ports_of(kind), start=1):
            specs.append(replica_spec(config, kind, number, port))
    return specs


def _with_loopback(proxies: str) -> str:
    listed = [proxy.strip() for proxy in proxies.split(",") if proxy.strip()]
    return ",".join(dict.fromkeys([*listed, "127.0.0.1/32"]))


def product_specs(config: StackConfig) -> list[ProcessSpec]:
    """The whole product (`make run`, end-to-end tests): replicated when REPLICAS > 1."""
    return replicated_stack_specs(config) if config.replicated else public_stack_specs(config)
