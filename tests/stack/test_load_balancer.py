"""HAProxy in front of replicas, with the configuration the launcher writes: a conversation
always reaches the same Rasa replica (from the webhook's body and from a /conversations/ path),
different conversations spread over both, and a request reaches the other replica when one
is gone. Real HAProxy (Debian's) in front of two small aiohttp servers standing in for Rasa."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from stack.config import REPLICATED_KINDS, StackConfig
from stack.load_balancer import MONITOR_PATH, haproxy_config
from stack.replicas import product_specs, replicated_stack_specs
from stack.supervisor import free_port

HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")


def replicated_config(tmp_path: Path) -> StackConfig:
    env = {"REPLICAS": "2", "GATEWAY_PORT": str(free_port()), "RASA_PORT": str(free_port())}
    config = StackConfig.from_env(env, var_dir=tmp_path)
    ports = {kind: (free_port(), free_port()) for kind in REPLICATED_KINDS}
    return dataclasses.replace(config, replica_ports=ports)


async def rasa_stand_in(name: str, port: int) -> web.AppRunner:
    """Answers every request with its own name, and GET / as Rasa does (the health check)."""

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=name)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@pytest_asyncio.fixture
async def balanced(tmp_path: Path) -> AsyncIterator[tuple[StackConfig, list[web.AppRunner]]]:
    if HAPROXY is None:
        pytest.fail("no HAProxy: `scripts/bootstrap.sh haproxy` installs it (make test does)")
    config = replicated_config(tmp_path)
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(config))
    ports = config.ports_of("rasa")
    runners = [await rasa_stand_in(f"rasa-{n}", port) for n, port in enumerate(ports, 1)]
    process = await asyncio.create_subprocess_exec(
        HAPROXY, "-db", "-f", str(path), stdout=asyncio.subprocess.DEVNULL
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{config.rasa_url}{MONITOR_PATH}") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        await asyncio.sleep(2.5)  # both replicas' first health checks passed
        yield config, runners
    finally:
        process.kill()
        await process.wait()
        for runner in runners:
            await runner.cleanup()


async def replica_for(http: aiohttp.ClientSession, config: StackConfig, sender: str) -> str:
    body = {"sender": sender, "message": "hello"}
    async with http.post(f"{config.rasa_url}/webhooks/rest/webhook", json=body) as response:
        assert response.status == 200
        return await response.text()


async def test_a_conversation_always_reaches_the_same_rasa_replica(
    balanced: tuple[StackConfig, list[web.AppRunner]],
) -> None:
    config, _ = balanced
    senders = [f"conv-{number:04d}" for number in range(40)]
    async with aiohttp.ClientSession() as http:
        first = {sender: await replica_for(http, config, sender) for sender in senders}
        again = {sender: await replica_for(http, config, sender) for sender in senders}
        paths = {}
        for sender in senders:  # the service's hand-back: the id is in the path
            url = f"{config.rasa_url}/conversations/{sender}/trigger_intent"
            async with http.post(url, json={"name": "handed_back"}) as response:
                paths[sender] = await response.text()
    assert first == again == paths
    assert set(first.values()) == {"rasa-1", "rasa-2"}, "one replica got every conversation"


async def test_a_conversation_moves_to_the_other_replica_when_its_own_is_gone(
    balanced: tuple[StackConfig, list[web.AppRunner]],
) -> None:
    config, runners = balanced
    senders = [f"conv-{number:04d}" for number in range(20)]
    async with aiohttp.ClientSession() as http:
        before = {sender: await replica_for(http, config, sender) for sender in senders}
        await runners[0].cleanup()  # rasa-1 is gone: at once, before any health check noticed
        after = {sender: await replica_for(http, config, sender) for sender in senders}
    assert set(after.values()) == {"rasa-2"}
    assert {s for s in senders if before[s] == "rasa-2"} <= {s for s in senders if after[s]}


def test_a_replicated_stack_runs_each_kind_twice_behind_haproxy(tmp_path: Path) -> None:
    if HAPROXY is None:
        pytest.fail("no HAProxy: `scripts/bootstrap.sh haproxy` installs it (make test does)")
    config = replicated_config(tmp_path)
    specs = {spec.name: spec for spec in product_specs(config)}
    assert list(specs)[:3] == ["redis", "orders", "haproxy"]
    for kind in REPLICATED_KINDS:
        for number, port in enumerate(config.ports_of(kind), start=1):
            assert f"{kind}-{number}" in specs
            assert str(port) in " ".join(
                [*specs[f"{kind}-{number}"].argv, *specs[f"{kind}-{number}"].env.values()]
            )
    gateway = specs["gateway-2"].env
    assert gateway["GATEWAY_HOST"] == "127.0.0.1" and gateway["GATEWAY_SHARED_ROOMS"] == "true"
    assert gateway["RASA_URL"] == config.rasa_url  # other kinds: through HAProxy
    assert "127.0.0.1/32" in gateway["GATEWAY_TRUSTED_PROXIES"]
    assert config.gateway_url in gateway["GATEWAY_ALLOWED_ORIGINS"]
    assert specs["rasa-1"].env["SANIC_WORKERS"] == str(max(1, config.rasa_workers // 2))
    assert [spec.name for spec in replicated_stack_specs(config)] == list(specs)
