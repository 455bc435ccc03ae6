"""A replicated stack for `make test-replicas`: two replicas each of the gateway, the service,
the action server and Rasa behind a real HAProxy, on free loopback ports, sharing the
project-owned Redis; state in a temporary folder. Not supervised: a replica a test kills stays
dead, so what carries on is the other one, not a restart."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from stack.config import MODEL_DIR, REPLICATED_KINDS, StackConfig
from stack.replicas import replicated_stack_specs
from stack.supervisor import Stack, free_port
from tests.e2e.conftest import ARTICLES


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def replicated(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    if not any(MODEL_DIR.glob("*.tar.gz")):
        pytest.fail("no trained Rasa model in bot/models: run `make train` first")
    if shutil.which("haproxy") is None and shutil.which("haproxy", path="/usr/sbin") is None:
        pytest.fail("no HAProxy: `scripts/bootstrap.sh haproxy` installs it")
    var_dir = tmp_path_factory.mktemp("replicated-var")
    articles = var_dir / "articles"
    shutil.copytree(ARTICLES, articles)
    config = StackConfig.from_env(
        {
            "REPLICAS": "2",
            "REDIS_PORT": str(free_port()),
            "SERVICE_PORT": str(free_port()),
            "ACTIONS_PORT": str(free_port()),
            "RASA_PORT": str(free_port()),
            "GATEWAY_PORT": str(free_port()),
            "ORDER_SERVICE_PORT": str(free_port()),
            "KB_ARTICLES_DIR": str(articles),
        },
        var_dir=var_dir,
    )
    ports = {kind: (free_port(), free_port()) for kind in REPLICATED_KINDS}
    config = dataclasses.replace(config, replica_ports=ports)
    async with Stack(config, replicated_stack_specs(config), echo=None) as running:
        yield running
