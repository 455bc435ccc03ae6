"""What the latency benchmarks share: a throwaway stack, the messages they send, a timed
REST turn and the result file."""

from __future__ import annotations

import contextlib
import json
import platform
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from stack.config import ROOT, StackConfig
from stack.processes import ProcessSpec, public_stack_specs, stack_specs
from stack.supervisor import Stack, free_port

# answered by the rule "Reply to thanks" (utter_you_are_welcome), never by the knowledge base
RULE_MESSAGES = ["thanks", "thank you!", "thanks a lot", "cheers, thanks"]


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
    ports = (
        "REDIS_PORT",
        "SERVICE_PORT",
        "ACTIONS_PORT",
        "RASA_PORT",
        "GATEWAY_PORT",
        "ORDER_SERVICE_PORT",
    )
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


def answerable_questions(path: Path) -> list[str]:
    """The questions of a question file (data/kb_questions.yml) that have an expected article."""
    rows = yaml.safe_load(path.read_text())["questions"]
    return [str(row["text"]) for row in rows if row.get("expected")]


async def timed_message(
    session: aiohttp.ClientSession, url: str, sender: str, text: str
) -> tuple[float, list[dict[str, Any]]]:
    """One message to Rasa's REST webhook: milliseconds to the whole reply, and the reply."""
    started = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as response:
        replies: list[dict[str, Any]] = await response.json()
    return (time.perf_counter() - started) * 1000, replies


def links_an_article(replies: list[dict[str, Any]]) -> bool:
    return any("/articles/" in str(reply.get("text")) for reply in replies)


async def answered_questions(
    session: aiohttp.ClientSession,
    url: str,
    questions: list[str],
    *,
    opening: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """The questions the stack answers with an article link, each asked in a fresh conversation
    (after `opening`, when the benchmark's conversations start with one), so no conversation of
    the benchmark is offered a person, which would change its script."""
    kept: list[str] = []
    for number, question in enumerate(questions):
        sender = f"bench-pick-{number}-{secrets.token_hex(4)}"
        if opening is not None:
            await timed_message(session, url, sender, opening)
        if links_an_article((await timed_message(session, url, sender, question))[1]):
            kept.append(question)
        if len(kept) == limit:
            break
    if not kept:
        raise RuntimeError("the stack answered none of the questions with an article")
    return kept
