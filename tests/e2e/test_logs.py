"""No log line carries what a customer wrote, a widget's session id or a token.

Real stack: a customer goes through the public gateway (a question, a message with a card
number, a password and a unique marker, a request for a person, a message while waiting, the
session resumed from a second browser whose WebSocket URL carries engine.io's `sid`),
an agent uses the console with a bearer token; then Redis is killed, a message reaches Rasa
while it is down (Rasa's `rest.message.received.failure` line), and the launcher's supervisor
restarts Redis. Every log file the stack wrote is then read whole.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
from typing import Any

import aiohttp
import pytest
import socketio

from handoff.routing.agents_config import load_agents_config
from handoff.routing.config import load_routing_config
from service.agents import issue_token
from service.settings import AgentCliSettings
from stack.restarts import RestartPolicy
from stack.supervisor import Stack
from tests.e2e.client import Customer, Widget
from tests.support.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CARD_FORMS = ("4111 1111 1111 1111", "4111111111111111", "4111-1111-1111-1111")
IBAN_FORMS = ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000")


def secrets_of(stack: Stack) -> dict[str, str]:
    return {
        "service token": stack.config.service_token,
        "customer signing secret": stack.config.customer_signing_secret,
    }


def read_logs(stack: Stack) -> dict[str, str]:
    folder = stack.config.var_dir / "log"
    logs = {
        path.name: path.read_bytes().decode("utf-8", "replace")
        for path in sorted(folder.glob("*.log"))
    }
    assert set(logs) >= {"redis.log", "service.log", "actions.log", "rasa.log", "gateway.log"}
    return logs


def leaks(logs: dict[str, str], secret_values: dict[str, str]) -> list[str]:
    """`<file>: <what>` for every secret value found in a log (each names what it is)."""
    return [
        f"{name}: {what}"
        for name, text in logs.items()
        for what, value in secret_values.items()
        if value and value in text
    ]


def customer_text(marker: str, password: str) -> dict[str, str]:
    found = {f"marker {marker}": marker, f"password {password}": password}
    found |= {f"card number {form}": form for form in CARD_FORMS}
    found |= {f"IBAN {form}": form for form in IBAN_FORMS}
    return found


async def agent_token(stack: Stack) -> str:
    settings = AgentCliSettings.from_env({"REDIS_URL": stack.config.redis.url})
    routing = load_routing_config(settings.routing_file)
    agents = load_agents_config(settings.agents_file, routing.teams)
    return await issue_token(settings, next(iter(agents.agents)))


async def until(check: Any, what: str, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)


async def resume_in_another_browser(gateway_url: str, session_id: str) -> tuple[str, list[Any]]:
    """A second browser resumes the session, connecting as browsers do by default (long-polling,
    then a WebSocket upgrade whose URL carries engine.io's `sid`): returns that sid and the
    handoff statuses the gateway sent it."""
    client = socketio.AsyncClient(reconnection=False)
    confirmed: list[str] = []
    statuses: list[Any] = []
    client.on("session_confirm", confirmed.append)
    client.on("handoff_status", statuses.append)
    await client.connect(gateway_url, headers={"Origin": gateway_url})
    try:
        engine_sid = str(client.eio.sid)
        await client.emit("session_request", {"session_id": session_id})
        for _ in range(200):
            if confirmed and statuses:
                break
            await asyncio.sleep(0.05)
        assert confirmed == [session_id], "the session was not resumed"
    finally:
        await client.disconnect()
    return engine_sid, statuses


async def console_get(stack: Stack, path: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "Origin": stack.config.gateway_url}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        async with session.get(f"{stack.config.gateway_url}{path}", headers=headers) as reply:
            await reply.read()
            return reply.status


async def test_a_whole_journey_leaves_no_customer_text_session_id_or_token_in_the_logs(
    stack: Stack,
) -> None:
    marker = f"quokka{secrets.token_hex(4)}"
    password = f"Tr0ub4dor{secrets.token_hex(3)}"
    widget = Widget()
    await widget.open(stack.config.gateway_url)
    try:
        await widget.say("how long does a refund take?")
        await widget.say(f"{marker} my card is {CARD_FORMS[0]} and my password is {password}")
        await widget.say("I want to talk to a real person")
        # the handoff stored before going on: a late second reply to an earlier message can end
        # `say`'s wait before this turn has run (a clean-clone run resumed too early)
        await Team(stack).handed_off(await widget.conversation_id(stack))
        await widget.say(
            f"{marker} still waiting, my IBAN is {IBAN_FORMS[0]}, card {CARD_FORMS[2]}",
            replies=0,
        )
        engine_sid, statuses = await resume_in_another_browser(
            stack.config.gateway_url, widget.session_id
        )
    finally:
        await widget.client.disconnect()
    assert statuses and statuses[-1]["state"] in ("waiting", "agent"), statuses
    token = await agent_token(stack)
    assert await console_get(stack, "/console/api/me", token) == 200
    assert await console_get(stack, "/console/api/tickets?status=waiting", token) == 200

    await asyncio.sleep(1.5)  # the log pumps catch up
    logs = read_logs(stack)
    found = leaks(
        logs,
        customer_text(marker, password)
        | secrets_of(stack)
        | {
            "the widget's session id": widget.session_id,
            "the engine.io sid of a socket": engine_sid,
            "an agent token": token,
        },
    )
    assert found == []
    # the access log still says what was asked and how it went, by route
    assert "GET /handoff/conversations/{conversation_id} 200" in logs["service.log"]
    assert "GET /console/api/{path} 200" in logs["gateway.log"]
    # the action server's own lines are JSON objects, as the service's and the gateway's are
    sdk_lines = [line for line in logs["actions.log"].splitlines() if "rasa_sdk." in line]
    assert sdk_lines, "the action server logged nothing"
    assert all(json.loads(line)["logger"].startswith("rasa_sdk.") for line in sdk_lines)


async def test_while_redis_is_down_rasa_logs_the_failure_without_the_message(
    stack: Stack,
) -> None:
    """Rasa answers `200 []` and logs `rest.message.received.failure`: the line stays, the
    message's text and the exception's local variables do not."""
    marker = f"wombat{secrets.token_hex(4)}"
    password = f"C0rrectH0rse{secrets.token_hex(3)}"
    text = (
        f"{marker} card {CARD_FORMS[1]}, iban {IBAN_FORMS[1]}, my password is {password}, "
        "why was I charged twice?"
    )
    redis_log = stack.config.var_dir / "log" / "redis.log"
    redis = next(process for process in stack.running if process.spec.name == "redis")
    others = {p.spec.name: p.process.pid for p in stack.running if p.spec.name != "redis"}
    supervisor = asyncio.create_task(stack.supervise(RestartPolicy(first_delay=3.0)))
    try:
        os.kill(redis.process.pid, signal.SIGKILL)
        await redis.process.wait()
        assert await Customer(stack).say(text, expect_reply=False) == []  # Rasa failed

        async def redis_is_back() -> bool:
            return "[stack] redis is running again" in redis_log.read_text()

        await until(redis_is_back, "the supervisor did not restart Redis", timeout=30)
    finally:
        supervisor.cancel()
        await asyncio.gather(supervisor, return_exceptions=True)
    assert {p.spec.name: p.process.pid for p in stack.running if p.spec.name != "redis"} == others
    assert not any(p.exited for p in stack.running)

    async def rasa_answers_again() -> bool:
        return bool(await Customer(stack).say("hello", expect_reply=False))

    await until(rasa_answers_again, "Rasa did not answer after Redis came back")
    fresh = Widget()  # the gateway issues sessions again (they live in Redis)
    await fresh.open(stack.config.gateway_url)
    await fresh.client.disconnect()

    await asyncio.sleep(1.5)
    logs = read_logs(stack)
    assert "[stack] redis was killed by SIGKILL; restarting in 3 s (restart 1)" in logs["redis.log"]
    failures = [line for line in logs["rasa.log"].splitlines() if "message.received" in line]
    assert any("rest.message.received.failure" in line for line in failures), failures
    assert any("ConnectionError" in line for line in failures), "the failure names its cause"
    assert leaks(logs, customer_text(marker, password) | secrets_of(stack)) == []
