"""What the latency benchmarks share: a throwaway stack and the result file."""

from __future__ import annotations

import contextlib
import json
import platform
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from stack.config import ROOT, StackConfig
from stack.processes import ProcessSpec, public_stack_specs, stack_specs
from stack.supervisor import Stack, free_port


@contextlib.asynccontextmanager
async def throwaway_stack(
    *,
    with_gateway: bool = False,
    env: dict[str, str] | None = None,
    extra: Callable[[StackConfig], list[ProcessSpec]] | None = None,
) -> AsyncIterator[Stack]:
    """Redis, service, action server and Rasa (and the public gateway when asked) on free
    loopback ports, state in a temp folder (the article-vector cache is shared with the
    checkout); `env` adds settings such as the gateway's limits; `extra` adds processes that
    start beside them (e.g. a baseline bot that uses the same Redis)."""
    ports = ("REDIS_PORT", "SERVICE_PORT", "ACTIONS_PORT", "RASA_PORT", "GATEWAY_PORT")
    with tempfile.TemporaryDirectory() as var_dir:
        config = StackConfig.from_env(
            {name: str(free_port()) for name in ports}
            | {"KB_EMBEDDING_CACHE_DIR": str(ROOT / "var" / "cache" / "embeddings")}
            | (env or {}),
            var_dir=Path(var_dir),
        )
        specs = public_stack_specs(config) if with_gateway else stack_specs(config)
        specs += extra(config) if extra else []
        async with Stack(config, specs, echo=None) as stack:
            yield stack


def write_result(result: dict[str, Any], path: Path) -> None:
    """Add the machine, write the JSON file and print it."""
    result["machine"] = f"{platform.node()} {platform.machine()} Python {platform.python_version()}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
