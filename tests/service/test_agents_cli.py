"""`python -m service.agents issue-token AGENT_ID`: a token printed once, only its hash kept."""

from __future__ import annotations

import asyncio

import pytest

from handoff import store as handoff_store
from service.agents import main


async def test_a_token_is_printed_once_and_works(
    redis_url, redis_client, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REDIS_URL", redis_url)

    assert await _run(["issue-token", "priya"]) == 0

    token = capsys.readouterr().out.strip()
    store = await handoff_store.create(redis_url)
    try:
        assert await store.agents.agent_for_token(token) == "priya"
    finally:
        await store.close()
    stored = str(await redis_client.hgetall("handoff:agent_tokens"))
    assert len(token) >= 40 and token not in stored


async def test_an_unknown_agent_gets_no_token(redis_url, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert await _run(["issue-token", "nobody"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no agent 'nobody'" in captured.err


async def _run(argv: list[str]) -> int:
    """main() runs its own event loop: call it from a worker thread."""
    return await asyncio.to_thread(main, argv)


def test_the_command_is_required() -> None:
    with pytest.raises(SystemExit):
        main([])
